"""Which stock voices a custom voice may be matched to: the samples' language, found by Whisper
on the recording, decides; native voices of it come before accented ones; never another
language."""

import pytest
from django.conf import settings as django_settings

from apps.engines.tts.espeak import EspeakBackend
from apps.engines.tts.flite import FliteBackend
from apps.engines.tts.kokoro import KokoroBackend
from apps.engines.tts.piper import PiperBackend
from apps.engines.voice.match import candidates_for_language
from apps.voices.services import match_candidates, sample_language


@pytest.fixture(scope="module")
def stock():
    kokoro = KokoroBackend(alias="kokoro", model_cache=django_settings.VOICEPORTAL_MODEL_CACHE)
    piper, flite = PiperBackend(alias="piper"), FliteBackend(alias="flite")
    return {
        "english": [(piper, v) for v in piper.voices()] + [(flite, v) for v in flite.voices()],
        "accented": [(kokoro, v) for v in kokoro.voices()],
    }


def ids(candidates) -> set[str]:
    return {f"{b.alias}:{v.id}" for b, v in candidates}


def test_english_samples_never_get_an_accented_voice_while_a_native_one_exists(stock):
    chosen = candidates_for_language(stock["english"] + stock["accented"], "en")
    assert ids(chosen) == {"piper:joe", "flite:slt", "flite:rms", "flite:awb"}


def test_accented_voices_are_used_when_no_native_one_exists(stock):
    assert ids(candidates_for_language(stock["accented"], "en")) == ids(stock["accented"])


def test_no_voice_of_another_language_is_a_candidate(stock):
    assert candidates_for_language(stock["english"] + stock["accented"], "fr") == []
    assert len(candidates_for_language(stock["english"], "")) == 4  # unknown: all


def test_a_language_no_candidate_speaks_falls_back_to_espeak(settings):
    settings.VOICEPORTAL_MATCH_CANDIDATES = ["piper", "flite:slt"]
    french = candidates_for_language(match_candidates(language="fr"), "fr")
    assert ids(french) and all(b.alias == "espeak" and v.id.startswith("fr") for b, v in french)
    assert all(isinstance(b, EspeakBackend) for b, _ in french)
    assert ids(match_candidates(language="en")) == {
        "piper:joe", "flite:slt",
    }  # fmt: skip


def test_the_samples_language_comes_from_the_recording(corpus):
    # English is found in test_build.py's voice, made end to end.
    assert sample_language(corpus / "cheetah_fr.wav") == "fr"
