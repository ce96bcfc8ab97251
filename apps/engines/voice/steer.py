"""An equaliser steered by the speaker encoder: the smooth spectral correction that brings the
reshaped voice's embedding closest to the samples'.

The other steps move the stock voice towards measured averages of the samples (pitch, the mean
envelope, each sound's shape). What they leave is searched for directly: gains at a few
frequencies (ANCHORS, interpolated between them) applied to the mel spectrogram the encoder
hears, chosen by coordinate search on the fitting text, with the overall level kept. A gain on
the mel power is a filter on the sound, so the result is applied to WORLD's envelope like the
equaliser. It is a filter, nothing more: the words, timing and pitch are untouched.

Honesty: what it optimises is the measure itself, on one text; match.py keeps it only at the
strength that scores best once really rendered, and bench/bench_voice_likeness.py reports it
on another text and recordings it never saw, with a second encoder (CAM++) as a cross-check.
"""

import numpy as np

from . import frames
from .embed import (
    _MEL,
    HOP,
    SAMPLE_RATE,
    forward,
    mel_spectrogram,
    partial_slices,
    preprocess,
    similarity,
)

# 12, not 8: closer on recordings the search never heard for both encoders (Resemblyzer +0.039
# against +0.028 over 20 fitted voices, CAM++ +0.020 against +0.006; docs/benchmarks.md);
# fewer anchors or smaller gains gained less.
ANCHORS = tuple(round(float(f), 1) for f in frames.mel_spaced(150.0, 7000.0, 12))
LIMIT_DB = 9.0
STEPS_DB = (4.0, 2.0, 1.0)
# Gains fade to 0 dB over this much above the encoder's top (8 kHz), so a 22 kHz voice's top
# octave is left alone.
TOP_HZ, FADE_HZ = 8000.0, 1000.0

_CENTRES = np.linspace(0, SAMPLE_RATE / 2, _MEL.shape[1])[np.argmax(_MEL, axis=1)]


def fit(audio: np.ndarray, target: np.ndarray) -> tuple[float, ...]:
    """Gains (dB) at ANCHORS that bring `audio` (16 kHz) closest to the `target` embedding;
    all zeros when nothing helps."""
    wav = preprocess(audio)
    slices = partial_slices(len(wav))
    needed = slices[-1].stop * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    partials = np.stack([mel[s] for s in slices])
    total = partials.sum()

    def score(gains: np.ndarray) -> float:
        scaled = partials * 10 ** (np.interp(_CENTRES, ANCHORS, gains) / 10)
        mean = forward(scaled * (total / scaled.sum())).mean(axis=0)
        return similarity(target, mean)

    gains = np.zeros(len(ANCHORS))
    best = score(gains)
    for step in STEPS_DB:
        for n in range(len(ANCHORS)):
            for move in (step, -step):
                trial = gains.copy()
                trial[n] = np.clip(trial[n] + move, -LIMIT_DB, LIMIT_DB)
                if trial[n] == gains[n]:
                    continue
                value = score(trial)
                if value > best:
                    gains, best = trial, value
                    break
    return tuple(np.round(gains - gains.mean(), 2).tolist())


def power_gains(frequencies: np.ndarray, gains_db: tuple[float, ...]) -> np.ndarray:
    """Power gain per envelope bin for `gains_db` at ANCHORS."""
    db = np.interp(frequencies, ANCHORS, gains_db)
    fade = 1 - np.clip((frequencies - TOP_HZ) / FADE_HZ, 0, 1)
    return 10 ** (db * fade / 10)
