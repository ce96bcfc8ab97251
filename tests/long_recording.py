"""A long recording of real speech made from the shared corpus, with its reference transcript.

Corpus clips that have a human reference are joined in a shuffled order with short pauses, and
every few minutes one clip is played several times in a row: real audio that repeats a
sentence, the pattern a decoder conditioned on its own text can fall into and never leave.
The file is written as it is built (16-bit WAV), so an hour never sits in memory.
"""

import random
import wave
from pathlib import Path

import numpy as np

from apps.core.media import SAMPLE_RATE, decode_all

# Clips with a human reference (MANIFEST.tsv), by file name.
CLIPS = {
    "jfk.flac": "jfk.txt",
    "librivox_sns_0870.wav": "librivox_sns_0870.txt",
    "librivox_sns_0890.wav": "librivox_sns_0890.txt",
    "libri_2412-153948-0000.flac": "libri_2412-153948-0000.txt",
    "falcon_3spk.wav": "falcon_3spk.txt",
    "cheetah_en.wav": "cheetah_en.txt",
}


def build(
    path: Path,
    corpus: Path,
    *,
    seconds: float,
    seed: int,
    clips: tuple[str, ...] = tuple(CLIPS),
    repeat_every: float = 360.0,
    repeat_times: int = 4,
) -> list[tuple[float, str]]:
    """Writes about `seconds` of speech to `path` (WAV); returns what it says: each clip's
    start in seconds and reference text."""
    rng = random.Random(seed)
    audio = {name: decode_all(corpus / name) for name in clips}
    text = {name: " ".join((corpus / CLIPS[name]).read_text().split()) for name in clips}
    said, written, next_repeat = [], 0, repeat_every * rng.uniform(0.5, 1.0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        while written < seconds * SAMPLE_RATE:
            order = rng.sample(clips, len(clips))
            if written >= next_repeat * SAMPLE_RATE:
                order = [order[0]] * repeat_times + order[1:]
                next_repeat += repeat_every
            for name in order:
                start = written / SAMPLE_RATE
                pause = np.zeros(int(rng.uniform(0.3, 1.2) * SAMPLE_RATE), dtype=np.float32)
                for samples in (audio[name], pause):
                    out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
                    written += len(samples)
                said.append((start, text[name]))
    return said


def reference(said: list[tuple[float, str]]) -> str:
    return " ".join(text for _, text in said)
