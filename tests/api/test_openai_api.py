"""The official openai SDK against the running portal, as users' code would call it."""

import json

import openai
import pytest
from openai import OpenAI

from apps.transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True)

JFK_WORDS = ("fellow americans", "ask not what your country can do for you")


def _transcribe(client, corpus, **kwargs):
    with open(corpus / "jfk.flac", "rb") as f:
        return client.audio.transcriptions.create(
            model=kwargs.pop("model", "whisper-1"), file=f, **kwargs
        )


def test_it_answers_json_by_default(openai_client, corpus):
    result = _transcribe(openai_client, corpus)
    assert all(w in result.text.lower() for w in JFK_WORDS)


def test_it_answers_verbose_json_with_words_and_segments(openai_client, corpus):
    result = _transcribe(
        openai_client,
        corpus,
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
    )
    assert result.language == "english"
    assert result.duration == pytest.approx(11.0, abs=0.1)
    assert len(result.segments) >= 1 and result.segments[0].start >= 0
    assert result.segments[-1].end <= 11.1
    words = [w.word.lower().strip(",.") for w in result.words]
    assert "americans" in words
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)


def test_it_leaves_out_words_unless_asked(openai_client, corpus):
    result = _transcribe(openai_client, corpus, response_format="verbose_json")
    assert result.segments and not getattr(result, "words", None)


@pytest.mark.parametrize("fmt,marker", [("text", None), ("srt", " --> "), ("vtt", "WEBVTT")])
def test_it_answers_text_formats(openai_client, corpus, fmt, marker):
    result = _transcribe(openai_client, corpus, response_format=fmt)
    assert isinstance(result, str)
    assert "ask not what your country" in result.lower()
    if marker:
        assert marker in result


def test_it_translates(openai_client, corpus):
    with open(corpus / "cheetah_fr.wav", "rb") as f:
        result = openai_client.audio.translations.create(
            model="base", file=f, response_format="verbose_json"
        )
    assert result.language == "english"
    assert result.text.strip()
    assert result.segments


def test_it_streams_deltas_then_done(openai_client, corpus):
    with open(corpus / "jfk.flac", "rb") as f:
        stream = openai_client.audio.transcriptions.create(model="tiny.en", file=f, stream=True)
        events = list(stream)
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    done = [e for e in events if e.type == "transcript.text.done"]
    assert deltas and len(done) == 1
    assert "".join(deltas).strip() == done[0].text
    assert "ask not what your country" in done[0].text.lower()


def test_it_lists_models(openai_client):
    ids = {m.id for m in openai_client.models.list()}
    assert {"whisper-1", "base", "tiny.en"} <= ids
    assert openai_client.models.retrieve("tiny.en").id == "tiny.en"


def test_it_puts_api_transcripts_in_the_owners_library(openai_client, corpus, alice, bob):
    _transcribe(openai_client, corpus)
    transcript = Transcript.objects.get()
    assert transcript.owner == alice and transcript.source == "api"
    assert transcript.status == "done"


def test_it_rejects_a_wrong_key(live_server, corpus):
    client = OpenAI(base_url=f"{live_server.url}/v1", api_key="vp-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        _transcribe(client, corpus)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_it_rejects_a_revoked_key(live_server, alice, corpus):
    from apps.api.models import ApiKey
    from apps.api.services import api_key_create, api_key_revoke

    key, raw = api_key_create(owner=alice, name="old")
    api_key_revoke(owner=alice, key_id=key.pk)
    assert ApiKey.objects.get(pk=key.pk).revoked_at
    client = OpenAI(base_url=f"{live_server.url}/v1", api_key=raw, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


@pytest.mark.parametrize(
    "kwargs,param",
    [
        ({"response_format": "diarized_xml"}, "response_format"),
        ({"language": "xx"}, "language"),
        ({"model": "whisper-9"}, "model"),
        ({"model": "tiny.en", "language": "fr"}, "language"),
    ],
)
def test_it_rejects_bad_parameters(openai_client, corpus, kwargs, param):
    with pytest.raises(openai.BadRequestError) as info:
        _transcribe(openai_client, corpus, **kwargs)
    assert info.value.body["param"] == param


def test_it_rejects_a_file_that_is_not_audio(openai_client):
    with pytest.raises(openai.BadRequestError) as info:
        openai_client.audio.transcriptions.create(
            model="whisper-1", file=("notes.mp3", b"these are my notes, not audio", "audio/mpeg")
        )
    assert "not audio" in info.value.message.lower() or "decod" in info.value.message.lower()
    assert not Transcript.objects.exists()


def test_it_rejects_a_request_without_a_file(live_server, alice_key):
    import httpx

    response = httpx.post(
        f"{live_server.url}/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {alice_key}"},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_it_rejects_an_upload_over_the_limit(openai_client, corpus, settings):
    settings.VOICEPORTAL_MAX_UPLOAD_BYTES = 100_000
    with pytest.raises(openai.APIStatusError) as info:
        _transcribe(openai_client, corpus)
    assert info.value.status_code == 413
    assert not Transcript.objects.exists()
    # The server keeps serving.
    assert openai_client.models.list().data


def test_it_reports_an_engine_failure_as_an_error(live_server, alice_key, corpus, settings):
    settings.SPEECH_TO_TEXT = {
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"fail_with": "unavailable"},
        }
    }
    settings.SPEECH_TO_TEXT_DEFAULT = "fake"
    client = OpenAI(base_url=f"{live_server.url}/v1", api_key=alice_key, max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        _transcribe(client, corpus)
    assert info.value.status_code == 503
    assert "fake engine failed" in json.dumps(info.value.body)
