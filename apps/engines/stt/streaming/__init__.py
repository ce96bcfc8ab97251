"""Streaming speech-to-text: audio in as it is spoken, partial and final text out."""

from apps.engines.registry import BackendHandler, register_handler

from .base import StreamingSpeechToTextBackend

streaming_backends: BackendHandler[StreamingSpeechToTextBackend] = register_handler(
    BackendHandler("STREAMING_SPEECH_TO_TEXT", "STREAMING_SPEECH_TO_TEXT_DEFAULT")
)
