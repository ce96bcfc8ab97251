"""eSpeak NG specifics: the voice list from the installed program, variants, other languages."""

import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.espeak import EspeakBackend


@pytest.fixture(scope="module")
def espeak():
    return EspeakBackend(alias="espeak")


def test_it_lists_over_a_hundred_languages(espeak):
    languages = {v.id for v in espeak.voices() if "+" not in v.id}
    assert len(languages) >= 100
    assert {"en-us", "en-gb", "fr-fr", "de", "cmn", "ja"} <= languages


def test_it_lists_variants_for_the_chosen_languages(espeak):
    variants = [v for v in espeak.voices() if v.id.startswith("en-us+")]
    assert len(variants) > 20
    f3 = espeak.resolve_voice("en-us+f3")
    assert f3.gender == "female" and f3.languages == ("en-us",)


def test_it_accepts_a_variant_on_any_language(espeak):
    voice = espeak.resolve_voice("de+m3")
    assert voice.id == "de+m3" and voice.languages == ("de",)
    assert espeak.resolve_voice("de+nobody") is None


def test_it_speaks_another_language(espeak):
    chunks = list(
        espeak.synthesize_pcm(SpeechRequest("Bonjour. Comment allez-vous ?", voice="fr-fr"))
    )
    assert len(chunks) == 2 and all(c.duration > 0.4 for c in chunks)


def test_it_refuses_a_language_the_voice_does_not_speak(espeak):
    with pytest.raises(ProviderError) as error:
        list(espeak.synthesize_pcm(SpeechRequest("Hallo.", voice="fr-fr", language="de")))
    assert error.value.kind == ErrorKind.INVALID_INPUT


def test_it_reports_a_missing_program():
    backend = EspeakBackend(alias="gone", executable="/nonexistent/espeak-ng")
    assert "not installed" in backend.configuration_problem()
    with pytest.raises(ProviderError) as error:
        backend.voices()
    assert error.value.kind == ErrorKind.UNAVAILABLE
