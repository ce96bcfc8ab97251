"""Encoding music (stereo float32) into files and ElevenLabs' `output_format`s, and decoding a
provider's audio back to PCM. PyAV's bundled FFmpeg does the codecs."""

import io
import re
import wave
from dataclasses import dataclass

import av
import numpy as np

from ..errors import ErrorKind, ProviderError

CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm", "opus": "audio/ogg"}
# ElevenLabs' names: mp3_44100_128, pcm_16000, wav_44100, opus_48000_64.
_OUTPUT_FORMAT = re.compile(r"^(mp3|pcm|wav|opus)_(\d+)(?:_(\d+))?$")
_RATES = {8000, 16000, 22050, 24000, 32000, 44100, 48000}
_MP3_KBPS = {32, 48, 64, 96, 128, 192}
_OPUS_KBPS = {32, 64, 96, 128, 192}
_PIECE = 1152 * 32  # samples per frame handed to the encoder: whole MP3 frames


@dataclass(frozen=True)
class OutputFormat:
    codec: str  # mp3, pcm, wav or opus
    sample_rate: int
    kbps: int = 0

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.codec]

    @property
    def name(self) -> str:
        kbps = f"_{self.kbps}" if self.kbps else ""
        return f"{self.codec}_{self.sample_rate}{kbps}"


def output_format_parse(name: str) -> OutputFormat:
    """An ElevenLabs `output_format` ("mp3_44100_128"); INVALID_INPUT for one it does not list."""
    match = _OUTPUT_FORMAT.fullmatch(name or "")
    valid = False
    if match:
        codec, rate, kbps = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        valid = (
            (codec == "mp3" and rate in (22050, 24000, 44100) and kbps in _MP3_KBPS)
            or (codec == "opus" and rate == 48000 and kbps in _OPUS_KBPS)
            or (codec in ("pcm", "wav") and rate in _RATES and not kbps)
        )
    if not valid:
        raise ProviderError(
            f"Unknown output_format {name!r}; use e.g. mp3_44100_128, mp3_44100_192, "
            "pcm_44100, wav_44100 or opus_48000_128.",
            kind=ErrorKind.INVALID_INPUT,
        )
    return OutputFormat(codec, rate, kbps)


def encode(samples: np.ndarray, sample_rate: int, output: OutputFormat) -> bytes:
    """`samples` (frames × channels, float32) in `output`'s codec and rate."""
    samples = _resample(samples, sample_rate, output.sample_rate)
    if output.codec in ("pcm", "wav"):
        # Raw PCM is mono 16-bit little-endian, as ElevenLabs sends it; WAV keeps the channels.
        pcm = samples.mean(axis=1, keepdims=True) if output.codec == "pcm" else samples
        data = _int16(pcm).tobytes()
        return data if output.codec == "pcm" else _wav(data, pcm.shape[1], output.sample_rate)
    if output.codec == "mp3":
        # LAME's quality 7 encodes about three times faster than its default, with no
        # difference worth hearing at these bit rates (the WAV is the master copy).
        options = {"compression_level": "7"}
        return _encode(
            samples, output.sample_rate, "mp3", "libmp3lame", output.kbps * 1000, options
        )
    return _encode(samples, output.sample_rate, "ogg", "libopus", output.kbps * 1000)


def encode_file(samples: np.ndarray, sample_rate: int, file_format: str) -> bytes:
    """The library's files: "wav" (16-bit, the engine's rate) or "mp3" (192 kbps)."""
    if file_format == "wav":
        return _wav(_int16(samples).tobytes(), samples.shape[1], sample_rate)
    rate = sample_rate if sample_rate in (32000, 44100, 48000) else 44100
    return encode(samples, sample_rate, OutputFormat("mp3", rate, 192))


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Any audio PyAV reads, as stereo float32 frames and its sample rate."""
    try:
        with av.open(io.BytesIO(data)) as media:
            stream = media.streams.audio[0]
            rate = stream.codec_context.sample_rate or 44100
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=rate)
            pieces = [
                out.to_ndarray().reshape(-1, 2)
                for frame in media.decode(stream)
                for out in resampler.resample(frame)
            ]
            pieces += [out.to_ndarray().reshape(-1, 2) for out in resampler.resample(None)]
    except (av.FFmpegError, IndexError) as exc:
        raise ProviderError(
            f"The provider's audio could not be read: {exc}", kind=ErrorKind.INTERNAL
        ) from exc
    if not pieces:
        raise ProviderError("The provider sent no audio.", kind=ErrorKind.INTERNAL)
    return np.concatenate(pieces).astype(np.float32), rate


def _int16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")


def _wav(data: bytes, channels: int, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data)
    return out.getvalue()


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    from scipy.signal import resample_poly

    g = np.gcd(rate, target)
    return resample_poly(samples, target // g, rate // g, axis=0).astype(np.float32)


def _encode(
    samples: np.ndarray, rate: int, muxer: str, codec: str, bit_rate: int, options=None
) -> bytes:
    out = io.BytesIO()
    layout = "stereo" if samples.shape[1] == 2 else "mono"
    with av.open(out, "w", format=muxer) as media:
        stream = media.add_stream(codec, rate=rate, layout=layout, options=options or {})
        if bit_rate:
            stream.bit_rate = bit_rate
        # In pieces: one frame of a whole song makes the encoder's queue crawl (minutes for ten
        # minutes of music) and copies it several times over.
        for start in range(0, len(samples), _PIECE):
            planar = np.ascontiguousarray(samples[start : start + _PIECE].T, dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                media.mux(packet)
        for packet in stream.encode(None):
            media.mux(packet)
    return out.getvalue()
