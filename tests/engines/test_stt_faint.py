"""Speech Whisper's VAD never heard (far-field, quiet, overlapped) is marked "faint" by a second
detector, where nothing else covers it; clean recordings get no such marks."""

from types import SimpleNamespace

import numpy as np

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.analysis import segmentation
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.faint import MARGIN_SECONDS, OVER_FLOOR_DB, faint_speech, with_faint_marks
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun
from apps.engines.stt.loudness import Levels, frame_levels
from apps.engines.stt.pauses import Pieces
from apps.engines.stt.silero import SpeechProbabilities


def reference(rttm):
    rows = [line.split() for line in rttm.read_text().splitlines()]
    return [(float(r[3]), float(r[3]) + float(r[4])) for r in rows]


def overlap(spans, others):
    return sum(max(0.0, min(b, d) - max(a, c)) for a, b in spans for c, d in others)


def mark(start, end):
    return Segment(start, end, "", untranscribed=True, gap="faint")


def test_speech_no_segment_covers_is_marked(corpus):
    """ami_trn04 (AMI, far-field): speech from 14 s on; segments over 14-24 s leave the
    speakers of 25-30 s without text."""
    audio = decode_all(corpus / "ami_trn04.wav")
    turns = reference(corpus / "ami_trn04.rttm")
    segments = [SimpleNamespace(start=14.0, end=19.0), SimpleNamespace(start=19.5, end=24.0)]
    events, marks = marks_around(segments, audio)
    late = [(a, b) for a, b in turns if a >= 24.0]
    assert overlap(marks, late) >= 0.9 * overlap(late, [(24.0, 30.0)])
    # Nothing in the 14 s before anyone speaks, nor over the segments.
    assert all(a >= 24.0 for a, b in marks)
    # In time order, between the segments.
    assert [e.start for e in events] == sorted(e.start for e in events)


def marks_around(segments, audio):
    # With Silero's probabilities, as the engine asks: far-field speech is never so faint that
    # Silero hears none of it and the second detector is skipped.
    silero = SpeechProbabilities(audio)
    events = with_faint_marks(
        iter(segments), audio, 0.0, start=0.0, end=30.0, mark=mark, silero=silero
    )
    events = list(events)
    return events, [(e.start, e.end) for e in events if getattr(e, "gap", "")]


def test_a_stretch_where_silero_hears_nothing_costs_no_second_pass(monkeypatch):
    """Hiss (too loud to pass for digital silence) that Silero hears as no speech at all: the
    second detector is not run over it, as it was without Silero's probabilities."""
    passes = []

    def counted(audio, **options):
        passes.append(len(audio))
        return speech_activity(audio, **options)

    speech_activity = segmentation.speech_activity
    monkeypatch.setattr(segmentation, "speech_activity", counted)
    hiss = np.random.default_rng(0).standard_normal(10 * SAMPLE_RATE).astype(np.float32) / 1000
    silero = SpeechProbabilities(hiss)
    assert faint_speech(hiss, 0.0, 10.0, lead=0.5, trail=0.5, silero=silero) == []
    assert passes == []
    faint_speech(hiss, 0.0, 10.0, lead=0.5, trail=0.5)
    assert len(passes) == 1


def test_speech_that_goes_on_past_a_segment_is_marked_from_its_end(corpus):
    """ami_trn04: one speaker talks on from 16.7 s to 24 s; a segment that stops at 16.2 s
    leaves the rest unmarked unless the mark reaches back over the margin to the segment."""
    audio = decode_all(corpus / "ami_trn04.wav")
    segments = [SimpleNamespace(start=14.0, end=16.2), SimpleNamespace(start=26.6, end=30.0)]
    _, marks = marks_around(segments, audio)
    assert marks and 16.2 <= marks[0][0] < 16.2 + MARGIN_SECONDS
    assert overlap(marks, [(16.7, 23.9)]) > 6.5


