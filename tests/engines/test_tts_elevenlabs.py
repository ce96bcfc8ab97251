"""The ElevenLabs text-to-speech backend, driven through the real `elevenlabs` SDK against a
loopback server that speaks ElevenLabs' wire format."""

import io
import socket
import time
import wave

import numpy as np
import pytest
from elevenlabs.client import ElevenLabs

from apps.engines.checks import check_engines
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import elevenlabs as elevenlabs_tts
from apps.engines.tts import tts_backends
from apps.engines.tts.base import AUDIO_FORMATS, SpeechRequest, VoiceSettings
from apps.engines.tts.elevenlabs import ElevenLabsTextToSpeech
from tests.fakes.elevenlabs_server import (
    ADAM,
    CHARLOTTE,
    RACHEL,
    SECONDS_PER_CHAR,
    encode_tone,
    voice,
)

TEXT = "Hello there. This is a short test of the speech engine."
SECONDS = len(TEXT) * SECONDS_PER_CHAR  # how long the fake makes it
STREAM = f"/v1/text-to-speech/{RACHEL}/stream"


def make_backend(server, **options) -> ElevenLabsTextToSpeech:
    options = {
        "api_key": server.api_key,
        "base_url": server.url,
        "timeout": 5.0,
        "max_retries": 0,
        **options,
    }
    return ElevenLabsTextToSpeech(alias="elevenlabs", **options)


def speak(backend, text: str = TEXT, **fields) -> bytes:
    return b"".join(backend.synthesize_encoded(SpeechRequest(text, **fields)))


def failure(backend, text: str = TEXT, **fields) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        speak(backend, text, **fields)
    return caught.value


def speech_request(server):
    [request] = [r for r in server.requests if r.path.startswith("/v1/text-to-speech/")]
    return request


@pytest.mark.parametrize(
    ("audio_format", "output_format"),
    [
        ("mp3", "mp3_44100_128"),
        ("opus", "opus_48000_64"),
        ("pcm", "pcm_24000"),
        ("wav", "pcm_24000"),
        ("flac", "pcm_24000"),
        ("aac", "pcm_24000"),
    ],
)
def test_it_speaks_every_format_as_decodable_audio(
    fake_elevenlabs, decoded_duration, audio_format, output_format
):
    audio = speak(make_backend(fake_elevenlabs), format=audio_format)

    assert decoded_duration(audio, audio_format) == pytest.approx(SECONDS, abs=0.15)
    request = speech_request(fake_elevenlabs)
    assert (request.path, request.param("output_format")) == (STREAM, output_format)
    assert request.json == {"text": TEXT, "model_id": "eleven_multilingual_v2"}
    assert request.headers["xi-api-key"] == fake_elevenlabs.api_key


def test_it_passes_native_formats_through_untouched(fake_elevenlabs):
    backend = make_backend(fake_elevenlabs)

    assert speak(backend, format="mp3") == encode_tone("mp3_44100_128", SECONDS)
    assert backend.native_formats == {"mp3", "opus", "pcm"}
    assert set(AUDIO_FORMATS) - backend.native_formats == {"wav", "flac", "aac"}


@pytest.mark.parametrize("audio_format", ["mp3", "wav"])
def test_it_streams_bytes_as_the_api_sends_them(fake_elevenlabs, audio_format):
    backend = make_backend(fake_elevenlabs)
    backend.voices()  # listed beforehand, as the portal's voice picker would have
    fake_elevenlabs.chunk_delay = 0.1  # eight pieces: the last leaves 0.8 s in
    started = time.monotonic()
    arrivals = [
        time.monotonic() - started
        for _ in backend.synthesize_encoded(SpeechRequest(TEXT, format=audio_format))
    ]

    assert len(arrivals) >= 4
    assert arrivals[0] < 0.4
    assert arrivals[-1] - arrivals[0] > 0.4


