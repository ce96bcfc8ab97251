"""Benchmark: the offline music engine and sound effects.

Prints figures; asserts nothing (it is a benchmark, not a test).

For each prompt and length (--seconds, default 20 and 120): the arranger's compose time (plan,
MIDI and SoundFont render) and its real-time factor, the WAV and MP3 encode times as the track
job stores them, the tempo recovered from the audio by onset autocorrelation against the tempo
the prompt asked for, and the peak RSS of the process. Then every procedural sound effect's
synthesis time. Run on a quiet machine for figures to compare; a loaded one inflates all times.

    python bench/bench_music.py [--seconds 20 120]
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

PROMPTS = [
    ("upbeat synthwave, 110 bpm, minor key", 110),
    ("calm lo-fi with piano, 80 bpm", 80),
    ("energetic rock, 132 bpm", 132),
    ("jazz trio, 120 bpm", 120),
    ("epic cinematic trailer in D minor, 92 bpm", 92),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, nargs="+", default=[20.0, 120.0])
    args = parser.parse_args()

    from apps.engines.music.audio import encode_file
    from apps.engines.music.base import MusicRequest, SoundEffectRequest
    from apps.engines.music.local import LocalArranger
    from apps.engines.music.procedural import EFFECTS, ProceduralSoundEffects
    from tests.music.test_engines import onset_tempo

    arranger = LocalArranger(alias="local")
    arranger.compose(MusicRequest("warm up", 3, seed=0))  # the SoundFont read once
    print(f"{'prompt':45} {'len s':>6} {'compose s':>9} {'RTF':>6} {'wav s':>6} {'mp3 s':>6} "
          f"{'bpm asked':>9} {'bpm heard':>9}")  # fmt: skip
    for seconds in args.seconds:
        for prompt, bpm in PROMPTS:
            start = time.perf_counter()
            result = arranger.compose(MusicRequest(prompt, seconds, seed=1))
            composed = time.perf_counter() - start
            start = time.perf_counter()
            encode_file(result.samples, result.sample_rate, "wav")
            wav = time.perf_counter() - start
            start = time.perf_counter()
            encode_file(result.samples, result.sample_rate, "mp3")
            mp3 = time.perf_counter() - start
            heard = onset_tempo(result.samples, result.sample_rate, around=bpm)
            print(f"{prompt:45} {seconds:6.0f} {composed:9.2f} {composed / seconds:6.3f} "
                  f"{wav:6.2f} {mp3:6.2f} {bpm:9d} {heard:9.1f}")  # fmt: skip
    effects = ProceduralSoundEffects(alias="local")
    for effect in EFFECTS:
        start = time.perf_counter()
        result = effects.generate(SoundEffectRequest(effect.words[0], seed=1))
        took = time.perf_counter() - start
        print(f"effect {effect.name:10} {result.seconds:5.1f} s in {took:.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
