"""OpenAI's transcription model names, mapped to this portal's models.

The table is settings.VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS (documented in docs/api.md). Every
endpoint that takes such a name resolves it here: /v1/audio/transcriptions and /translations,
and /v1/realtime's `transcription.model`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from apps.engines.stt import stt_backends

ENDPOINTS = {"transcriptions", "translations", "realtime"}
USAGES = {"tokens", "duration"}


@dataclass(frozen=True)
class TranscriptionModel:
    name: str  # as the client sent it
    engine: str  # a SPEECH_TO_TEXT alias
    model: str  # the engine's model; empty: its default
    usage: str  # how OpenAI reports usage for it: "tokens" or "duration"
    speakers: bool = False  # the speakers analysis runs too (gpt-4o-transcribe-diarize)


def transcription_model_resolve(name: str, *, endpoint: str) -> TranscriptionModel:
    """The model an OpenAI client means by `name` on `endpoint`: a name of the table, or a model
    of the default engine by its own name ("base"). Raises ValidationError on "model" for a name
    that is unknown, or that OpenAI does not accept on that endpoint."""
    engine = stt_backends.default_alias
    entry = _table().get(name)
    if entry is not None and endpoint in entry["ENDPOINTS"]:
        own = name in _engine_models(engine)
        return TranscriptionModel(
            name=name,
            engine=engine,
            model=name if own else entry.get("MODEL", ""),
            usage=entry["USAGE"],
            speakers=entry.get("SPEAKERS", False),
        )
    if entry is None and name and name in _engine_models(engine):
        return TranscriptionModel(name=name, engine=engine, model=name, usage="duration")
    known = ", ".join(transcription_model_names(endpoint=endpoint))
    if entry is not None:
        message = f"The model {name!r} is not available for {endpoint}; choose one of: {known}."
    else:
        message = f"Unknown model {name!r}; choose one of: {known}."
    raise ValidationError({"model": message})


def transcription_model_names(*, endpoint: str) -> list[str]:
    """Every name `endpoint` takes: the table's, then the default engine's own."""
    table = [n for n, entry in _table().items() if endpoint in entry["ENDPOINTS"]]
    return list(dict.fromkeys([*table, *_engine_models(stt_backends.default_alias)]))


def _engine_models(engine: str) -> list[str]:
    return [m.name for m in stt_backends[engine].models()]


def _table() -> dict[str, dict]:
    table = settings.VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS
    for name, entry in table.items():
        if not set(entry["ENDPOINTS"]) <= ENDPOINTS or entry["USAGE"] not in USAGES:
            raise ImproperlyConfigured(
                f"VOICEPORTAL_OPENAI_TRANSCRIPTION_MODELS[{name!r}]: ENDPOINTS take "
                f"{sorted(ENDPOINTS)}, USAGE one of {sorted(USAGES)}."
            )
    return table
