import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.engines.stt.base import Segment as EngineSegment
from apps.engines.stt.base import SpeechHeard
from apps.transcripts import flags
from apps.transcripts.flags import SegmentSigns, segment_flags
from apps.transcripts.models import Segment
from apps.transcripts.services import _heard_throughout, segment_save, segments_flag_silence
from tests import media_factory

SPEECH = [
    " And so my fellow Americans, ask not what your country can do for you.",
    " The other two are located on the shore of the Yellow Sea.",
    " Unless to be rather cold hearted and rather selfish is to be ill disposed.",
    " Thank you. We will see you next week, and thanks for watching the game with us tonight.",
]


def flagged(text, previous=(), **scores):
    return segment_flags(SegmentSigns(text, **scores), previous)


def test_clean_sentences_carry_no_flag():
    assert [flagged(t) for t in SPEECH] == [[], [], [], []]


@pytest.mark.parametrize(
    "text",
    [
        " the the the the the",
        " I'm sorry, I'm sorry, I'm sorry, I'm sorry.",
        " So we went to the shop and we went to the shop and we went to the shop and",
    ],
)
def test_a_loop_within_a_segment_is_flagged(text):
    assert flagged(text) == ["loop"]


def test_a_segment_stuck_on_one_piece_within_a_word_is_flagged_and_laughter_is_not():
    assert "loop" in flagged(" Na'a'a'a'a'a'a'a'a'a'a'a'a'a'!")
    assert flagged(" Hahahaha!") == flagged(" I-I-I don't know.") == []


def test_a_sentence_said_again_and_again_is_flagged_from_its_third_time():
    line = " My voice is my passport, verify me."
    assert flagged(line, [line]) == []
    assert flagged(line, [line, line]) == ["loop"]
    assert flagged(" Yes.", [" Yes.", " Yes."]) == []  # short answers repeat for real


@pytest.mark.parametrize(
    "text",
    [
        " Thanks for watching!",
        " Thank you for watching.",
        " Subtitles by the Amara.org community",
        " Untertitel der Amara.org-Community",
        " Please subscribe to my channel.",
        " Thank you so much for watching and I'll see you in the next video.",
        " Thanks for watching. Thanks for watching.",
        " Copyright WDR 2020",
        " Untertitelung des ZDF, 2020",
    ],
)
def test_stock_phrases_whisper_invents_on_silence_are_flagged(text):
    assert flagged(text) == ["stock_phrase"]


def test_a_stock_word_inside_a_real_sentence_is_not_flagged():
    # multilingual.mp3 reads a licence: "copyright" alone is no credit line.
    assert flagged(" The above copyright notice and this permission notice shall be included") == []


def test_scores_past_whispers_own_thresholds_are_flagged():
    assert flagged(" Hello.", no_speech_prob=0.9) == ["no_speech"]
    assert flagged(" Hello.", avg_logprob=-1.4) == ["low_confidence"]
    assert flagged(" Hello.", no_speech_prob=0.5, avg_logprob=-0.9) == []


def test_text_that_compresses_like_a_loop_is_flagged_by_its_own_ratio():
    # A passage said again further on (not back to back, so not a loop of n-grams).
    passage = " we will meet at the station by the river at nine and then walk home,"
    assert flagged(passage * 4) == ["compression"]
    # Whisper's ratio is for its 30 s window: a segment's own text decides here.
    assert flagged(SPEECH[0]) == []
    assert flagged(" [untranscribed]", untranscribed=True) == ["loop"]


def test_engine_flags_are_kept_alongside():
    assert flags.merged(["stock_phrase"], ("loop", "gap")) == ["loop", "stock_phrase", "gap"]


@pytest.mark.django_db(transaction=True)
def test_saving_segments_flags_them_with_the_ones_before(alice, make_transcript):
    @dataclass(frozen=True)
    class Flagged(EngineSegment):
        flags: tuple = ()

    t = make_transcript(alice)
    Segment.objects.filter(transcript=t).delete()
    texts = [" Thanks for watching!", " Real words here.", " Real words here.", " Real words here."]
    for i, text in enumerate(texts):
        segment_save(transcript_id=t.pk, index=i, segment=EngineSegment(i, i + 1, text))
    segment_save(transcript_id=t.pk, index=9, segment=Flagged(9, 10, " Hi.", flags=("gap",)))
    rows = list(Segment.objects.filter(transcript=t).values_list("flags", flat=True))
    assert rows == [["stock_phrase"], [], [], ["loop"], ["gap"]]