def test_it_yields_pcm_chunks_of_the_whole_text(fake_elevenlabs):
    chunks = list(make_backend(fake_elevenlabs).synthesize_pcm(SpeechRequest(TEXT)))

    assert {(c.sample_rate, c.samples.dtype) for c in chunks} == {(24_000, np.dtype(np.int16))}
    assert sum(c.duration for c in chunks) == pytest.approx(SECONDS, abs=0.01)
    assert [c.text for c in chunks] == [TEXT] + [""] * (len(chunks) - 1)
    assert speech_request(fake_elevenlabs).param("output_format") == "pcm_24000"


def test_it_lists_the_accounts_voices(fake_elevenlabs):
    voices = {v.id: v for v in make_backend(fake_elevenlabs).voices()}

    assert list(voices) == [RACHEL, ADAM, CHARLOTTE]
    rachel, charlotte = voices[RACHEL], voices[CHARLOTTE]
    assert (rachel.name, rachel.engine, rachel.gender) == ("Rachel", "elevenlabs", "female")
    assert (rachel.style, rachel.description) == ("narration", "Calm young American woman.")
    assert charlotte.languages == ("en-us", "sv")
    [search] = fake_elevenlabs.requests_to("/v2/voices")
    assert search.param("page_size") == "100"


def test_it_pages_through_a_long_voice_list(fake_elevenlabs):
    fake_elevenlabs.voices += [voice(f"v{i:03d}", f"Voice {i}", "cloned") for i in range(150)]

    voices = make_backend(fake_elevenlabs).voices()

    assert len(voices) == 153
    pages = fake_elevenlabs.requests_to("/v2/voices")
    assert [p.param("next_page_token") for p in pages] == [None, "100"]


def test_it_caches_the_voices_for_a_while(fake_elevenlabs):
    backend = make_backend(fake_elevenlabs, voices_ttl=0.3)
    backend.voices()
    speak(backend)
    speak(backend, voice=ADAM)
    assert len(fake_elevenlabs.requests_to("/v2/voices")) == 1

    time.sleep(0.35)
    backend.voices()

    assert len(fake_elevenlabs.requests_to("/v2/voices")) == 2


def test_it_finds_a_voice_made_since_the_list_was_cached(fake_elevenlabs, monkeypatch):
    monkeypatch.setattr(elevenlabs_tts, "_REFETCH_AFTER", 0.0)
    backend = make_backend(fake_elevenlabs)
    backend.voices()
    fake_elevenlabs.voices.append(voice("cl0ne", "My clone", "cloned"))

    speak(backend, voice="cl0ne")

    assert speech_request(fake_elevenlabs).path == "/v1/text-to-speech/cl0ne/stream"


def test_it_accepts_a_voice_name(fake_elevenlabs):
    speak(make_backend(fake_elevenlabs), voice="adam")

    assert speech_request(fake_elevenlabs).path == f"/v1/text-to-speech/{ADAM}/stream"


def test_it_refuses_an_unknown_voice(fake_elevenlabs):
    error = failure(make_backend(fake_elevenlabs), voice="nobody")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert "nobody" in error.message
    assert fake_elevenlabs.requests_to(STREAM) == []


def test_it_sends_speed_clamped_with_the_configured_voice_settings(fake_elevenlabs):
    backend = make_backend(fake_elevenlabs, voice_settings={"stability": 0.4})

    speak(backend, speed=2.0)

    assert speech_request(fake_elevenlabs).json["voice_settings"] == {
        "stability": 0.4,
        "speed": 1.2,
    }


def test_a_requests_voice_settings_override_the_configured_ones(fake_elevenlabs):
    backend = make_backend(fake_elevenlabs, voice_settings={"stability": 0.4, "style": 0.1})

    speak(backend, voice_settings=VoiceSettings(stability=0.9, similarity_boost=0.2))

    assert speech_request(fake_elevenlabs).json["voice_settings"] == {
        "stability": 0.9,
        "similarity_boost": 0.2,
        "style": 0.1,
    }


