"""A language detected with a low probability (one the model barely knows: Scottish Gaelic came
out as German at 0.24) is shown as unsure where the user sees the language: the page's label and
verbose_json."""

import json

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from apps.transcripts import formats
from apps.transcripts.selectors import transcript_document

pytestmark = pytest.mark.django_db(transaction=True)

UNSURE = "unsure: choose the language and transcribe again"


@pytest.fixture
def engine_unsure_of_language(settings):
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"language_probability": 0.24},
        },
    }


def _page(client, t) -> str:
    return client.get(reverse("transcripts:detail", args=[t.pk])).content.decode()


def test_a_language_detected_unsure_is_shown_so(
    alice_client, alice, make_transcript, engine_unsure_of_language
):
    t = make_transcript(alice)  # jfk.flac: 11 s, language detected
    assert UNSURE in _page(alice_client, t)
    t.refresh_from_db()  # the job stored the detection
    body = json.loads(formats.render(transcript_document(t), "verbose_json"))
    assert body["language"] == "english" and body["language_unsure"] is True


def test_a_language_the_user_gave_is_not_doubted(
    alice_client, alice, make_transcript, engine_unsure_of_language
):
    assert UNSURE not in _page(alice_client, make_transcript(alice, language="en"))


def test_a_language_detected_surely_is_not_doubted(alice_client, alice, make_transcript):
    sure = make_transcript(alice)  # the fake engine's detection: 0.99
    assert UNSURE not in _page(alice_client, sure)
    sure.refresh_from_db()
    assert "language_unsure" not in formats.to_verbose_json(transcript_document(sure))
