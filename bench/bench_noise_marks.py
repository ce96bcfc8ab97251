"""Benchmark: "no text" marks on read speech under steady noise (issue 9).

Prints figures; asserts nothing. Development material built here, not taken from any evaluation
set: the development recordings of tests/long_recording.py (about 2 minutes each, read speech
with pauses) mixed with noise synthesised with numpy, 5 dB under the speech's level (the louder
40 % of its 10 ms frames): `pink` (1/f noise), `hum` (brown noise with 100 and 150 Hz mains
hum), `wobble` (pink noise whose level rises and falls 3 times a second, like syllables). The
VAD hears such noise as speech, and a stretch it decodes nothing in is marked "no text". Per
recording the engine's "no text" marks are listed with the seconds of the clean recording's
speech under each (Silero at 0.5): a mark over less than 0.5 s of speech is a false one.

    .venv/bin/python bench/bench_noise_marks.py [--model base] [--option KEY=VALUE ...]
        [--noisy pink:3 hum:11 ...]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

CORPUS = ROOT.parent / "shared" / "corpus"
NOISY = ("pink:3", "pink:5", "pink:10", "hum:3", "hum:11", "wobble:7", "wobble:13")
SNR_DB = 5.0
SR = 16_000
# A mark over less speech than this (of the clean recording) is a false one.
SPEECH_FOR_A_MARK = 0.5


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    freqs[0] = freqs[1]
    t = np.arange(n) / SR
    if kind == "pink":
        return np.fft.irfft(spectrum / np.sqrt(freqs), n)
    if kind == "hum":
        brown = np.fft.irfft(spectrum / freqs, n)
        mains = 0.7 * np.sin(2 * np.pi * 100 * t) + 0.4 * np.sin(2 * np.pi * 150 * t)
        return brown / brown.std() + mains
    if kind == "wobble":
        pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)
        return pink * (0.6 + 0.4 * np.sin(2 * np.pi * 3.1 * t + rng.uniform(0, 6)))
    raise ValueError(kind)


def build(kind: str, seed: int, folder: Path) -> tuple[Path, np.ndarray]:
    """A development recording under `kind` noise; the path and the clean samples."""
    from apps.core.media import decode_all
    from tests import long_recording, media_factory

    clean_path = folder / f"clean_{seed}.wav"
    long_recording.build(clean_path, CORPUS, seconds=90, seed=seed)
    clean = decode_all(clean_path)
    frames = clean[: len(clean) // 160 * 160].reshape(-1, 160)
    level = np.sqrt(np.mean(np.square(frames), axis=1))
    speech = np.sqrt(np.mean(np.square(level[level > np.percentile(level, 60)])))
    rng = np.random.default_rng(seed)
    added = noise(kind, len(clean), rng)
    mixed = clean + added / added.std() * speech * 10 ** (-SNR_DB / 20)
    mixed = (mixed / max(1.0, np.abs(mixed).max() / 0.99)).astype(np.float32)
    return media_factory.write_wav(folder / f"{kind}_{seed}.wav", mixed), clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--noisy", nargs="*", default=list(NOISY), help="KIND:SEED")
    parser.add_argument("--option", action="append", default=[], help="engine KEY=VALUE")
    args = parser.parse_args()
    django.setup()
    from bench_clean_marks import engine_from

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.silero import SpeechProbabilities

    engine, options = engine_from(args.model, args.option)
    folder = Path(tempfile.mkdtemp())
    print(f"model {args.model}, options {options}, load average {os.getloadavg()[0]:.1f}")
    false, right, started = 0.0, 0.0, time.process_time()
    for spec in args.noisy:
        kind, seed = spec.split(":")
        path, clean = build(kind, int(seed), folder)
        heard = SpeechProbabilities(clean)
        request = TranscriptionRequest(audio_path=path, model=args.model)
        events = engine.transcribe(request)
        marks = [e for e in events if isinstance(e, Segment) and e.gap == "no_text"]
        shown = []
        for mark in marks:
            speech = heard.seconds_above(0.5, mark.start, mark.end)
            over_speech = speech >= SPEECH_FOR_A_MARK
            right += (mark.end - mark.start) if over_speech else 0.0
            false += 0.0 if over_speech else mark.end - mark.start
            shown.append(f"{mark.start:.1f}-{mark.end:.1f} s ({speech:.1f} s speech)")
        print(f"{spec:10} no text: {', '.join(shown) or 'none'}")
    print(
        f"marked over speech {right:.1f} s, false {false:.1f} s; "
        f"{time.process_time() - started:.0f} CPU s"
    )


if __name__ == "__main__":
    main()
