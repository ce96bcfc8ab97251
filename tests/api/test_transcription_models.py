"""The table of OpenAI's transcription model names, as every endpoint resolves it."""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from apps.api.transcription_models import transcription_model_resolve


@pytest.fixture
def openai_engine(settings):
    """OpenAI's own engine as the default: it has some of the names itself."""
    settings.SPEECH_TO_TEXT = {
        "openai": {
            "BACKEND": "apps.engines.stt.openai.OpenAISpeechToText",
            "OPTIONS": {"api_key": "sk-test"},
        }
    }
    settings.SPEECH_TO_TEXT_DEFAULT = "openai"


def test_it_maps_a_name_to_the_local_model_of_the_table():
    resolved = transcription_model_resolve("gpt-4o-mini-transcribe", endpoint="transcriptions")
    assert (resolved.engine, resolved.model, resolved.usage) == ("local", "", "tokens")
    assert not resolved.speakers


def test_it_takes_the_engines_own_model_names():
    resolved = transcription_model_resolve("base", endpoint="translations")
    assert (resolved.model, resolved.usage) == ("base", "duration")


def test_the_diarize_name_asks_for_speakers():
    resolved = transcription_model_resolve("gpt-4o-transcribe-diarize", endpoint="transcriptions")
    assert resolved.speakers


def test_it_serves_the_realtime_endpoint_with_openais_names_there():
    assert transcription_model_resolve("gpt-4o-transcribe", endpoint="realtime").model == ""
    with pytest.raises(ValidationError):
        transcription_model_resolve("gpt-4o-transcribe-diarize", endpoint="realtime")


def test_an_engine_with_the_name_gets_it_unchanged(openai_engine):
    assert transcription_model_resolve("gpt-4o-transcribe", endpoint="transcriptions").model == (
        "gpt-4o-transcribe"
    )
    dated = transcription_model_resolve("gpt-4o-mini-transcribe-2025-12-15", endpoint="realtime")
    assert dated.model == ""


def test_a_wrong_table_fails_loudly(settings):
    settings.VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS = {
        "whisper-1": {"MODEL": "", "ENDPOINTS": ["transcription"], "USAGE": "duration"}
    }
    with pytest.raises(ImproperlyConfigured):
        transcription_model_resolve("whisper-1", endpoint="transcriptions")
