"""Speech heard in another language than the one asked for: its segments carry the flag and the
language heard on the page, in the API's verbose_json (extension fields) and on the command
line; the words stay as the engine wrote them."""

import json

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from apps.transcripts import formats, services
from apps.transcripts.selectors import transcript_document

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engine_hearing_spanish(settings):
    """The fake engine hears its first two segments (0–4 s) in Spanish."""
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"heard_in": {0: "es", 1: "es"}},
        },
    }


def test_the_page_names_the_language_heard(
    alice_client, alice, make_transcript, engine_hearing_spanish
):
    t = make_transcript(alice, language="en")
    page = alice_client.get(reverse("transcripts:detail", args=[t.pk])).content.decode()
    assert page.count("Another language? (Spanish)") == 2
    assert "the words are most likely a translation" in page  # the filter button explains it
    assert "Segment 0." in page  # the words stay


def test_verbose_json_gives_the_flag_and_the_language_heard(
    alice, make_transcript, engine_hearing_spanish
):
    t = make_transcript(alice, language="en")
    body = json.loads(formats.render(transcript_document(t), "verbose_json"))
    heard = [(s["flags"], s.get("heard_language")) for s in body["segments"]]
    assert heard[:3] == [(["other_language"], "es"), (["other_language"], "es"), ([], None)]
    assert body["flagged_segments"] == 2


def test_working_the_flags_out_again_keeps_what_was_heard(
    alice, make_transcript, engine_hearing_spanish
):
    t = make_transcript(alice, language="en")
    services.segments_flag(transcript=t)
    assert list(t.segments.values_list("flags", flat=True))[:3] == [
        ["other_language"],
        ["other_language"],
        [],
    ]


def test_the_command_line_shows_the_flag(corpus, engine_hearing_spanish, capsys):
    call_command(
        "transcribe",
        str(corpus / "jfk.flac"),
        *("--engine", "fake", "--model", "fake", "--language", "en", "--format", "verbose_json"),
    )
    first = json.loads(capsys.readouterr().out)["segments"][0]
    assert first["flags"] == ["other_language"] and first["heard_language"] == "es"