def test_a_long_pause_between_a_segments_words_is_marked_held_to_it(corpus):
    """A segment over ami_trn04's talk whose words leave 14.4-29.5 s out: the speech in that
    pause is marked, just before the segment and held to it (`continues`): a job resumes after
    the last segment or mark it stored, and one stopped between the segment and a mark after
    it never made the mark."""
    audio = decode_all(corpus / "ami_trn04.wav")
    words = (SimpleNamespace(start=14.0, end=14.4), SimpleNamespace(start=29.5, end=30.0))
    segment = Segment(14.0, 30.0, " Yes.", words=words)
    events, marks = marks_around([segment], audio)
    assert events[-1] is segment and len(events) > 1
    assert all(e.continues for e in events[:-1])
    assert all(14.4 <= a < b <= 29.5 for a, b in marks)
    assert overlap(marks, [(16.7, 23.9)]) > 6.0
    stops = Pieces()
    assert [stops.stoppable_after(e) for e in events] == [False] * (len(events) - 1) + [True]
    turns = reference(corpus / "ami_trn04.rttm")
    assert overlap(marks, turns) > 0.9 * sum(b - a for a, b in marks)
    # Words a second apart over the same talk leave no pause to mark.
    close = [SimpleNamespace(start=t, end=t + 0.3) for t in range(14, 30)]
    assert marks_around([SimpleNamespace(start=0.0, end=30.0, words=close)], audio)[1] == []


class DeafModel:
    """Stands in for faster-whisper's model: it hears no words at all."""

    model = SimpleNamespace(is_multilingual=False)

    def transcribe(self, audio, **options):
        return iter(()), SimpleNamespace(language="en", language_probability=1.0)


def marks_of(corpus, **options):
    # A VAD made deaf to all but the loudest speech: what it misses, only faint marks can show.
    # The marks of two people at once (test_stt_overlap.py) lie over other marks: left out here.
    options = {"overlap_marks": False, **options}
    backend = LocalWhisperBackend(alias="t", vad={"threshold": 0.99}, **options)
    request = TranscriptionRequest(audio_path=corpus / "ami_trn04.wav")
    events = _WindowedRun(backend, DeafModel(), request, "en").events()
    return [(e.start, e.end, e.gap) for e in events if isinstance(e, Segment)]


def test_the_engine_marks_speech_its_vad_missed(corpus):
    marks = marks_of(corpus)
    faint = [(a, b) for a, b, gap in marks if gap == "faint"]
    turns = reference(corpus / "ami_trn04.rttm")
    # The VAD hears 17.4-23.9 s and the last second; the turns from 14.0 s and 25.2 s are
    # left to the faint marks.
    assert overlap(faint, [(14.0, 17.0)]) > 2.0 and overlap(faint, [(25.0, 29.0)]) > 2.0
    assert overlap(faint, turns) > 0.8 * sum(b - a for a, b in faint)
    assert {gap for *_, gap in marks} == {"faint", "no_text"}
    assert all(b <= c for (_, b, _), (c, _, _) in zip(marks, marks[1:], strict=False))
    assert not any(gap == "faint" for *_, gap in marks_of(corpus, faint_marks=False))


def test_far_field_speech_rises_over_the_noise_floor_and_stays_marked(corpus):
    """With the window's noise floor (the option `faint_over_floor`), ami_trn04's far-field
    speakers of 25-30 s are still marked: they rise well over the room's floor. Speech heard
    no higher than the floor plus OVER_FLOOR_DB is taken for noise and not marked."""
    audio = decode_all(corpus / "ami_trn04.wav")
    turns = reference(corpus / "ami_trn04.rttm")
    late = [(a, b) for a, b in turns if a >= 24.0]
    floor = Levels(audio, []).floor()
    found = faint_speech(audio, 24.0, 30.0, floor_at=lambda _: floor)
    assert overlap(found, late) >= 0.9 * overlap(late, [(24.0, 30.0)])
    # The same speech over a floor as loud as its own louder tenth: taken for the noise.
    loud = float(np.percentile(frame_levels(audio[24 * SAMPLE_RATE :]), 90))
    assert faint_speech(audio, 24.0, 30.0, floor_at=lambda _: loud - OVER_FLOOR_DB + 1.0) == []


