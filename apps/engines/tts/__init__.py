from apps.engines.registry import BackendHandler, register_handler

from .base import TextToSpeechBackend

tts_backends: BackendHandler[TextToSpeechBackend] = register_handler(
    BackendHandler("TEXT_TO_SPEECH", "TEXT_TO_SPEECH_DEFAULT")
)
