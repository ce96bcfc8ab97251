"""Offline sound effects from a small procedural synthesiser: noise, tones and envelopes shaped
into a useful set (rain, wind, whoosh, click, beep, applause, thunder, waves, knock, laser,
siren, footsteps). It recognises these by keywords and says so; anything else is refused with
the list of what it can make, rather than a sound that has nothing to do with the text."""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..errors import ErrorKind, ProviderError
from .base import AudioResult, SoundEffectRequest, SoundEffectsBackend

RATE = 44_100
PEAK = 0.89


@dataclass(frozen=True)
class Effect:
    name: str
    words: tuple[str, ...]
    seconds: float  # the length when none is asked for
    make: Callable[[float, np.random.Generator], np.ndarray]  # mono float32
    description: str


def _noise(n: int, rng) -> np.ndarray:
    return rng.standard_normal(n).astype(np.float32)


def _band(x: np.ndarray, low: float, high: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, [low, high], btype="band", fs=RATE, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def _lowpass(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, cutoff, btype="low", fs=RATE, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def _envelope(n: int, attack: float, release: float) -> np.ndarray:
    """Linear attack and exponential-ish release over `n` samples (times in seconds)."""
    t = np.arange(n) / RATE
    env = np.minimum(1.0, t / max(attack, 1e-4))
    return (env * np.exp(-t / max(release, 1e-4))).astype(np.float32)


def _bursts(seconds, rng, *, rate_per_s, length, low, high, decay) -> np.ndarray:
    """Many short noise bursts at random times: drops, claps, steps."""
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    count = max(1, int(seconds * rate_per_s))
    size = int(length * RATE)
    burst_env = _envelope(size, 0.001, decay)
    for start in rng.integers(0, max(1, n - size), count):
        out[start : start + size] += _noise(size, rng) * burst_env * rng.uniform(0.3, 1.0)
    return _band(out, low, high)


def _rain(seconds, rng):
    n = int(seconds * RATE)
    hiss = _band(_noise(n, rng), 800, 9000) * 0.25
    drops = _bursts(seconds, rng, rate_per_s=60, length=0.02, low=1500, high=8000, decay=0.004)
    return hiss + drops


def _wind(seconds, rng):
    n = int(seconds * RATE)
    gusts = _lowpass(_noise(n, rng), 0.4, order=1)  # slow swells
    gusts = 0.4 + 0.6 * np.abs(gusts) / (np.max(np.abs(gusts)) or 1)
    return _band(_noise(n, rng), 150, 900) * gusts


def _whoosh(seconds, rng):
    n = int(seconds * RATE)
    t = np.linspace(0, 1, n)
    body = _band(_noise(n, rng), 300, 5000)
    return body * np.sin(np.pi * t) ** 2


def _click(seconds, rng):
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    size = min(n, int(0.01 * RATE))
    out[:size] = _band(_noise(size, rng), 2000, 12000) * _envelope(size, 0.0002, 0.0015)
    return out


def _beep(seconds, rng):
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    edge = np.minimum(1, np.minimum(t, t[-1] - t) / 0.005)
    return tone * edge


def _applause(seconds, rng):
    claps = _bursts(seconds, rng, rate_per_s=180, length=0.03, low=800, high=6000, decay=0.008)
    n = len(claps)
    swell = np.minimum(1, np.arange(n) / (0.3 * RATE)) * np.minimum(
        1, (n - np.arange(n)) / (0.8 * RATE)
    )
    return claps * swell


def _thunder(seconds, rng):
    n = int(seconds * RATE)
    rumble = _lowpass(_noise(n, rng), 120, order=4)
    crack = _band(_noise(n, rng), 200, 3000) * _envelope(n, 0.005, 0.15)
    return rumble * _envelope(n, 0.05, seconds / 3) * 4 + crack


def _waves(seconds, rng):
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    period = rng.uniform(5, 8)
    swell = (0.5 - 0.5 * np.cos(2 * np.pi * t / period)) ** 2
    return _band(_noise(n, rng), 200, 4000) * (0.15 + swell)


def _knock(seconds, rng):
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    size = int(0.08 * RATE)
    t = np.arange(size) / RATE
    hit = np.sin(2 * np.pi * 180 * t) * _envelope(size, 0.0005, 0.02)
    hit += _band(_noise(size, rng), 500, 3000) * _envelope(size, 0.0005, 0.005)
    for k in range(3):
        start = int((0.1 + 0.22 * k) * RATE)
        if start + size <= n:
            out[start : start + size] += hit
    return out


def _laser(seconds, rng):
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    freq = 2500 * np.exp(-t * 8) + 200
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    return np.sign(np.sin(phase)) * 0.5 * _envelope(n, 0.002, seconds / 2)


def _siren(seconds, rng):
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    freq = 750 + 350 * np.sin(2 * np.pi * 0.5 * t)
    return np.sin(2 * np.pi * np.cumsum(freq) / RATE)


def _footsteps(seconds, rng):
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    size = int(0.12 * RATE)
    step = _lowpass(_noise(size, rng), 1200) * _envelope(size, 0.002, 0.03)
    t = 0.1
    while t * RATE + size < n:
        start = int(t * RATE)
        out[start : start + size] += step * rng.uniform(0.7, 1.0)
        t += rng.uniform(0.48, 0.56)
    return out


EFFECTS = (
    Effect("rain", ("rain", "drizzle", "downpour", "storm"), 8, _rain, "filtered noise and drops"),
    Effect("wind", ("wind", "breeze", "gust", "howl"), 8, _wind, "band noise with slow gusts"),
    Effect("whoosh", ("whoosh", "swoosh", "swish", "transition"), 1.2, _whoosh, "swelling noise"),
    Effect("click", ("click", "tick", "tap"), 0.5, _click, "a short bright noise burst"),
    Effect("beep", ("beep", "bleep", "ping", "notification"), 0.5, _beep, "a 1 kHz tone"),
    Effect("applause", ("applause", "clapping", "claps", "cheer"), 5, _applause, "noise bursts"),
    Effect("thunder", ("thunder", "rumble", "explosion", "boom"), 5, _thunder, "low rumble"),
    Effect("waves", ("waves", "ocean", "sea", "surf", "beach"), 10, _waves, "swelling noise"),
    Effect("knock", ("knock", "door"), 1.0, _knock, "three knocks"),
    Effect("laser", ("laser", "zap", "blaster", "sci-fi"), 0.6, _laser, "a falling square tone"),
    Effect("siren", ("siren", "alarm", "police"), 6, _siren, "a rising and falling tone"),
    Effect("footsteps", ("footsteps", "steps", "walking"), 5, _footsteps, "soft thuds"),
)


def effect_find(text: str) -> Effect | None:
    """The effect whose word comes first in the text (whole words, plurals too)."""
    lowered = text.lower()
    best = None
    for effect in EFFECTS:
        for word in effect.words:
            match = re.search(rf"(?<![\w-]){re.escape(word)}s?(?![\w-])", lowered)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), effect)
    return best[1] if best else None


