"""Streaming encoders: every response format decodes to audio of the right length, and bytes
leave after every chunk rather than at the end."""

import io

import av
import numpy as np
import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts.base import AUDIO_FORMATS, AudioChunk
from apps.engines.tts.encode import OUTPUT_RATE, StreamEncoder, encode_stream


def tone(seconds, rate=22_050, dtype=np.float32):
    t = np.arange(int(seconds * rate)) / rate
    samples = 0.3 * np.sin(2 * np.pi * 220 * t)
    if dtype == np.int16:
        return AudioChunk((samples * 32767).astype(np.int16), rate)
    return AudioChunk(samples.astype(np.float32), rate)


def decoded_seconds(data: bytes, audio_format: str) -> float:
    if audio_format == "pcm":
        return len(data) / 2 / OUTPUT_RATE
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.rate


@pytest.mark.parametrize("audio_format", AUDIO_FORMATS)
def test_it_encodes_each_format_to_the_right_duration(audio_format):
    chunks = [tone(1.0), tone(0.5, rate=24_000, dtype=np.int16), tone(1.25, rate=16_000)]
    data = b"".join(encode_stream(chunks, audio_format))
    # Codecs pad to whole frames (mp3 and aac add up to ~60 ms).
    assert decoded_seconds(data, audio_format) == pytest.approx(2.75, abs=0.08)


@pytest.mark.parametrize("audio_format", AUDIO_FORMATS)
def test_it_yields_bytes_after_each_chunk(audio_format):
    encoder = StreamEncoder(audio_format)
    sizes = [len(encoder.feed(tone(1.0))) for _ in range(3)]
    sizes.append(len(encoder.close()))
    assert all(size > 0 for size in sizes[:3]), sizes


def test_it_writes_a_wav_header_that_needs_no_length():
    data = b"".join(encode_stream([tone(0.5)], "wav"))
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert data[40:44] == b"\xff\xff\xff\xff"  # "unknown": the header went out first
    assert len(data) == 44 + int(0.5 * OUTPUT_RATE) * 2


def test_it_writes_raw_pcm_like_openai():
    data = b"".join(encode_stream([tone(1.0, rate=OUTPUT_RATE)], "pcm"))
    samples = np.frombuffer(data, "<i2")
    assert len(samples) == OUTPUT_RATE
    assert 0.29 < np.abs(samples).max() / 32767 < 0.31


def test_it_rejects_an_unknown_format():
    with pytest.raises(ProviderError) as error:
        StreamEncoder("ogg")
    assert error.value.kind == ErrorKind.INVALID_INPUT
