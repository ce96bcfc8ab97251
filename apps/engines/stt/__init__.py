from apps.engines.registry import BackendHandler, register_handler

from .base import SpeechToTextBackend

stt_backends: BackendHandler[SpeechToTextBackend] = register_handler(
    BackendHandler("SPEECH_TO_TEXT", "SPEECH_TO_TEXT_DEFAULT")
)