def test_it_makes_slower_speech_longer(fake_elevenlabs, decoded_duration):
    audio = speak(make_backend(fake_elevenlabs), format="pcm", speed=0.8)

    assert decoded_duration(audio, "pcm") == pytest.approx(SECONDS / 0.8, abs=0.01)


def test_it_tells_a_model_that_takes_one_which_language_to_speak(fake_elevenlabs):
    speak(
        make_backend(fake_elevenlabs),
        text="Guten Tag.",
        model="eleven_flash_v2_5",
        language="de-DE",
    )

    body = speech_request(fake_elevenlabs).json
    assert (body["model_id"], body["language_code"]) == ("eleven_flash_v2_5", "de")


def test_it_does_not_send_a_language_to_multilingual_v2(fake_elevenlabs):
    speak(make_backend(fake_elevenlabs), text="Guten Tag.", language="de")

    assert "language_code" not in speech_request(fake_elevenlabs).json


@pytest.mark.parametrize(
    "fields",
    [
        {"instructions": "Whisper."},
        {"model": "eleven_monolingual_v1"},
        {"speed": 5.0},
        {"format": "ogg"},
        {"text": "   "},
        {"text": "x" * 5_001, "model": "eleven_v3"},
    ],
)
def test_it_refuses_a_bad_request_without_asking_for_speech(fake_elevenlabs, fields):
    error = failure(make_backend(fake_elevenlabs), **fields)

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_elevenlabs.requests_to(STREAM) == []


def test_it_lists_its_models_the_configured_one_first(fake_elevenlabs):
    models = make_backend(fake_elevenlabs, model="eleven_flash_v2_5").models()

    assert [m.name for m in models] == ["eleven_flash_v2_5", "eleven_multilingual_v2", "eleven_v3"]
    assert [m.name for m in models if m.fast] == ["eleven_flash_v2_5"]
    assert not any(m.supports_instructions for m in models)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ErrorKind.INVALID_INPUT),
        (422, ErrorKind.INVALID_INPUT),
        (429, ErrorKind.RATE_LIMITED),
        (500, ErrorKind.UNAVAILABLE),
        (503, ErrorKind.UNAVAILABLE),
    ],
)
def test_it_maps_api_errors_to_provider_errors(fake_elevenlabs, status, kind):
    fake_elevenlabs.script(status=status, message="Scripted failure.", path=STREAM)

    error = failure(make_backend(fake_elevenlabs))

    assert (error.kind, error.message) == (kind, "ElevenLabs: Scripted failure.")


def test_it_reports_a_rejected_key_as_authentication(fake_elevenlabs):
    error = failure(make_backend(fake_elevenlabs, api_key="xi-wrong"))

    assert (error.kind, error.message) == (ErrorKind.AUTHENTICATION, "ElevenLabs: Invalid API key.")
    assert error.permanent


def test_it_reports_an_exhausted_quota_as_a_permanent_rate_limit(fake_elevenlabs):
    fake_elevenlabs.quota_exceeded = True

    error = failure(make_backend(fake_elevenlabs))

    assert error.kind == ErrorKind.RATE_LIMITED
    assert error.permanent
    assert "exceeds your quota" in error.message


def test_it_times_out_when_the_api_does_not_answer(fake_elevenlabs):
    fake_elevenlabs.script(delay=3.0, path=STREAM)

    error = failure(make_backend(fake_elevenlabs, timeout=0.3))

    assert error.kind == ErrorKind.TIMEOUT


def test_it_times_out_when_the_audio_stops_coming(fake_elevenlabs):
    fake_elevenlabs.chunk_delay = 2.0  # the headers arrive, then nothing for too long

    error = failure(make_backend(fake_elevenlabs, timeout=0.3))

    assert error.kind == ErrorKind.TIMEOUT