@pytest.mark.django_db(transaction=True)
def test_text_over_a_long_silence_is_flagged_and_speech_is_not(
    alice, make_transcript, tmp_path, settings
):
    settings.VOICEPORTAL_FLAG_SILENCE = True
    # The fake engine hears numbered segments whatever the audio holds, as a cloud engine
    # writing text over silence would.
    silent = make_transcript(alice, path=media_factory.silence(tmp_path / "quiet.wav", 6))
    assert all(f == ["silence"] for f in silent.segments.values_list("flags", flat=True))
    speech = make_transcript(alice, "jfk.flac")
    first = list(speech.segments.order_by("index").values_list("flags", flat=True))[:5]
    assert first == [[], [], [], [], []]


@pytest.mark.django_db(transaction=True)
def test_the_command_flags_rows_stored_before_flags_existed(alice, make_transcript):
    t = make_transcript(alice)
    segment = t.segments.order_by("index").first()
    Segment.objects.filter(transcript=t).update(flags=[])
    Segment.objects.filter(pk=segment.pk).update(text=" Thanks for watching.")
    out = io.StringIO()
    call_command("transcripts_flag", str(t.pk), stdout=out)
    assert "1 flagged segment(s) in all." in out.getvalue()
    segment.refresh_from_db()
    assert segment.flags == ["stock_phrase"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "heard", ["loop_cut", "too_few_words", "repeats_later", "lone_word", "wrong_script"]
)
def test_working_the_flags_out_again_keeps_what_the_engine_heard(alice, make_transcript, heard):
    """The engine's flags come from the audio, which the rules do not read again."""
    t = make_transcript(alice)
    segment = t.segments.order_by("index").first()
    Segment.objects.filter(pk=segment.pk).update(flags=[heard, "low_confidence"])
    call_command("transcripts_flag", str(t.pk), stdout=io.StringIO())
    segment.refresh_from_db()
    assert segment.flags == [heard]


@pytest.mark.django_db(transaction=True)
def test_the_page_filters_the_api_counts_and_exports_can_leave_flagged_out(
    alice_client, alice, bob_client, make_transcript
):
    t = make_transcript(alice)
    segment = t.segments.order_by("index").first()
    Segment.objects.filter(pk=segment.pk).update(flags=["stock_phrase"])

    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert 'data-flag-filter="stock_phrase"' in page and "Flagged only (1)" in page
    assert 'data-flags="stock_phrase"' in page

    url = reverse("transcripts:export", args=[t.pk, "json"])
    body = json.loads(alice_client.get(url).content)
    assert body["flagged_segments"] == 1 and body["segments"][0]["flags"] == ["stock_phrase"]
    kept = json.loads(alice_client.get(url, {"drop_flagged": "1"}).content)
    assert [s["text"] for s in kept["segments"]][:1] == [" Segment 1."]
    srt = alice_client.get(
        reverse("transcripts:export", args=[t.pk, "srt"]), {"drop_flagged": "1"}
    ).content.decode()
    assert "Segment 0." not in srt and "Segment 1." in srt
    assert bob_client.get(url, {"drop_flagged": "1"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_speech_the_engine_heard_stands_in_for_a_second_look_at_the_audio(
    alice, make_transcript, tmp_path
):
    # The fake engine writes text over silence; the speech regions given say someone spoke.
    t = make_transcript(alice, path=media_factory.silence(tmp_path / "quiet.wav", 6))
    t.segments.update(flags=[])
    segments_flag_silence(transcript=t, regions=[(0.0, 6.0)])
    assert all(f == [] for f in t.segments.values_list("flags", flat=True))
    segments_flag_silence(transcript=t)  # none given: the VAD hears the silence
    assert all(f == ["silence"] for f in t.segments.values_list("flags", flat=True))


def test_the_engine_s_speech_counts_only_when_it_heard_the_whole_file():
    a = SpeechHeard(0.0, 600.2, ((1.0, 2.0),))
    b = SpeechHeard(600.2, 900.0, ((700.0, 701.5),))
    assert _heard_throughout([a, b], 900.0) == [(1.0, 2.0), (700.0, 701.5)]
    assert _heard_throughout([b], 900.0) is None  # resumed midway: the start was not heard
    assert _heard_throughout([a], 900.0) is None  # stopped before the end
    assert _heard_throughout([a, SpeechHeard(610.0, 900.0, ())], 900.0) is None  # a hole
    assert _heard_throughout([], 0.0) is None  # a cloud engine tells nothing
