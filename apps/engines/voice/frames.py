"""Frame-by-frame spectral envelope transfer: each voiced frame of the stock voice takes the
spectral shape of the samples' frames that sound most like it.

The equaliser (match.EQ_FREQUENCIES) moves the stock voice's *average* envelope to the samples';
a speaker's timbre is also in how each vowel is shaped. The samples' voiced frames are grouped
into a small codebook; a stock-voice frame is compared with it after both sides' cepstra are
normalised by their own speaker's mean and spread (so that "sounds most like" means the same
sound, not the same speaker), and its envelope is moved towards the nearest entries' shape. Its
level, and every unvoiced frame, stay the stock voice's, so words keep their consonants.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.fft import dct

from . import world

BAND_LOW, BAND_HIGH, BANDS = 80.0, 7600.0, 40
CEPSTRA = 20  # c1..c20 compared; c0 (level) is not
CODEBOOK = 64
FRAMES_PER_ENTRY = 8  # fewer entries when the samples are short
# 4, not 2: with 2 the samples came closer (0.700 against 0.699 held out) but one voice lost its
# words (tiny.en WER 0.04 -> 0.62, docs/benchmarks.md).
NEIGHBOURS = 4
SMOOTH_FRAMES = 5  # the per-frame change is averaged over 25 ms: no frame-to-frame flutter
LIMIT_DB = 15.0


def mel_spaced(low: float, high: float, count: int) -> np.ndarray:
    """`count` frequencies (Hz) from `low` to `high`, evenly spaced on the mel scale."""
    mels = np.linspace(_mel(low), _mel(high), count)
    return 700 * (10 ** (mels / 2595) - 1)


def _mel(hz: float) -> float:
    return 2595 * np.log10(1 + hz / 700)


BAND_FREQUENCIES = mel_spaced(BAND_LOW, BAND_HIGH, BANDS)


_STATS = ("target_mean", "target_std", "source_mean", "source_std")


@dataclass(frozen=True)
class FrameMap:
    """The samples' codebook (dB per band, each row's mean removed) and the cepstral mean and
    spread of the samples and of the stock voice; JSON-able via as_dict()."""

    codebook: tuple[tuple[float, ...], ...]
    target_mean: tuple[float, ...]
    target_std: tuple[float, ...]
    source_mean: tuple[float, ...]
    source_std: tuple[float, ...]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FrameMap":
        return cls(
            codebook=tuple(tuple(row) for row in data["codebook"]),
            **{key: tuple(data[key]) for key in _STATS},
        )


def frame_map(samples: Sequence[world.Analysis], source: world.Analysis) -> FrameMap | None:
    """The map from the stock voice (`source`, analysed) to the samples; None when the samples
    have too few voiced frames to say anything."""
    bands = np.concatenate([_voiced_bands(a) for a in samples])
    entries = min(CODEBOOK, len(bands) // FRAMES_PER_ENTRY)
    if entries < NEIGHBOURS:
        return None
    cepstra = _cepstra(bands)
    t_mean, t_std = cepstra.mean(axis=0), cepstra.std(axis=0) + 1e-6
    rng = np.random.default_rng(0)  # the same samples give the same voice
    _, labels = kmeans2((cepstra - t_mean) / t_std, entries, minit="++", seed=rng)
    shapes = bands - bands.mean(axis=1, keepdims=True)
    codebook = [shapes[labels == n].mean(axis=0) for n in range(entries) if np.any(labels == n)]
    s_cepstra = _cepstra(_voiced_bands(source))
    return FrameMap(
        codebook=tuple(tuple(np.round(row, 2).tolist()) for row in codebook),
        target_mean=tuple(np.round(t_mean, 4).tolist()),
        target_std=tuple(np.round(t_std, 4).tolist()),
        source_mean=tuple(np.round(s_cepstra.mean(axis=0), 4).tolist()),
        source_std=tuple(np.round(s_cepstra.std(axis=0) + 1e-6, 4).tolist()),
    )


def apply(analysis: world.Analysis, envelope: np.ndarray, fmap: FrameMap, strength: float):
    """`envelope` (the stock voice's, already warped and equalised) with each voiced frame moved
    `strength` of the way to the samples' nearest shapes. Frames are matched on the unchanged
    `analysis`, whose cepstra the map's source statistics describe."""
    voiced = analysis.voiced
    if strength <= 0 or not voiced.any():
        return envelope
    to_bands, to_bins = _matrices(analysis)
    original = _cepstra(_db(analysis.envelope[voiced]) @ to_bands.T)
    query = (original - np.array(fmap.source_mean)) / np.array(fmap.source_std)
    codebook = np.array(fmap.codebook)
    keys = (_cepstra(codebook) - np.array(fmap.target_mean)) / np.array(fmap.target_std)
    distances = np.sqrt(((query[:, None, :] - keys[None, :, :]) ** 2).sum(axis=2))
    nearest = np.argsort(distances, axis=1)[:, :NEIGHBOURS]
    weights = 1.0 / (np.take_along_axis(distances, nearest, axis=1) + 1e-3)
    weights /= weights.sum(axis=1, keepdims=True)
    wanted = np.einsum("fk,fkb->fb", weights, codebook[nearest])
    current = _db(envelope[voiced]) @ to_bands.T
    current_shape = current - current.mean(axis=1, keepdims=True)
    change = np.zeros((len(envelope), BANDS))
    change[voiced] = np.clip(wanted - current_shape, -LIMIT_DB, LIMIT_DB)
    change = _smooth(change, voiced) * strength
    return envelope * 10 ** ((change @ to_bins.T) / 10)


def _voiced_bands(analysis: world.Analysis) -> np.ndarray:
    to_bands, _ = _matrices(analysis)
    return _db(analysis.envelope[analysis.voiced]) @ to_bands.T


def _db(power: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(power, 1e-12))


def _cepstra(bands: np.ndarray) -> np.ndarray:
    return dct(bands, type=2, norm="ortho", axis=1)[:, 1 : CEPSTRA + 1]


_matrix_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _matrices(analysis: world.Analysis) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation bins -> bands and back (the back one fading out above the top band,
    so that what lies past the samples' bandwidth is left alone)."""
    key = (analysis.rate, analysis.envelope.shape[1])
    if key not in _matrix_cache:
        bins = analysis.bin_frequencies()
        to_bands = _interpolation(bins, BAND_FREQUENCIES)
        to_bins = _interpolation(BAND_FREQUENCIES, bins)
        fade = 1 - np.clip((bins - BAND_HIGH) / 400.0, 0, 1)
        _matrix_cache[key] = (to_bands, to_bins * fade[:, None])
    return _matrix_cache[key]


def _interpolation(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Matrix M with M @ y == np.interp(at, x, y) for any y sampled at x."""
    eye = np.eye(len(x))
    return np.stack([np.interp(at, x, eye[n]) for n in range(len(x))], axis=1)


def _smooth(change: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    smoothed = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, change)
    return np.where(voiced[:, None], smoothed, 0.0)
