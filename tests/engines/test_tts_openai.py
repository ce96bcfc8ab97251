"""The OpenAI text-to-speech backend, driven through the real `openai` SDK against a loopback
server that speaks OpenAI's wire format."""

import socket
import time

import numpy as np
import pytest

from apps.engines.checks import check_engines
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import AUDIO_FORMATS, SpeechRequest
from apps.engines.tts.openai import OpenAITextToSpeech
from tests.fakes.openai_server import silence

SPEECH = "/v1/audio/speech"
# Eleven words: the fake speaks 0.3 s a word, so 3.3 s of audio.
TEXT = "Hello there. This is a short test of the speech engine."
SECONDS = 3.3


def make_backend(server, **options) -> OpenAITextToSpeech:
    options = {
        "api_key": server.api_key,
        "base_url": server.url,
        "timeout": 5.0,
        "max_retries": 0,
        **options,
    }
    return OpenAITextToSpeech(alias="openai", **options)


def speak(backend, text: str = TEXT, **fields) -> bytes:
    return b"".join(backend.synthesize_encoded(SpeechRequest(text, **fields)))


def failure(backend, text: str = TEXT, **fields) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        speak(backend, text, **fields)
    return caught.value


def sent(server) -> dict:
    [request] = server.requests_to(SPEECH)
    return request.json


@pytest.mark.parametrize("audio_format", AUDIO_FORMATS)
def test_it_speaks_every_format_as_decodable_audio(fake_openai, decoded_duration, audio_format):
    audio = speak(make_backend(fake_openai), format=audio_format)

    assert decoded_duration(audio, audio_format) == pytest.approx(SECONDS, abs=0.15)
    assert sent(fake_openai) == {
        "model": "gpt-4o-mini-tts",
        "voice": "marin",
        "input": TEXT,
        "response_format": audio_format,
    }


def test_it_passes_the_provider_bytes_through_untouched(fake_openai):
    backend = make_backend(fake_openai)

    assert speak(backend, format="flac") == silence("flac", 0.3 * 11)
    assert backend.native_formats == set(AUDIO_FORMATS)


def test_it_streams_bytes_as_the_api_sends_them(fake_openai):
    fake_openai.speech_chunk_delay = 0.1  # eight pieces: the last leaves 0.8 s in
    started = time.monotonic()
    arrivals = [
        time.monotonic() - started
        for _ in make_backend(fake_openai).synthesize_encoded(SpeechRequest(TEXT, format="mp3"))
    ]

    assert len(arrivals) >= 4
    assert arrivals[0] < arrivals[-1] / 2  # the first piece long before the last
    assert arrivals[-1] - arrivals[0] > 0.4


def test_it_yields_pcm_chunks_of_the_whole_text(fake_openai):
    chunks = list(make_backend(fake_openai).synthesize_pcm(SpeechRequest(TEXT, format="mp3")))

    assert {(c.sample_rate, c.samples.dtype) for c in chunks} == {(24_000, np.dtype(np.int16))}
    assert sum(c.duration for c in chunks) == pytest.approx(SECONDS, abs=0.01)
    assert [c.text for c in chunks] == [TEXT] + [""] * (len(chunks) - 1)
    assert sent(fake_openai)["response_format"] == "pcm"


def test_it_sends_instructions_and_speed_to_gpt_4o_mini_tts(fake_openai):
    speak(make_backend(fake_openai), voice="coral", instructions="Cheerful.", speed=1.5)

    assert sent(fake_openai) | {"input": ""} == {
        "model": "gpt-4o-mini-tts",
        "voice": "coral",
        "input": "",
        "instructions": "Cheerful.",
        "speed": 1.5,
        "response_format": "mp3",
    }


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd"])
def test_it_refuses_instructions_for_the_tts_1_models(fake_openai, model):
    error = failure(make_backend(fake_openai), model=model, instructions="Whisper.")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert "gpt-4o-mini-tts" in error.message
    assert fake_openai.requests == []


def test_it_refuses_a_newer_voice_for_tts_1(fake_openai):
    error = failure(make_backend(fake_openai), model="tts-1", voice="marin")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert "alloy" in error.message
    assert fake_openai.requests == []


def test_it_falls_back_to_a_voice_tts_1_speaks(fake_openai):
    speak(make_backend(fake_openai), model="tts-1-hd")

    assert (sent(fake_openai)["model"], sent(fake_openai)["voice"]) == ("tts-1-hd", "alloy")


