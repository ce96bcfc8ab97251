"""Voice conversation engines: speech in, spoken replies out, selected by CONVERSATION_ENGINES."""

from apps.engines.registry import BackendHandler, register_handler

from .base import ConversationBackend

conversation_backends: BackendHandler[ConversationBackend] = register_handler(
    BackendHandler("CONVERSATION_ENGINES", "CONVERSATION_ENGINE_DEFAULT")
)