def test_it_reports_an_unreachable_api_as_unavailable():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    backend = ElevenLabsTextToSpeech(
        alias="elevenlabs", api_key="xi", base_url=f"http://127.0.0.1:{port}", max_retries=0
    )

    assert failure(backend).kind == ErrorKind.UNAVAILABLE


def test_it_reports_a_configuration_problem_without_a_key(fake_elevenlabs):
    backend = make_backend(fake_elevenlabs, api_key="")

    assert "ELEVENLABS_API_KEY" in backend.configuration_problem()
    assert failure(backend, voice=RACHEL).kind == ErrorKind.AUTHENTICATION
    assert fake_elevenlabs.requests == []
    assert make_backend(fake_elevenlabs).configuration_problem() is None


def test_it_reports_an_unknown_default_model_as_a_configuration_problem(fake_elevenlabs):
    assert (
        "eleven_monolingual_v1"
        in make_backend(fake_elevenlabs, model="eleven_monolingual_v1").configuration_problem()
    )
    assert make_backend(fake_elevenlabs, model="eleven_v3").configuration_problem() is None


def test_it_warns_in_the_system_check_without_a_key(settings):
    settings.TEXT_TO_SPEECH = {
        "elevenlabs": {
            "BACKEND": "apps.engines.tts.elevenlabs.ElevenLabsTextToSpeech",
            "OPTIONS": {},
        }
    }

    [warning] = [m for m in check_engines() if "TEXT_TO_SPEECH" in m.msg]

    assert warning.id == "engines.W001"
    assert "ELEVENLABS_API_KEY" in warning.msg


def test_it_loads_from_settings_and_builds_the_client_once(settings, fake_elevenlabs):
    settings.TEXT_TO_SPEECH = {
        "elevenlabs": {
            "BACKEND": "apps.engines.tts.elevenlabs.ElevenLabsTextToSpeech",
            "OPTIONS": {"api_key": fake_elevenlabs.api_key, "base_url": fake_elevenlabs.url},
        }
    }
    backend = tts_backends["elevenlabs"]
    speak(backend)
    client = backend.client

    speak(backend)

    assert isinstance(backend, ElevenLabsTextToSpeech)
    assert backend.client is client
    assert len(fake_elevenlabs.requests_to(STREAM)) == 2


# --- The fake itself, as the SDK sees it ---------------------------------------------------


@pytest.fixture
def client(fake_elevenlabs):
    return ElevenLabs(api_key=fake_elevenlabs.api_key, base_url=fake_elevenlabs.url)


def test_the_fake_converts_to_a_whole_wav_file(client, fake_elevenlabs):
    audio = b"".join(client.text_to_speech.convert(RACHEL, text=TEXT, output_format="wav_16000"))

    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16_000, 1)
        assert wav.getnframes() / 16_000 == pytest.approx(SECONDS, abs=0.01)
    assert fake_elevenlabs.requests[-1].path == f"/v1/text-to-speech/{RACHEL}"


@pytest.mark.parametrize("output_format", ["mp3_22050_32", "opus_48000_128"])
def test_the_fake_streams_other_output_formats(client, decoded_duration, output_format):
    audio = b"".join(client.text_to_speech.stream(RACHEL, text=TEXT, output_format=output_format))

    assert decoded_duration(audio, output_format) == pytest.approx(SECONDS, abs=0.15)


def test_the_fake_streams_telephone_mu_law(client):
    audio = b"".join(client.text_to_speech.stream(RACHEL, text=TEXT, output_format="ulaw_8000"))

    assert len(audio) == int(SECONDS * 8000)  # one byte a sample


def test_the_fake_lists_models_as_a_bare_array(client):
    models = client.models.list()

    assert [m.model_id for m in models] == [
        "eleven_multilingual_v2",
        "eleven_flash_v2_5",
        "eleven_v3",
    ]
    assert models[0].can_do_text_to_speech