@pytest.mark.parametrize(
    "fields",
    [
        {"voice": "rachel"},
        {"model": "tts-2"},
        {"speed": 5.0},
        {"format": "ogg"},
        {"language": "xx"},
        {"text": "   "},
        {"text": "word " * 1000},
    ],
)
def test_it_refuses_a_bad_request_without_calling_the_api(fake_openai, fields):
    error = failure(make_backend(fake_openai), **fields)

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_openai.requests == []


def test_it_lists_models_with_instructions_only_on_gpt_4o_mini_tts(fake_openai):
    models = make_backend(fake_openai, model="tts-1").models()

    assert [m.name for m in models] == ["tts-1", "gpt-4o-mini-tts", "tts-1-hd"]
    assert [m.name for m in models if m.supports_instructions] == ["gpt-4o-mini-tts"]
    assert [m.name for m in models if m.fast] == ["tts-1"]


def test_it_lists_thirteen_voices(fake_openai):
    voices = make_backend(fake_openai).voices()

    assert {v.id for v in voices} == {
        "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
        "nova", "sage", "shimmer", "verse", "marin", "cedar",
    }  # fmt: skip
    assert {v.engine for v in voices} == {"openai"}


def test_it_speaks_the_language_of_the_text(fake_openai):
    speak(make_backend(fake_openai), text="Bonjour à tous.", language="fr-FR")

    assert sent(fake_openai)["input"] == "Bonjour à tous."


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ErrorKind.INVALID_INPUT),
        (429, ErrorKind.RATE_LIMITED),
        (500, ErrorKind.UNAVAILABLE),
        (503, ErrorKind.UNAVAILABLE),
    ],
)
def test_it_maps_api_errors_to_provider_errors(fake_openai, status, kind):
    fake_openai.script(status=status, message="Scripted failure.")

    error = failure(make_backend(fake_openai))

    assert (error.kind, error.message) == (kind, "OpenAI: Scripted failure.")


def test_it_reports_a_rejected_key_as_authentication(fake_openai):
    error = failure(make_backend(fake_openai, api_key="sk-wrong"))

    assert error.kind == ErrorKind.AUTHENTICATION
    assert error.permanent


def test_it_times_out_when_the_api_does_not_answer(fake_openai):
    fake_openai.script(delay=3.0)

    error = failure(make_backend(fake_openai, timeout=0.3))

    assert error.kind == ErrorKind.TIMEOUT
    assert not error.permanent


def test_it_times_out_when_the_audio_stops_coming(fake_openai):
    fake_openai.speech_chunk_delay = 2.0  # the headers arrive, then nothing for too long

    error = failure(make_backend(fake_openai, timeout=0.3))

    assert (error.kind, error.message) == (ErrorKind.TIMEOUT, "OpenAI stopped sending audio.")


def test_it_reports_an_unreachable_api_as_unavailable():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    backend = OpenAITextToSpeech(
        alias="openai", api_key="sk", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )

    assert failure(backend).kind == ErrorKind.UNAVAILABLE


def test_it_reports_a_configuration_problem_without_a_key(fake_openai):
    backend = make_backend(fake_openai, api_key="")

    assert "OPENAI_API_KEY" in backend.configuration_problem()
    assert failure(backend).kind == ErrorKind.AUTHENTICATION
    assert fake_openai.requests == []
    assert make_backend(fake_openai).configuration_problem() is None


def test_it_reports_an_unknown_default_model_as_a_configuration_problem(fake_openai):
    assert "tts-2" in make_backend(fake_openai, model="tts-2").configuration_problem()
    assert make_backend(fake_openai, model="tts-1-hd").configuration_problem() is None


def test_it_warns_in_the_system_check_without_a_key(settings):
    settings.TEXT_TO_SPEECH = {
        "openai": {"BACKEND": "apps.engines.tts.openai.OpenAITextToSpeech", "OPTIONS": {}}
    }

    [warning] = [m for m in check_engines() if "TEXT_TO_SPEECH" in m.msg]

    assert warning.id == "engines.W001"
    assert "OPENAI_API_KEY" in warning.msg


def test_it_loads_from_settings_and_builds_the_client_once(settings, fake_openai):
    settings.TEXT_TO_SPEECH = {
        "openai": {
            "BACKEND": "apps.engines.tts.openai.OpenAITextToSpeech",
            "OPTIONS": {"api_key": fake_openai.api_key, "base_url": fake_openai.url},
        }
    }
    backend = tts_backends["openai"]
    speak(backend)
    client = backend.client

    speak(backend)

    assert isinstance(backend, OpenAITextToSpeech)
    assert backend.client is client
    assert len(fake_openai.requests_to(SPEECH)) == 2
