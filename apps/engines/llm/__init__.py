"""Language models (chat completions), selected by LANGUAGE_MODELS aliases."""

from apps.engines.registry import BackendHandler, register_handler

from .base import LanguageModelBackend

llm_backends: BackendHandler[LanguageModelBackend] = register_handler(
    BackendHandler("LANGUAGE_MODELS", "LANGUAGE_MODEL_DEFAULT")
)
