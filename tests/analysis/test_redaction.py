import io
import json
import wave
from dataclasses import asdict

import numpy as np
import pytest
from django.urls import reverse

from apps.analysis.models import AnalysisRun
from apps.analysis.options import analysis_options_validate
from apps.analysis.redaction import pii_spans, redacted_text
from apps.analysis.services import analyses_start
from apps.core.media import decode_all
from apps.engines.analysis.base import Entity
from apps.engines.stt.align import spread_words
from apps.transcripts.models import Segment

SAID = [
    " My name is John Smith and I live in Chicago.",
    " Call me at 555-123-4567 tomorrow.",
    " My email is john.smith@example.com, thanks.",
    " The card number is 4111 1111 1111 1111.",
    " Mary Johnson works for Microsoft in Seattle.",
    " Nothing personal here.",
]


def redact(text, entities=()):
    return redacted_text(text, pii_spans(text, entities))


def test_patterns_find_emails_phones_cards_and_addresses():
    assert redact("Write to ann.lee+x@mail.example.org today") == "Write to [EMAIL] today"
    assert redact("it's bob at example dot com") == "it's [EMAIL]"
    assert redact("Ring +44 20 7946 0958 or (555) 123-4567.") == "Ring [PHONE] or [PHONE]."
    assert redact("Card 4111-1111-1111-1111 expires") == "Card [CARD_NUMBER] expires"
    assert redact("I live at 221 Baker Street now") == "I live at [ADDRESS] now"


def test_ordinary_numbers_stay():
    text = "In 1961 about 300 people paid 25.50 each, 3 times."
    assert redact(text) == text


def test_every_mention_of_a_found_entity_goes_and_the_longest_wins():
    entities = (Entity("John Smith", "PERSON", 0, 10, 0, 1), Entity("John", "PERSON", 0, 4, 0, 1))
    text = "John Smith met john later. Johnson stays."
    assert redact(text, entities) == "[PERSON] met [PERSON] later. Johnson stays."
    assert redact("on Monday", (Entity("Monday", "DATE", 0, 6, 0, 1),)) == "on Monday"


@pytest.fixture
def personal(alice, make_transcript, settings):
    """A transcript whose words hold personal details, with the real entities analysis run."""
    t = make_transcript(alice)
    for segment, text in zip(t.segments.order_by("index"), SAID, strict=True):
        words = [asdict(w) for w in spread_words(text, segment.start, segment.end)]
        Segment.objects.filter(pk=segment.pk).update(text=text, words=words)
    settings.TRANSCRIPT_ANALYSIS_DEFAULT = "local"
    analyses_start(transcript=t, options=analysis_options_validate(kinds=["entities"]))
    return t


@pytest.mark.django_db(transaction=True)
def test_a_redacted_export_holds_no_entity_text_and_the_original_stays(alice_client, personal):
    run = AnalysisRun.objects.get(transcript=personal, kind="entities")
    names = {e["text"] for e in run.result if e["type"] in ("PERSON", "GPE", "ORG")}
    assert {"John Smith", "Chicago", "Mary Johnson"} <= names  # spaCy found them
    secrets = names | {"555-123-4567", "john.smith@example.com", "4111 1111 1111 1111"}

    for fmt in ("txt", "srt", "vtt", "json", "docx"):
        body = alice_client.get(reverse("analysis:redacted", args=[personal.pk, fmt])).content
        if fmt == "docx":
            from docx import Document

            body = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs).encode()
        text = body.decode()
        assert not [s for s in secrets if s.lower() in text.lower()], fmt
        assert "[PERSON]" in text and "[PHONE]" in text and "[EMAIL]" in text, fmt
        assert "[CARD_NUMBER]" in text and "Nothing personal here." in text, fmt

    exported = json.loads(
        alice_client.get(reverse("analysis:redacted", args=[personal.pk, "json"])).content
    )
    assert exported["entities"] == [] and exported["keywords"] == []
    original = alice_client.get(reverse("transcripts:export", args=[personal.pk, "txt"]))
    assert "John Smith" in original.content.decode()


@pytest.mark.django_db(transaction=True)
def test_redacted_audio_covers_those_words_and_nothing_else(alice_client, personal, corpus):
    url = reverse("analysis:redacted_audio", args=[personal.pk])
    response = alice_client.get(url, {"silence": "1"})
    assert response.status_code == 200
    with wave.open(io.BytesIO(b"".join(response.streaming_content))) as wav:
        covered = np.frombuffer(wav.readframes(wav.getnframes()), "<i2") / 32768
    original = decode_all(corpus / "jfk.flac")
    assert len(covered) == len(original)
    name = next(
        w for w in Segment.objects.get(transcript=personal, index=0).words if "John" in w["word"]
    )
    inside = slice(int(name["start"] * 16000) + 800, int(name["end"] * 16000) - 800)
    assert not covered[inside].any() and np.abs(original[inside]).max() > 0.05
    last = Segment.objects.get(transcript=personal, index=5)  # nothing personal said there
    outside = slice(int((last.start + 0.1) * 16000), int(last.end * 16000))  # past the margin
    assert np.abs(covered[outside] - original[outside]).max() < 1e-3


@pytest.mark.django_db(transaction=True)
def test_another_user_gets_404_and_anonymous_users_log_in(
    bob_client, client, alice, make_transcript
):
    t = make_transcript(alice)
    for url in (
        reverse("analysis:redacted", args=[t.pk, "txt"]),
        reverse("analysis:redacted_audio", args=[t.pk]),
    ):
        assert bob_client.get(url).status_code == 404
        assert client.get(url).status_code == 302
