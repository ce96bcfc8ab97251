"""An equaliser steered by the speaker encoder: the smooth spectral correction that brings the
reshaped voice's embedding closest to the samples'.

The other steps move the stock voice towards measured averages of the samples (pitch, the mean
envelope, each sound's shape). What they leave is searched for directly: gains at ANCHOR_COUNT
frequencies (interpolated between them) applied to the mel spectrogram the encoder hears, found
by following the encoder's gradient (backprop.py) on the fitting text, with the overall level
kept. A gain on the mel power is a filter on the sound, so the result is applied to WORLD's
envelope like the equaliser. It is a filter, nothing more: the words, timing and pitch are
untouched.

Honesty: what it optimises is the measure itself, on one text; match.py keeps it only at the
strength that scores best once really rendered and chooses among stock voices without it, and
bench/bench_voice_likeness.py reports it on another text and recordings it never saw, with a
second encoder (CAM++) as a cross-check.
"""

import numpy as np
from scipy.optimize import minimize

from . import backprop, frames
from .embed import _MEL, HOP, SAMPLE_RATE, mel_spectrogram, partial_slices, preprocess

# 40 (about one per band the encoder hears), fitted on its gradient: over 20 fitted voices the
# held-out Resemblyzer similarity rose +0.064 and CAM++ +0.026, against +0.042 / +0.018 for 12
# gains tried one at a time and +0.064 / +0.015 for 20 on the gradient (docs/benchmarks.md).
# It costs some intelligibility: tiny.en WER over those voices 0.129 with 12 gains, 0.154 with 40.
ANCHOR_LOW, ANCHOR_HIGH = 150.0, 7000.0
ANCHOR_COUNT = 40
LIMIT_DB = 9.0
MAX_ITERATIONS = 30
# Gains fade to 0 dB over this much above the encoder's top (8 kHz), so a 22 kHz voice's top
# octave is left alone.
TOP_HZ, FADE_HZ = 8000.0, 1000.0

_CENTRES = np.linspace(0, SAMPLE_RATE / 2, _MEL.shape[1])[np.argmax(_MEL, axis=1)]


def fit(audio: np.ndarray, target: np.ndarray, *, count: int = ANCHOR_COUNT) -> tuple[float, ...]:
    """Gains (dB) at `count` anchors (anchors()) that bring `audio` (16 kHz) closest to the
    `target` embedding; all zeros when nothing helps.

    A quasi-Newton search (L-BFGS-B within ±LIMIT_DB) on the encoder's own gradient
    (backprop.py): a few dozen passes, where trying one gain at a time needed ~70 for 12."""
    partials = _partials(audio)
    per_band = partials.sum(axis=(0, 1))
    total = per_band.sum()
    to_bands = _interpolation(anchors(count))  # (40 mel bands, count)

    def negative(gains: np.ndarray) -> tuple[float, np.ndarray]:
        band = 10 ** ((to_bands @ gains) / 10)
        level = total / (per_band * band).sum()  # the overall level is kept
        value, grad = backprop.similarity_and_gradient(
            (partials * (band * level)).astype(np.float32), target
        )
        by_band = (grad * partials).sum(axis=(0, 1), dtype=np.float64)
        d_band = level * by_band - level * (by_band * band).sum() / (per_band * band).sum() * (
            per_band
        )
        return -value, -((d_band * band * np.log(10) / 10) @ to_bands)

    start = negative(np.zeros(count))[0]
    found = minimize(
        negative,
        np.zeros(count),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LIMIT_DB, LIMIT_DB)] * count,
        options={"maxiter": MAX_ITERATIONS},
    )
    if found.fun >= start:
        return (0.0,) * count
    return tuple(np.round(found.x - found.x.mean(), 2).tolist())


def _partials(audio: np.ndarray) -> np.ndarray:
    """The mel partials the encoder hears of `audio` (embed.embed_utterance's front end)."""
    wav = preprocess(audio)
    slices = partial_slices(len(wav))
    needed = slices[-1].stop * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s] for s in slices])


def _interpolation(frequencies: np.ndarray) -> np.ndarray:
    """Matrix M with M @ gains == np.interp(mel band centres, frequencies, gains)."""
    eye = np.eye(len(frequencies))
    return np.stack([np.interp(_CENTRES, frequencies, eye[n]) for n in range(len(frequencies))], 1)


def power_gains(frequencies: np.ndarray, gains_db: tuple[float, ...]) -> np.ndarray:
    """Power gain per envelope bin for `gains_db`, one per anchor: as many anchors, mel-spaced
    over the same range, as there are gains (a voice stored with another count still plays)."""
    db = np.interp(frequencies, anchors(len(gains_db)), gains_db)
    fade = 1 - np.clip((frequencies - TOP_HZ) / FADE_HZ, 0, 1)
    return 10 ** (db * fade / 10)


def anchors(count: int) -> np.ndarray:
    """`count` anchor frequencies (Hz), mel-spaced from ANCHOR_LOW to ANCHOR_HIGH."""
    return frames.mel_spaced(ANCHOR_LOW, ANCHOR_HIGH, count)
