"""Breathiness transfer: the stock voice's aperiodicity (WORLD's D4C, the noise share of each
frequency band) moved towards the samples' average.

Synthetic voices are cleaner than people: their voiced frames carry less noise, most of all
above 2-3 kHz, and a breathy or husky speaker sounds unlike them even with the right pitch and
envelope. Only voiced frames change (unvoiced ones are all noise already), by one gain per band
averaged over the samples' voiced frames, so consonants and the words stay the stock voice's.
"""

from collections.abc import Sequence

import numpy as np

from . import frames, world

BAND_FREQUENCIES = tuple(round(float(f), 1) for f in frames.mel_spaced(300.0, 7600.0, 12))
LIMIT_DB = 12.0
FLOOR = 1e-3  # D4C's own lower bound


def profile_db(analyses: Sequence[world.Analysis]) -> np.ndarray:
    """Mean voiced aperiodicity in dB at BAND_FREQUENCIES (zeros when nothing is voiced)."""
    rows = []
    for analysis in analyses:
        voiced = analysis.aperiodicity[analysis.voiced]
        if len(voiced):
            db = 20 * np.log10(np.clip(voiced, FLOOR, 1.0))
            bins = analysis.bin_frequencies()
            rows.append(np.array([np.interp(BAND_FREQUENCIES, bins, frame) for frame in db]))
    return np.concatenate(rows).mean(axis=0) if rows else np.zeros(len(BAND_FREQUENCIES))


def correction_db(target: np.ndarray, source: np.ndarray) -> np.ndarray:
    return np.clip(target - source, -LIMIT_DB, LIMIT_DB)


def apply(analysis: world.Analysis, aperiodicity: np.ndarray, gains_db: Sequence[float]):
    """`aperiodicity` (the stock voice's, already warped) with each voiced frame's bands moved
    by `gains_db`; the top band's gain holds above it, the bottom one's below."""
    if not len(gains_db) or not analysis.voiced.any():
        return aperiodicity
    db = np.interp(analysis.bin_frequencies(), BAND_FREQUENCIES, gains_db)
    out = aperiodicity.copy()
    out[analysis.voiced] = np.clip(aperiodicity[analysis.voiced] * 10 ** (db / 20), FLOOR, 1.0)
    return out
