from apps.engines.registry import BackendHandler, register_handler

from .base import CloningBackend

cloning_backends: BackendHandler[CloningBackend] = register_handler(
    BackendHandler("VOICE_CLONING", "VOICE_CLONING_DEFAULT")
)
