"""Laughter given to the person laughing (analysis/laughter.py): made-up turns for its rules,
and a real far-field meeting for the whole of it."""

from apps.engines.analysis.base import DiarizationRequest, SpeakerTurn, Transcript
from apps.engines.analysis.der import diarization_error_rate, load_rttm
from apps.engines.analysis.laughter import turns_with_laughter
from apps.engines.analysis.local import LocalAnalysisBackend
from apps.engines.stt.base import Segment

A, B = "SPEAKER_00", "SPEAKER_01"


def test_laughter_right_after_a_turn_is_the_speaker_of_that_turn():
    turns = [SpeakerTurn(A, 0.0, 5.0), SpeakerTurn(B, 8.0, 12.0)]
    assert turns_with_laughter(turns, [(5.3, 6.5)]) == (
        SpeakerTurn(A, 0.0, 5.0),
        SpeakerTurn(A, 5.3, 6.5),
        SpeakerTurn(B, 8.0, 12.0),
    )


def test_laughter_over_the_end_of_a_turn_extends_that_turn_only_where_nobody_talks():
    turns = [SpeakerTurn(A, 0.0, 5.0), SpeakerTurn(B, 6.0, 9.0), SpeakerTurn(A, 9.0, 12.0)]
    # A's turn overlaps 1.5 s of the laughter, B's 0.5 s: A laughed, over the pause between.
    assert turns_with_laughter(turns, [(3.5, 6.5)]) == (
        SpeakerTurn(A, 0.0, 6.0),
        SpeakerTurn(B, 6.0, 9.0),
        SpeakerTurn(A, 9.0, 12.0),
    )


def test_laughter_far_from_every_turn_is_left_to_nobody():
    turns = (SpeakerTurn(A, 0.0, 5.0), SpeakerTurn(B, 10.0, 12.0))
    assert turns_with_laughter(turns, [(6.5, 8.5)]) == turns


def test_laughter_a_turn_already_covers_changes_nothing():
    turns = (SpeakerTurn(A, 0.0, 5.0),)
    assert turns_with_laughter(turns, [(1.0, 2.0)]) == turns


def test_a_meetings_laugh_named_in_the_transcript_is_given_to_a_speaker(corpus):
    """ami_trn04, count 3: Whisper writes "[laughs]" over 14.03-16.41 s (the engine's mark,
    with short laughter named), where the reference has a participant laughing and no detector
    hears speech. Given to the speaker beside it, the
    missed speech there is found."""
    path = corpus / "ami_trn04.wav"
    laugh = Segment(14.032, 16.41, "", untranscribed=True, gap="sound", sound="laughter")
    request = DiarizationRequest(path, Transcript((), marks=(laugh,)), num_speakers=3)
    plain = LocalAnalysisBackend(alias="plain").diarize(request)
    given = LocalAnalysisBackend(alias="laughs", laughter_to_speakers=True).diarize(request)
    reference = load_rttm(corpus / "ami_trn04.rttm")

    def scored(result):
        return diarization_error_rate(
            reference, [(t.speaker, t.start, t.end) for t in result.turns]
        )

    def covered(result):
        return sum(max(0.0, min(t.end, 16.41) - max(t.start, 14.032)) for t in result.turns)

    # The turns beside it reach 1.7 s into the laugh; given, all 2.4 s of it are someone's.
    assert covered(plain) < 2.0 and covered(given) > 2.35
    assert scored(given).missed < scored(plain).missed - 0.5
    assert scored(given).der < scored(plain).der
