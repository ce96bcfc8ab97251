"""POST /v1/audio/speech through the official openai SDK against the running portal."""

import base64
import json

import openai
import pytest
from openai import OpenAI

from apps.api.speech import OPENAI_VOICES, voice_for
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts.fake import FakeTextToSpeech
from apps.speech import streaming
from apps.speech.models import Generation

from .conftest import THREE_SENTENCES, decoded_seconds

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The test server is WSGI: it gathers the async stream first (daphne streams it).
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume"),
]

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "pcm": "audio/pcm",
}


@pytest.mark.parametrize("audio_format", list(CONTENT_TYPES))
def test_each_format_decodes_to_speech_of_plausible_length(openai_client, audio_format):
    with openai_client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="echo", input=THREE_SENTENCES, response_format=audio_format
    ) as response:
        assert response.headers["content-type"] == CONTENT_TYPES[audio_format]
        data = response.read()
    seconds = decoded_seconds(data, audio_format)
    # Piper's Joe reads about 14 characters a second at speed 1.
    assert 0.03 * len(THREE_SENTENCES) < seconds < 0.12 * len(THREE_SENTENCES)
    g = Generation.objects.get()
    assert (g.source, g.model, g.voice_id, g.format) == ("api", "tts-1", "piper:joe", audio_format)
    assert g.status == "done" and g.duration == pytest.approx(seconds, abs=0.1)
    assert response.headers["x-generation-id"] == str(g.pk)


def test_stream_to_file_writes_the_audio(openai_client, tmp_path):
    target = tmp_path / "speech.mp3"
    with openai_client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="onyx", input="Hello from the portal.", speed=1.25
    ) as response:
        response.stream_to_file(target)
    seconds = decoded_seconds(target.read_bytes(), "mp3")
    assert 0.6 < seconds < 3.0
    assert Generation.objects.get().speed == 1.25


def test_the_plain_create_returns_the_bytes(openai_client):
    audio = openai_client.audio.speech.create(
        model="tts-1", voice="piper:joe", input="Short.", response_format="wav"
    )
    assert audio.content[:4] == b"RIFF" and decoded_seconds(audio.content, "wav") > 0.2


def test_it_sends_sse_deltas_then_done(openai_client):
    with openai_client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="ash",
        input=THREE_SENTENCES,
        response_format="pcm",
        stream_format="sse",
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in response.iter_lines() if line]
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert usage["input_tokens"] > 0 and usage["total_tokens"] > usage["input_tokens"]
    pcm = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert len(pcm) == Generation.objects.get().audio_size
    assert decoded_seconds(pcm, "pcm") == pytest.approx(Generation.objects.get().duration, abs=0.05)


def test_it_speaks_with_a_custom_voice_by_id_or_object(openai_client, alice_voice):
    for voice in (alice_voice.public_id, {"id": alice_voice.public_id}):
        audio = openai_client.audio.speech.create(
            model="tts-1", voice=voice, input="Hello there.", response_format="flac"
        )
        assert decoded_seconds(audio.content, "flac") > 0.3
    assert Generation.objects.filter(voice_id=alice_voice.public_id).count() == 2


def test_voice_settings_stability_decides_whether_readings_vary(openai_client):
    """ElevenLabs' voice_settings through the SDK's extra_body: Piper's stability is its
    sampling noise (none at 1: every reading the same; the test engine has none by default)."""

    def read(**settings):
        return openai_client.audio.speech.create(
            model="tts-1",
            voice="echo",
            input="Every reading of this sentence sounds a little different.",
            response_format="pcm",
            extra_body={"voice_settings": settings},
        ).content

    assert read(stability=0.0) != read(stability=0.0)
    assert read(stability=1.0) == read(stability=1.0)
    stored = Generation.objects.order_by("created_at").values_list("voice_settings", flat=True)
    assert list(stored) == [{"stability": 0.0}] * 2 + [{"stability": 1.0}] * 2


