"""What a live session is asked for, from the page's query string, validated once."""

from urllib.parse import parse_qs

from apps.engines.stt.languages import LANGUAGES
from apps.engines.stt.streaming import streaming_backends

from .services import LiveError, LiveParams


def live_params_validate(*, language: str = "", model: str = "", transcript_id: str = "",
                         source: str = "web") -> LiveParams:  # fmt: skip
    """Raises LiveError for an unknown language or model."""
    engine = streaming_backends.default_alias
    if language and language not in LANGUAGES:
        raise LiveError(f"Unknown language code {language!r}.", code="invalid_language")
    info = streaming_backends[engine].resolve_model(model)
    if info is None:
        raise LiveError(f"Unknown model {model!r}.", code="invalid_model")
    if language and language != "en" and not info.multilingual:
        raise LiveError(f"{info.name} understands English only.", code="invalid_language")
    if transcript_id and not _is_uuid(transcript_id):
        raise LiveError("No live recording of yours has this id.", code="not_found")
    return LiveParams(engine=engine, model=info.name, language=language,
                      transcript_id=transcript_id, source=source)  # fmt: skip


def from_query(query_string: bytes) -> LiveParams:
    query = {k: v[0] for k, v in parse_qs(query_string.decode("latin-1")).items()}
    return live_params_validate(
        language=query.get("language", ""),
        model=query.get("model", ""),
        transcript_id=query.get("transcript", ""),
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