def test_with_a_local_floor_far_field_speech_after_loud_noise_is_still_marked(corpus):
    """A recording that is loud noise for five minutes, then ami_trn04's quiet meeting room:
    the whole window's floor is the noise's, and the far-field speakers of 25-30 s do not rise
    OVER_FLOOR_DB over it; the floor around them (loudness.FLOOR_REACH_SECONDS) is the room's,
    and they are marked."""
    room = decode_all(corpus / "ami_trn04.wav")
    loud = float(np.percentile(frame_levels(room[24 * SAMPLE_RATE :]), 90))
    noise_rms = 10 ** ((loud - OVER_FLOOR_DB + 6.0) / 20)
    noise = np.random.default_rng(0).normal(0.0, noise_rms, 300 * SAMPLE_RATE)
    audio = np.concatenate([noise, room]).astype(np.float32)
    levels = Levels(audio, [])
    late = [(300 + a, 300 + b) for a, b in reference(corpus / "ami_trn04.rttm") if a >= 24.0]

    whole = faint_speech(audio, 324.0, 330.0, floor_at=lambda _: levels.floor())
    local = faint_speech(audio, 324.0, 330.0, floor_at=levels.floor)

    assert whole == []
    assert overlap(local, late) >= 0.9 * overlap(late, [(324.0, 330.0)])


def test_text_found_in_a_faint_stretch_stands_in_for_its_marks(corpus):
    """With `text` (the engine's `faint_decoded`), the whole stretch between two segments where
    faint speech is heard is offered for decoding: text found there replaces that stretch's
    marks, in time order; a stretch where none is found keeps its marks."""
    audio = decode_all(corpus / "ami_trn04.wav")
    segments = [SimpleNamespace(start=14.0, end=19.0), SimpleNamespace(start=19.5, end=24.0)]
    asked = []

    def text(start, end, runs):
        asked.append((start, end, runs))
        if start < 24.0:
            return []
        return [SimpleNamespace(start=runs[0][0], end=runs[-1][1], said=True)]

    silero = SpeechProbabilities(audio)
    events = list(
        with_faint_marks(
            iter(segments), audio, 0.0, start=0.0, end=30.0, mark=mark, silero=silero, text=text
        )
    )
    _, marks = marks_around(segments, audio)
    late = [m for m in marks if m[0] >= 24.0]
    said = [e for e in events if hasattr(e, "said")]
    # The stretch after the last segment: its marks replaced by the text, over the same span.
    assert late and [(s.start, s.end) for s in said] == [(late[0][0], late[-1][1])]
    assert asked[-1][:2] == (24.0, 30.0) and asked[-1][2] == late
    assert not any(hasattr(e, "mark") and e.start >= 24.0 for e in events)
    assert [e.start for e in events] == sorted(e.start for e in events)


def test_faint_speech_decoded_to_nothing_stays_marked(corpus):
    """`faint_decoded` with no floor to rise over: each faint stretch is decoded, but a decoder
    that finds no words there leaves the marks as they were (nothing is made up)."""
    decoded = []

    class CountingDeafModel(DeafModel):
        def transcribe(self, audio, **options):
            decoded.append(len(audio) / SAMPLE_RATE)
            return super().transcribe(audio, **options)

    def faint(**options):
        backend = LocalWhisperBackend(alias="t", vad={"threshold": 0.99}, overlap_marks=False)
        for key, value in options.items():
            setattr(backend, key, value)
        request = TranscriptionRequest(audio_path=corpus / "ami_trn04.wav")
        events = _WindowedRun(backend, CountingDeafModel(), request, "en").events()
        return [(e.start, e.end) for e in events if isinstance(e, Segment) and e.gap == "faint"]

    before = faint()
    calls = len(decoded)
    assert before and faint(faint_decoded=True, faint_decoded_over_db=0.0) == before
    assert len(decoded) > 2 * calls  # the stretches were offered to the decoder
