"""Speech the engine gave no text for is kept as a marked gap: on the page, in the API's
verbose_json (an extension field) and in the JSON export, never silently dropped."""

import json

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from apps.transcripts import formats
from apps.transcripts.models import Gap
from apps.transcripts.selectors import transcript_document

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engine_with_a_gap(settings):
    """The fake engine hears its second segment (2–4 s) as speech without text."""
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {"BACKEND": "apps.engines.stt.fake.FakeSpeechToText", "OPTIONS": {"gaps": [1]}},
    }


def test_it_keeps_speech_without_text_as_a_gap(alice, make_transcript, engine_with_a_gap):
    t = make_transcript(alice)
    t.refresh_from_db()
    assert t.status == "done"
    assert list(Gap.objects.filter(transcript=t).values_list("start", "end", "reason")) == [
        (2.0, 4.0, "no_text")
    ]
    # The gap is not a segment: the text, the indices and the cues stay as they were.
    assert list(t.segments.values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert "Segment 1." not in t.text and "Segment 2." in t.text
    assert "-->" in formats.to_srt(transcript_document(t))
    assert formats.to_srt(transcript_document(t)).count("-->") == 5


def test_it_shows_the_gap_on_the_page(alice_client, alice, make_transcript, engine_with_a_gap):
    t = make_transcript(alice)
    page = alice_client.get(reverse("transcripts:detail", args=[t.pk])).content.decode()
    assert "0:02–0:04" in page
    assert "no text — speech the engine could not make out" in page


def test_verbose_json_lists_the_gap(alice, make_transcript, engine_with_a_gap):
    t = make_transcript(alice)
    body = json.loads(formats.render(transcript_document(t), "verbose_json"))
    assert body["gaps"] == [{"start": 2.0, "end": 4.0, "reason": "no_text", "language": ""}]
    assert len(body["segments"]) == 5
    assert "gaps" in formats.to_export_json(transcript_document(t))


def test_a_transcript_without_gaps_keeps_openai_s_shape(alice, make_transcript):
    body = formats.to_verbose_json(transcript_document(make_transcript(alice)))
    assert "gaps" not in body
    assert all("language" not in s for s in body["segments"])


def test_a_faint_gap_says_so_on_the_page_and_in_the_json(alice_client, alice, make_transcript):
    t = make_transcript(alice)
    Gap.objects.create(transcript=t, start=61.5, end=63.0, reason="faint")
    page = alice_client.get(reverse("transcripts:detail", args=[t.pk])).content.decode()
    assert "1:01–1:03" in page and "no text — faint or distant speech?" in page
    body = json.loads(formats.render(transcript_document(t), "verbose_json"))
    assert body["gaps"] == [{"start": 61.5, "end": 63.0, "reason": "faint", "language": ""}]


@pytest.fixture
def engine_hearing_laughter(settings):
    """The fake engine hears its second segment (2–4 s) as laughter, not speech."""
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"sounds": {1: "laughter"}},
        },
    }


def test_a_sound_is_named_as_captions_write_it(
    alice_client, alice, make_transcript, engine_hearing_laughter
):
    t = make_transcript(alice)
    assert list(t.gaps.values_list("start", "end", "reason", "sound")) == [
        (2.0, 4.0, "sound", "laughter")
    ]
    page = alice_client.get(reverse("transcripts:detail", args=[t.pk])).content.decode()
    assert "0:02–0:04</button> [laughter]" in page
    assert "no text" not in page
    body = json.loads(formats.render(transcript_document(t), "verbose_json"))
    assert body["gaps"] == [
        {"start": 2.0, "end": 4.0, "reason": "sound", "language": "", "sound": "laughter"}
    ]
    # Subtitles give it a cue of its own, in its place; the text holds words only.
    srt = formats.to_srt(transcript_document(t))
    assert srt.count("-->") == 6
    assert "2\n00:00:02,000 --> 00:00:04,000\n[laughter]\n" in srt
    assert "00:00:02.000 --> 00:00:04.000\n[laughter]" in formats.to_vtt(transcript_document(t))
    assert "laughter" not in t.text
