"""Benchmark: marks on clean recordings, where nothing is lost (issue 9).

Prints figures; asserts nothing. Runs the engine (LocalWhisperBackend) on nine clean
development recordings of the shared corpus, where every stretch of speech gets words: jfk,
librivox_sns_0870, librivox_sns_0890, libri_2412-153948-0000 and -0001, cheetah_en, falcon_3spk,
sample.wav, and the first 90 s of the seed-7 development recording (tests/long_recording.py).
Any mark there ("no text", "faint", ...) is a false one. --with-italian adds cheetah_it.wav,
where the quiet after the one sentence used to be marked "no text". --with-long adds the 180 s
development recordings of seeds 5 and 10, where the pause after falcon_3spk's "And so it
begins." was marked "no text" with base (session 30). The faint marks' rules and the rule for
"no text" marks were checked on these (docs/benchmarks.md, issue 9).

    .venv/bin/python bench/bench_clean_marks.py [--model tiny.en] [--with-italian] [--with-long]
        [--option KEY=VALUE ...]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

CORPUS = ROOT.parent / "shared" / "corpus"
CLEAN = (
    "jfk.flac",
    "librivox_sns_0870.wav",
    "librivox_sns_0890.wav",
    "libri_2412-153948-0000.flac",
    "libri_2412-153948-0001.flac",
    "cheetah_en.wav",
    "falcon_3spk.wav",
    "sample.wav",
)


def engine_from(model: str, option_args: list[str]):
    """The local engine with `model` and the engine options given as --option KEY=VALUE (JSON
    values), and those options (django set up first)."""
    from django.conf import settings

    from apps.engines.stt.local import LocalWhisperBackend

    options = {k: json.loads(v) for k, v in (o.partition("=")[::2] for o in option_args)}
    engine = LocalWhisperBackend(
        alias="bench",
        default_model=model,
        model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
        **options,
    )
    return engine, options


def marks(engine, path: Path) -> list[tuple[float, float, str]]:
    from apps.engines.stt.base import Segment, TranscriptionRequest

    events = engine.transcribe(TranscriptionRequest(audio_path=path))
    return [(e.start, e.end, e.sound or e.gap) for e in events if isinstance(e, Segment) and e.gap]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--with-italian", action="store_true")
    parser.add_argument("--with-long", action="store_true", help="seeds 5 and 10, 180 s each")
    parser.add_argument("--option", action="append", default=[], help="engine KEY=VALUE")
    args = parser.parse_args()
    django.setup()
    from tests import long_recording

    engine, options = engine_from(args.model, args.option)
    paths = [args.corpus / name for name in CLEAN]
    paths += [args.corpus / "cheetah_it.wav"] if args.with_italian else []
    folder = Path(tempfile.mkdtemp())
    dev = folder / "dev3s7_first_90s.wav"
    long_recording.build(dev, args.corpus, seconds=90, seed=7, repeat_every=360.0)
    paths.append(dev)
    for seed in (5, 10) if args.with_long else ():
        paths.append(folder / f"dev_seed{seed}_180s.wav")
        long_recording.build(paths[-1], args.corpus, seconds=180, seed=seed, repeat_every=360.0)
    print(f"model {args.model}, options {options}, load average {os.getloadavg()[0]:.1f}")
    total, started = 0.0, time.process_time()
    for path in paths:
        found = marks(engine, path)
        total += sum(b - a for a, b, _ in found)
        shown = ", ".join(f"{a:.1f}-{b:.1f} s {reason}" for a, b, reason in found) or "none"
        print(f"{path.name:32} marks: {shown}")
    print(f"marked {total:.1f} s in all; {time.process_time() - started:.0f} CPU s")


if __name__ == "__main__":
    main()