class ProceduralSoundEffects(SoundEffectsBackend):
    label = "Procedural synthesiser (offline)"
    runs_locally = True
    description = (
        "Synthesised from noise, tones and envelopes, not recorded or generated by a model: "
        + ", ".join(e.name for e in EFFECTS)
        + "."
    )

    def check(self, request: SoundEffectRequest) -> None:
        super().check(request)
        if effect_find(request.text) is None:
            raise ProviderError(
                "The offline synthesiser makes only these sounds: "
                f"{', '.join(e.name for e in EFFECTS)}. Name one of them in the text.",
                kind=ErrorKind.INVALID_INPUT,
            )

    def generate(self, request: SoundEffectRequest) -> AudioResult:
        self.check(request)
        effect = effect_find(request.text)
        seconds = request.seconds or effect.seconds
        seed = random.Random(f"{request.seed or 0}:{request.text.strip().lower()}").getrandbits(32)
        mono = np.asarray(effect.make(seconds, np.random.default_rng(seed)), dtype=np.float32)
        mono = _fit(mono, int(round(seconds * RATE)))
        peak = float(np.max(np.abs(mono))) or 1.0
        mono *= PEAK / peak
        return AudioResult(
            samples=np.repeat(mono[:, None], 2, axis=1),
            sample_rate=RATE,
            understood=f"procedural {effect.name} ({effect.description})",
            title=effect.name.capitalize(),
        )


def _fit(mono: np.ndarray, n: int) -> np.ndarray:
    if len(mono) >= n:
        return mono[:n].copy()
    return np.concatenate([mono, np.zeros(n - len(mono), dtype=np.float32)])