def test_bob_cannot_use_alices_voice(live_server, bob_key, alice_voice):
    bob = OpenAI(base_url=f"{live_server.url}/v1", api_key=bob_key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        bob.audio.speech.create(model="tts-1", voice={"id": alice_voice.public_id}, input="Hi.")
    assert caught.value.body["param"] == "voice"
    assert "Unknown voice" in caught.value.body["message"]


@pytest.mark.parametrize(
    "kwargs,param,message",
    [
        ({"input": ""}, "input", "There is no text to speak."),
        ({"input": "x" * 4097}, "input", "the limit is 4,096"),
        ({"voice": "nobody"}, "voice", "Unknown voice 'nobody'"),
        ({"voice": {"id": "voice_0123"}}, "voice", "Unknown voice 'voice_0123'"),
        ({"response_format": "ogg"}, "response_format", "Unknown format 'ogg'"),
        ({"speed": 4.5}, "speed", "between 0.25 and 4.0"),
        ({"model": "tts-2"}, "model", "Unknown model 'tts-2'"),
        ({"stream_format": "chunks"}, "stream_format", "stream_format must be"),
        (
            {"extra_body": {"voice_settings": {"stability": 1.5}}},
            "voice_settings.stability",
            "must be a number from 0 to 1",
        ),
        ({"extra_body": {"voice_settings": "calm"}}, "voice_settings", "must be an object"),
    ],
)
def test_it_answers_bad_requests_in_openais_shape(openai_client, kwargs, param, message):
    request = {"model": "tts-1", "voice": "echo", "input": "Hello."} | kwargs
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.audio.speech.create(**request)
    error = caught.value.body
    assert error["param"] == param and message in error["message"]
    assert error["type"] == "invalid_request_error"
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert not Generation.objects.exists()


def test_it_answers_401_for_a_wrong_key(live_server):
    client = OpenAI(base_url=f"{live_server.url}/v1", api_key="vp-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.audio.speech.create(model="tts-1", voice="echo", input="Hello.")


def test_it_reports_an_engine_failure_before_any_audio(openai_client, fake_tts, monkeypatch):
    def speak(*args, **kwargs):
        raise ProviderError("The engine is down.", kind=ErrorKind.UNAVAILABLE)

    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client.audio.speech.create(model="fake", voice="fake:low", input="Hello.")
    assert caught.value.status_code == 503
    assert caught.value.body["message"] == "The engine is down."
    assert caught.value.body["code"] == "unavailable"
    assert Generation.objects.get().status == "failed"


def test_the_models_list_has_the_speech_models(openai_client, fake_tts):
    ids = {m.id for m in openai_client.models.list()}
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "piper", "kokoro", "espeak"} <= ids
    assert "whisper-1" in ids  # transcription models are still there
    assert openai_client.models.retrieve("tts-1-hd").id == "tts-1-hd"


def test_api_generations_appear_in_the_history(openai_client, alice_client):
    openai_client.audio.speech.create(model="tts-1", voice="echo", input="From the API.")
    page = alice_client.get("/speech/").content.decode()
    assert "From the API." in page and '<span class="tag">API</span>' in page


def test_openai_voices_map_to_local_voices_by_gender():
    assert voice_for("tts-1", "onyx") == "piper:joe"
    assert voice_for("tts-1-hd", "onyx") == "kokoro:jm_kumo"
    assert voice_for("gpt-4o-mini-tts", "nova") == "kokoro:jf_nezumi"
    assert voice_for("kokoro", "echo") == "kokoro:jm_kumo"  # an engine named as the model
    assert voice_for("tts-1", "voice_abc") == "voice_abc"  # ids pass through
    for gender, fast, hd in OPENAI_VOICES.values():
        for voice in (fast, hd):
            if gender in ("male", "female"):
                engine, _, name = voice.partition(":")
                assert name.startswith({"male": "jm_", "female": "jf_"}[gender]) or (
                    voice == "piper:joe" and gender == "male"
                )


def test_an_unconfigured_engine_falls_back_to_the_default(settings):
    from django.conf import settings as django_settings

    settings.TEXT_TO_SPEECH = {"piper": django_settings.TEXT_TO_SPEECH["piper"]}
    assert voice_for("tts-1-hd", "nova") == "piper:joe"


def test_it_gives_up_when_no_worker_takes_the_job(openai_client, queued, monkeypatch):
    monkeypatch.setattr(streaming, "STALL_SECONDS", 0.3)
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client.audio.speech.create(model="tts-1", voice="echo", input="Hello.")
    assert caught.value.status_code == 504
    assert "is a speech worker running?" in caught.value.body["message"]
