"""Words said from IPA phonemes: checked by ear with tiny.en, and the IPA helpers."""

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.engines.stt.local import load_model
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.espeak import EspeakBackend
from apps.engines.tts.kokoro import KokoroBackend
from apps.engines.tts.phonemes import (
    InvalidPhonemes,
    espeak_phonemes,
    normalize,
    phonemize_with,
    respell,
)
from apps.engines.tts.piper import PiperBackend
from apps.engines.voice.embed import resample

TEXT = "Some tomato soup, please."
# "tomato" said as "potato": a listener (tiny.en) hears the other word.
POTATO = (("Tomato", "pəˈteɪɾoʊ"),)


@pytest.fixture(scope="module")
def hear():
    model = load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=1)

    def hear(backend, lexicon) -> str:
        request = SpeechRequest(TEXT, format="pcm", lexicon=lexicon, short_first=False)
        chunks = list(backend.synthesize_pcm(request))
        audio = resample(np.concatenate([c.as_float32() for c in chunks]), chunks[0].sample_rate)
        segments, _ = model.transcribe(audio, language="en", beam_size=1)
        return " ".join(s.text for s in segments).lower()

    return hear


def test_piper_says_the_word_from_the_phonemes_given(hear):
    piper = PiperBackend(alias="piper", cpu_threads=1, noise_scale=0, noise_w_scale=0)
    assert "tomato" in hear(piper, ())
    heard = hear(piper, POTATO)
    assert "potato" in heard and "soup" in heard


@pytest.mark.parametrize(
    "backend",
    [
        lambda: EspeakBackend(alias="espeak"),
        lambda: KokoroBackend(
            alias="kokoro", cpu_threads=1, model_cache=django_settings.VOICEPORTAL_MODEL_CACHE
        ),
    ],
    ids=["espeak", "kokoro"],
)
def test_espeak_and_kokoro_say_it_from_the_phonemes_too(hear, backend):
    heard = hear(backend(), POTATO)
    assert "potato" in heard and "soup" in heard


def test_the_rest_of_the_sentence_keeps_its_punctuation():
    said = phonemize_with("We ate tomato, then soup.", POTATO, lambda text: f"<{text.strip()}>")
    assert said == "<We ate> pəˈteɪɾoʊ, <then soup.>"


def test_ipa_is_normalized_and_symbols_the_voices_cannot_say_are_named():
    assert normalize(" /ˈtɑ:gɛt/ ") == "ˈtɑːɡɛt"  # ASCII : and g, slashes, spaces
    assert normalize("t͡ʃɝ") == "tʃɜː"
    with pytest.raises(InvalidPhonemes, match="“ʘ” \\(U\\+0298\\)"):
        normalize("ʘa")
    with pytest.raises(InvalidPhonemes, match="Give the word's phonemes"):
        normalize("ˈ")


def test_respellings_and_espeak_names_are_made_from_ipa():
    assert respell("nəˈvɛʁ") == "nuh-VAIR"
    assert respell("pəˈteɪɾoʊ") == "puh-TAY-toh"
    assert espeak_phonemes("nəˈvɛʁ") == "n@'vEr"
