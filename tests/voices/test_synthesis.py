"""voice_synthesize_pcm: stock voices through their engine, matched voices reshaped, clones
through the cloud engine with the provider's voice id."""

import numpy as np
import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import SpeechRequest
from apps.voices.selectors import voice_resolve
from apps.voices.services import voice_synthesize_pcm

pytestmark = pytest.mark.django_db
TEXT = "The weather is nice today. We walk in the park."


def speak(user, voice_id, text=TEXT, **request):
    voice = voice_resolve(user=user, voice_id=voice_id)
    return list(voice_synthesize_pcm(voice=voice, request=SpeechRequest(text, **request)))


def test_a_stock_voice_speaks_sentence_by_sentence(alice):
    chunks = speak(alice, "fake:high", voice="ignored: the resolved voice decides")
    assert [c.text for c in chunks] == ["The weather is nice today.", "We walk in the park."]
    direct = list(tts_backends["fake"].synthesize_pcm(SpeechRequest(TEXT, voice="high")))
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(chunks, direct, strict=True))


def test_a_real_engine_speaks_a_stock_voice(alice):
    chunks = speak(alice, "espeak:de", "Guten Morgen. Wie geht es dir?")
    assert len(chunks) == 2 and all(c.duration > 0.3 for c in chunks)


def test_a_matched_voice_is_the_stock_voice_reshaped(alice, ready_voice):
    voice = ready_voice(alice)
    chunks = speak(alice, voice.public_id)
    stock = speak(alice, "fake:low")
    assert [c.text for c in chunks] == [c.text for c in stock]
    assert all(abs(a.duration - b.duration) < 0.05 for a, b in zip(chunks, stock, strict=True))
    n = min(len(chunks[0].samples), len(stock[0].samples))
    assert not np.allclose(chunks[0].as_float32()[:n], stock[0].as_float32()[:n], atol=1e-3)


def test_a_clone_speaks_through_the_cloud_engine(alice, ready_voice, cloning):
    cloning()
    voice = ready_voice(
        alice, cloud_engine="fake", cloud_tts_engine="fake", cloud_voice_id="high",
        cloud_status="done",
    )  # fmt: skip
    chunks = speak(alice, voice.public_id)
    direct = list(tts_backends["fake"].synthesize_pcm(SpeechRequest(TEXT, voice="high")))
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(chunks, direct, strict=True))


def test_bad_requests_fail_like_the_engine(alice):
    with pytest.raises(ProviderError) as error:
        speak(alice, "fake:low", format="ogg")
    assert error.value.kind == ErrorKind.INVALID_INPUT
