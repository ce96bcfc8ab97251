"""Checks the transcription options a user or API client asked for, in one place."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from apps.engines.stt import stt_backends
from apps.engines.stt.languages import LANGUAGES


@dataclass(frozen=True)
class TranscriptionOptions:
    engine: str
    model: str
    language: str = ""  # empty: detect
    task: str = "transcribe"
    prompt: str = ""
    temperature: float = 0.0
    logprobs: bool = False  # keep each token's log probability (the API's include=logprobs)


def options_validate(
    *,
    engine: str = "",
    model: str = "",
    language: str = "",
    task: str = "transcribe",
    prompt: str = "",
    temperature: float = 0.0,
    logprobs: bool = False,
) -> TranscriptionOptions:
    """Resolve defaults and aliases; raise ValidationError keyed by field for what is wrong."""
    engine = engine or stt_backends.default_alias
    if engine not in stt_backends:
        raise ValidationError({"engine": f"Unknown engine {engine!r}."})
    backend = stt_backends[engine]
    info = backend.resolve_model(model)
    if info is None:
        names = ", ".join(m.name for m in backend.models())
        raise ValidationError({"model": f"Unknown model {model!r}; choose one of: {names}."})
    language = (language or "").strip().lower()
    if language and language not in LANGUAGES:
        raise ValidationError({"language": f"Unknown language code {language!r}."})
    if language and language != "en" and not info.multilingual:
        raise ValidationError(
            {"language": f"{info.label} understands English only; choose a multilingual model."}
        )
    if task not in ("transcribe", "translate"):
        raise ValidationError({"task": f"Unknown task {task!r}."})
    if task == "translate" and not (backend.supports_translation and info.multilingual):
        raise ValidationError({"task": f"{info.label} cannot translate."})
    if not 0.0 <= temperature <= 1.0:
        raise ValidationError({"temperature": "Temperature must be between 0 and 1."})
    if logprobs and not backend.supports_logprobs:
        raise ValidationError({"logprobs": f"{backend.label} gives no log probabilities."})
    return TranscriptionOptions(
        engine=engine,
        model=info.name,
        language=language,
        task=task,
        prompt=prompt.strip(),
        temperature=temperature,
        logprobs=logprobs,
    )


def engine_choices() -> list[tuple[str, str]]:
    return [(alias, stt_backends[alias].label) for alias in stt_backends.aliases()]


def model_choices() -> list[tuple[str, str]]:
    seen, choices = set(), []
    for backend in stt_backends.all():
        for model in backend.models():
            if model.name not in seen:
                seen.add(model.name)
                choices.append((model.name, model.label))
    return choices
