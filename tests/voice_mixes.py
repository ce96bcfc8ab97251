"""Mixes of the shared corpus's single-voice speakers with a known speaker count: development
recordings for the automatic count (bench/count_mixes.py, tests of the count), built from real
clips and no evaluation recording.

Each mix strings together 3 to 6 of eleven voices (jfk, a LibriVox reader, the two eagle
speakers, five LibriSpeech and two VCTK speakers), each saying 3 to 5 s of their clip's speech
(Silero at 0.5) in two turns, the turns shuffled so no one speaks twice in a row where that can
be helped, 0.25 s apart.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from apps.core.media import SAMPLE_RATE, decode_all

VOICES = [
    "jfk.flac",
    "librivox_sns_0870.wav",
    "eagle_spk1_utt1.wav",
    "eagle_spk2_test.wav",
    "libri_2412-153948-0000.flac",
    "rtvc_1320.mp3",
    "rtvc_3575.mp3",
    "rtvc_6829.mp3",
    "rtvc_8230.mp3",
    "rtvc_p240.mp3",
    "rtvc_p260.mp3",
]


def mixes(corpus: Path, seed: int = 30) -> Iterator[tuple[np.ndarray, list]]:
    """Endless mixes of 3, 4, 5, 6, 3, ... voices: (16 kHz audio, reference (speaker, start,
    end) rows); the same `seed` gives the same mixes."""
    speech = {name: _speech_of(corpus / name) for name in VOICES}
    rng = np.random.default_rng(seed)
    index = 0
    while True:
        yield _mix(speech, 3 + index % 4, rng)
        index += 1


def _speech_of(path: Path) -> np.ndarray:
    from apps.engines.stt.silero import SpeechProbabilities

    audio = decode_all(path)
    heard = SpeechProbabilities(audio).probabilities.ravel() >= 0.5
    keep = np.repeat(heard, 512)[: len(audio)]
    return audio[: len(keep)][keep]


def _mix(speech: dict, count: int, rng) -> tuple[np.ndarray, list]:
    chosen = rng.choice(len(VOICES), count, replace=False)
    turns = []
    for i, voice in enumerate(chosen):
        clip = speech[VOICES[voice]]
        total = min(rng.uniform(3.0, 5.0), len(clip) / SAMPLE_RATE - 0.1)
        cut = int(rng.uniform(0.4, 0.6) * total * SAMPLE_RATE)
        turns += [(i, clip[:cut]), (i, clip[cut : int(total * SAMPLE_RATE)])]
    rng.shuffle(turns)
    for j in range(1, len(turns)):
        if turns[j][0] == turns[j - 1][0]:
            other = next((m for m in range(j + 1, len(turns)) if turns[m][0] != turns[j][0]), None)
            if other is not None:
                turns[j], turns[other] = turns[other], turns[j]
    gap = np.zeros(int(0.25 * SAMPLE_RATE), dtype=np.float32)
    pieces, reference, t = [], [], 0.0
    for i, clip in turns:
        pieces += [clip, gap]
        reference.append((f"voice{i}", t, t + len(clip) / SAMPLE_RATE))
        t += (len(clip) + len(gap)) / SAMPLE_RATE
    return np.concatenate(pieces).astype(np.float32), reference
