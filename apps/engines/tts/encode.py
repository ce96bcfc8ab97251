"""Streaming encoders: PCM chunks in, bytes of the response format out as soon as they exist.

Every format is mono at OUTPUT_RATE, like OpenAI's speech API, so `pcm` is what its clients
expect (raw 24 kHz 16-bit little-endian). WAV is written with "unknown length" sizes so its
header can go out before the audio is known; decoders read such a file to its end.
"""

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import av
import numpy as np

from ..errors import ErrorKind, ProviderError
from .base import AUDIO_FORMATS, AudioChunk

OUTPUT_RATE = 24_000


@dataclass(frozen=True)
class _Container:
    muxer: str
    codec: str
    bit_rate: int = 0
    options: tuple[tuple[str, str], ...] = ()


_CONTAINERS = {
    "mp3": _Container("mp3", "libmp3lame", 64_000),
    # Ogg pages are cut every 100 ms (not once a second), so bytes leave with each sentence.
    "opus": _Container("ogg", "libopus", 32_000, (("page_duration", "100000"),)),
    "flac": _Container("flac", "flac"),
    "aac": _Container("adts", "aac", 64_000),
}

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "pcm": "audio/pcm",
}

FILE_EXTENSIONS = {
    "mp3": "mp3",
    "wav": "wav",
    "opus": "ogg",
    "flac": "flac",
    "aac": "aac",
    "pcm": "pcm",
}


def encode_stream(chunks: Iterable[AudioChunk], audio_format: str) -> Iterator[bytes]:
    """Encode `chunks` into `audio_format`, yielding bytes after every chunk (never empty)."""
    encoder = StreamEncoder(audio_format)
    for chunk in chunks:
        data = encoder.feed(chunk)
        if data:
            yield data
    data = encoder.close()
    if data:
        yield data


class StreamEncoder:
    """Fed chunk by chunk; each call returns the bytes that became ready."""

    def __init__(self, audio_format: str):
        if audio_format not in AUDIO_FORMATS:
            raise ProviderError(f"Unknown format {audio_format!r}.", kind=ErrorKind.INVALID_INPUT)
        self.format = audio_format
        self._resamplers: dict[int, av.AudioResampler] = {}
        self._header_sent = False
        self._codec = (
            _CodecWriter(_CONTAINERS[audio_format]) if audio_format in _CONTAINERS else None
        )

    def feed(self, chunk: AudioChunk) -> bytes:
        pcm = self._to_output_rate(chunk)
        if self._codec:
            return self._codec.write(pcm)
        return self._raw_header() + pcm.tobytes()

    def close(self) -> bytes:
        if self._codec:
            return self._codec.close()
        tail = self._raw_header()
        for resampler in self._resamplers.values():
            for frame in resampler.resample(None):
                tail += frame.to_ndarray().astype("<i2").tobytes()
        return tail

    def _raw_header(self) -> bytes:
        if self._header_sent or self.format != "wav":
            return b""
        self._header_sent = True
        return streaming_wav_header(OUTPUT_RATE)

    def _to_output_rate(self, chunk: AudioChunk) -> np.ndarray:
        """Int16 mono samples at OUTPUT_RATE."""
        samples = np.clip(chunk.as_float32(), -1.0, 1.0)
        if chunk.sample_rate == OUTPUT_RATE:
            return np.round(samples * 32767).astype("<i2")
        resampler = self._resamplers.get(chunk.sample_rate)
        if resampler is None:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=OUTPUT_RATE)
            self._resamplers[chunk.sample_rate] = resampler
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = chunk.sample_rate
        out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        return np.concatenate(out).astype("<i2") if out else np.zeros(0, "<i2")


def streaming_wav_header(rate: int) -> bytes:
    unknown = 0xFFFFFFFF
    return (
        b"RIFF"
        + struct.pack("<I", unknown)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", unknown)
    )


class _Sink:
    """A write-only file for PyAV: having no seek, muxers never go back to patch headers."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


class _CodecWriter:
    """One PyAV output container over a _Sink, fed int16 PCM at OUTPUT_RATE."""

    def __init__(self, spec: _Container):
        self.sink = _Sink()
        options = {"flush_packets": "1", **dict(spec.options)}
        self.container = av.open(self.sink, "w", format=spec.muxer, options=options)
        self.stream = self.container.add_stream(spec.codec, rate=OUTPUT_RATE)
        self.stream.layout = "mono"
        if spec.bit_rate:
            self.stream.bit_rate = spec.bit_rate
        self.container.start_encoding()
        context = self.stream.codec_context
        self.frame_size = context.frame_size or 4096
        self.resampler = av.AudioResampler(
            format=context.format.name, layout="mono", rate=OUTPUT_RATE
        )
        self.fifo = av.AudioFifo()
        self.pts = 0

    def write(self, pcm: np.ndarray) -> bytes:
        if len(pcm):
            frame = av.AudioFrame.from_ndarray(pcm[np.newaxis, :], format="s16", layout="mono")
            frame.sample_rate = OUTPUT_RATE
            for converted in self.resampler.resample(frame):
                self.fifo.write(converted)
            while self.fifo.samples >= self.frame_size:
                self._encode(self.fifo.read(self.frame_size))
        return self.sink.drain()

    def close(self) -> bytes:
        for converted in self.resampler.resample(None):
            self.fifo.write(converted)
        if self.fifo.samples:
            self._encode(self.fifo.read())
        self._encode(None)
        self.container.close()
        return self.sink.drain()

    def _encode(self, frame: av.AudioFrame | None) -> None:
        if frame is not None:
            frame.pts = self.pts
            self.pts += frame.samples
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
