"""The contract, driven through the settings-selected handler with the fake engine."""

import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.fake import FakeTextToSpeech


@pytest.fixture
def fake(settings):
    settings.TEXT_TO_SPEECH = {
        "fake": {
            "BACKEND": "apps.engines.tts.fake.FakeTextToSpeech",
            "OPTIONS": {"max_chars": 200},
        },
    }
    settings.TEXT_TO_SPEECH_DEFAULT = "fake"
    return tts_backends.default()


def test_it_builds_the_backend_named_in_settings(fake):
    assert isinstance(fake, FakeTextToSpeech)
    assert fake.alias == "fake" and fake.max_chars == 200
    assert [v.id for v in fake.voices()] == ["low", "high"]
    assert all(v.engine == "fake" for v in fake.voices())


def test_it_yields_one_chunk_per_sentence(fake):
    chunks = list(fake.synthesize_pcm(SpeechRequest("One. Two two. Three three three.")))
    assert [c.text for c in chunks] == ["One.", "Two two.", "Three three three."]
    assert [round(c.duration, 2) for c in chunks] == [0.2, 0.4, 0.9]


def test_it_uses_the_default_voice_and_follows_speed(fake):
    slow = next(fake.synthesize_pcm(SpeechRequest("Hello.", speed=0.5)))
    fast = next(fake.synthesize_pcm(SpeechRequest("Hello.", speed=2.0)))
    assert slow.duration == pytest.approx(4 * fast.duration)


@pytest.mark.parametrize(
    "request_args",
    [
        {"text": ""},
        {"text": "x" * 201},
        {"text": "Hello.", "voice": "nobody"},
        {"text": "Hello.", "format": "ogg"},
        {"text": "Hello.", "speed": 5.0},
        {"text": "Hello.", "language": "fr"},
    ],
)
def test_it_rejects_bad_requests_before_any_audio(fake, request_args):
    with pytest.raises(ProviderError) as error:
        next(fake.synthesize_pcm(SpeechRequest(**request_args)))
    assert error.value.kind == ErrorKind.INVALID_INPUT
    assert error.value.permanent


def test_it_accepts_a_language_by_its_primary_code(fake):
    voice = fake.resolve_voice("low")
    assert fake.resolve_language(voice, "EN_us") == "en"


def test_it_reports_failures_as_provider_errors(settings):
    settings.TEXT_TO_SPEECH = {
        "broken": {
            "BACKEND": "apps.engines.tts.fake.FakeTextToSpeech",
            "OPTIONS": {"fail_with": "unavailable"},
        }
    }
    chunks = tts_backends["broken"].synthesize_pcm(SpeechRequest("One. Two."))
    assert next(chunks).text == "One."
    with pytest.raises(ProviderError) as error:
        next(chunks)
    assert error.value.kind == ErrorKind.UNAVAILABLE and not error.value.permanent
