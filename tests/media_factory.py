"""Makes real media files for tests with PyAV (FFmpeg): tones, silence, video, broken files."""

import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from apps.core.media import decode_all


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def silence(path: Path, seconds: float) -> Path:
    return write_wav(path, np.zeros(int(seconds * 16_000), dtype=np.float32))


def tone(path: Path, seconds: float, freq: float = 440.0) -> Path:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return write_wav(path, 0.3 * np.sin(2 * np.pi * freq * t))


def video_with_speech(path: Path, speech: Path, *, with_audio: bool = True) -> Path:
    """An mp4 with a moving-colour video track and (optionally) the speech as AAC audio."""
    audio = decode_all(speech)
    seconds = len(audio) / 16_000
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = out.add_stream("aac", rate=16_000) if with_audio else None
        if sound is not None:
            sound.layout = "mono"
        for i in range(int(seconds * 10)):
            img = np.full((120, 160, 3), (i * 7) % 255, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            _encode_audio(out, sound, audio)
    return path


def _encode_audio(out, stream, audio: np.ndarray) -> None:
    frame_size = 1024
    for i in range(0, len(audio), frame_size):
        chunk = audio[i : i + frame_size].astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16_000, i, Fraction(1, 16_000)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def truncated(path: Path, source: Path, fraction: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def split_sentence_in_second_half(path: Path, corpus: Path) -> Path:
    """65 s: 33 s of speech (jfk, two LibriSpeech clips), a second of digital silence (where two
    lanes' parts meet), then falcon_3spk with 8 s of digital silence put in at 6.4 s, at the end
    of its " This": tiny.en writes that word apart, before the silence, a piece of the segment
    split at the pause (engines/stt/pauses.py) that runs on after it."""
    rate = 16_000
    names = ("jfk.flac", "libri_2412-153948-0000.flac", "libri_2412-153948-0001.flac")
    falcon = decode_all(corpus / "falcon_3spk.wav")
    at = int(6.4 * rate)
    parts = [decode_all(corpus / n) for n in names]
    parts += [np.zeros(rate, np.float32), falcon[:at], np.zeros(8 * rate, np.float32), falcon[at:]]
    return write_wav(path, np.concatenate(parts))


def two_people_at_once(path: Path, corpus: Path, seconds: float = 3.0) -> Path:
    """16.5 s: eagle_spk1_utt1, eagle_spk2_test starting `seconds` before the first ends."""
    first = decode_all(corpus / "eagle_spk1_utt1.wav")
    second = decode_all(corpus / "eagle_spk2_test.wav")
    shift = int(seconds * 16_000)
    audio = np.zeros(len(first) + len(second) - shift, dtype=np.float32)
    audio[: len(first)] += first
    audio[len(first) - shift :] += second
    return write_wav(path, audio / max(1.0, float(np.abs(audio).max())))
