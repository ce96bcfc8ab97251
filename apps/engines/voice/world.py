"""WORLD vocoder (pyworld, modified-BSD) analysis, modification and resynthesis of speech."""

import importlib.machinery
import importlib.util
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FRAME_PERIOD = 5.0  # ms
F0_FLOOR, F0_CEIL = 60.0, 600.0

_module = None
_module_lock = threading.Lock()


def pyworld():
    """The pyworld extension. pyworld 0.3.5's __init__ imports pkg_resources, which newer
    setuptools no longer ships; when that import fails the compiled module is loaded directly."""
    global _module
    with _module_lock:
        if _module is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # pkg_resources' deprecation warning
                    import pyworld as module
            except ModuleNotFoundError as exc:
                if exc.name != "pkg_resources":
                    raise
                module = _load_extension()
            _module = module
        return _module


def _load_extension():
    spec = importlib.util.find_spec("pyworld")
    folder = Path(next(iter(spec.submodule_search_locations)))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"pyworld{suffix}"
        if path.exists():
            ext_spec = importlib.util.spec_from_file_location("pyworld.pyworld", path)
            module = importlib.util.module_from_spec(ext_spec)
            ext_spec.loader.exec_module(module)
            return module
    raise ModuleNotFoundError("pyworld's compiled module was not found", name="pyworld")


@dataclass
class Analysis:
    f0: np.ndarray  # Hz per frame, 0 where unvoiced
    envelope: np.ndarray  # (frames, bins) spectral envelope (power)
    aperiodicity: np.ndarray  # (frames, bins)
    rate: int

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0

    def bin_frequencies(self) -> np.ndarray:
        bins = self.envelope.shape[1]
        return np.linspace(0, self.rate / 2, bins)


def analyse(samples: np.ndarray, rate: int) -> Analysis:
    pw = pyworld()
    x = np.ascontiguousarray(samples, dtype=np.float64)
    f0, times = pw.dio(x, rate, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=FRAME_PERIOD)
    f0 = pw.stonemask(x, f0, times, rate)
    fft_size = pw.get_cheaptrick_fft_size(rate, F0_FLOOR)
    envelope = pw.cheaptrick(x, f0, times, rate, f0_floor=F0_FLOOR, fft_size=fft_size)
    aperiodicity = pw.d4c(x, f0, times, rate, fft_size=fft_size)
    return Analysis(f0, envelope, aperiodicity, rate)


def synthesize(analysis: Analysis) -> np.ndarray:
    out = pyworld().synthesize(
        analysis.f0,
        np.ascontiguousarray(analysis.envelope),
        np.ascontiguousarray(analysis.aperiodicity),
        analysis.rate,
        FRAME_PERIOD,
    )
    return out.astype(np.float32)


def log_f0_stats(analysis: Analysis) -> tuple[float, float]:
    """Mean and standard deviation of log F0 over voiced frames."""
    voiced = analysis.f0[analysis.voiced]
    if len(voiced) < 20:
        return 0.0, 0.0
    logs = np.log(voiced)
    return float(logs.mean()), float(logs.std())


def warp_frequencies(spectra: np.ndarray, ratio: float) -> np.ndarray:
    """Move spectral features by `ratio` in frequency (>1 raises formants), per frame."""
    if ratio == 1.0:
        return spectra
    bins = spectra.shape[1]
    source = np.clip(np.arange(bins) / ratio, 0, bins - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, bins - 1)
    frac = source - low
    return spectra[:, low] * (1 - frac) + spectra[:, high] * frac
