"""What the cloud engines share: they send the whole text in one request and get audio bytes
back, either in the format the portal asked for or as raw PCM to turn into chunks (or encode)."""

from collections.abc import Iterable, Iterator

import numpy as np

from ..errors import ErrorKind, ProviderError
from .base import AudioChunk
from .encode import encode_stream

# Raw PCM arrives in network-sized pieces (a few ms each); chunks this long are worth a consumer's
# while and still start playback early.
MIN_CHUNK_SECONDS = 0.1


def check_text(text: str, *, max_chars: int) -> str:
    """The text to send, stripped; INVALID_INPUT when empty or longer than `max_chars`."""
    stripped = text.strip()
    if not stripped:
        raise ProviderError("There is no text to speak.", kind=ErrorKind.INVALID_INPUT)
    if len(stripped) > max_chars:
        raise ProviderError(
            f"The text is {len(stripped):,} characters long; the limit is {max_chars:,}. "
            "Split it into several requests.",
            kind=ErrorKind.INVALID_INPUT,
        )
    return stripped


def pcm_chunks(data: Iterable[bytes], *, sample_rate: int, text: str) -> Iterator[AudioChunk]:
    """Chunks of int16 mono PCM from raw 16-bit little-endian bytes cut anywhere. The whole text
    rides on the first chunk: a provider does not say which words each piece holds."""
    pending = b""
    least = 2 * int(sample_rate * MIN_CHUNK_SECONDS)
    for piece in data:
        pending += piece
        if len(pending) >= least:
            usable = len(pending) - len(pending) % 2
            yield AudioChunk(_samples(pending[:usable]), sample_rate, text)
            pending, text = pending[usable:], ""
    usable = len(pending) - len(pending) % 2
    if usable:
        yield AudioChunk(_samples(pending[:usable]), sample_rate, text)


def encode_pcm(
    data: Iterable[bytes], *, sample_rate: int, text: str, audio_format: str
) -> Iterator[bytes]:
    """Raw PCM bytes encoded into `audio_format` as they arrive (for formats a provider lacks)."""
    return encode_stream(pcm_chunks(data, sample_rate=sample_rate, text=text), audio_format)


def _samples(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.int16)
