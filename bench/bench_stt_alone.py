"""Benchmark: one side of bench_stt_settings.py in a process of its own, CPU seconds and WER.

Prints one line and appends it to OUT/results.txt; asserts nothing. The engine shares
CTranslate2's random generator with whatever the process decoded before it (docs/benchmarks.md,
issue 9, "Run to run"), so sides compared for their text run one per fresh process, nothing
decoded before them. The code measured is the source tree the command runs in (its current
folder), so an earlier commit is measured from a `git archive` of it with this script given by
its path:

    cd TREE && VOICEPORTAL_BENCH_CORPUS=CORPUS_DIR \
        python /path/to/bench/bench_stt_alone.py engine dev3 --out OUT --label before
    .venv/bin/python bench/bench_stt_alone.py engine dev3 --out OUT --label after
    .venv/bin/python bench/bench_stt_alone.py plain dev3 --out OUT
    .venv/bin/python bench/bench_stt_alone.py engine dev3 --out OUT --label two --option lanes=2

SIDE is `plain` (WhisperModel.transcribe(), beam 5, word timestamps) or `engine`
(LocalWhisperBackend with its defaults, or the --option given); RECORDING one of
bench_stt_settings.py's (dev3, dev3s7, dev12, heldout with --heldout DIR, sonnets with
--sonnets DIR). Each side's text is written to OUT/RECORDING.LABEL.txt for comparison. A tree
outside the checkout's folder finds the shared corpus through VOICEPORTAL_BENCH_CORPUS.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TREE = Path.cwd()
sys.path.insert(0, str(TREE))
# The tree's own bench_stt_settings (it puts its tree first on the path).
sys.path.insert(0, str(TREE / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("side", choices=["plain", "engine"])
    parser.add_argument("recording")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", help="the side's name in the output (default: SIDE)")
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--heldout", type=Path)
    parser.add_argument("--sonnets", type=Path)
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an engine option, as bench_stt_settings.py's variants give them (lanes=2)",
    )
    parser.add_argument(
        "--language",
        default="detect",
        help='a code for both sides, or "detect": as users get it (detected by base)',
    )
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    import bench_stt_settings as settings_bench
    from django.conf import settings

    from apps.engines.stt.local import load_model
    from tests.wer import wer

    with tempfile.TemporaryDirectory() as folder:
        built = settings_bench.recordings(
            [args.recording], args.heldout, args.sonnets, Path(folder)
        )
        path, reference = built[args.recording]
        cache = str(settings.VOICEPORTAL_MODEL_CACHE)
        _, options = settings_bench.parse_variant(" ".join(["engine", *args.option]))
        # Loaded before the clock starts: the one-part model, and with lanes the model the parts
        # share (one thread each).
        lanes = options.get("lanes", 1) if args.side == "engine" else 1
        for workers in sorted({1, lanes}):
            load_model(
                args.model,
                device="cpu",
                compute_type="int8",
                cpu_threads=max(1, args.threads // workers),
                cache=cache,
                workers=workers,
            )
        language = settings_bench.asked_language(args.model, args.language)
        t0, c0 = time.perf_counter(), time.process_time()
        if args.side == "plain":
            segments = settings_bench.plain(args.model, args.threads, path, language)
        else:
            options = {"cpu_threads": args.threads, **options}
            segments = settings_bench.portal(args.model, options, path, language)
        text = " ".join(s.text.strip() for s in segments)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    label = args.label or args.side
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.recording}.{label}.txt").write_text(text)
    (args.out / f"{args.recording}.reference.txt").write_text(reference)
    line = (
        f"{args.recording:8s} {label:8s} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
        f"WER {wer(reference, text):6.2%}  load {os.getloadavg()[0]:.1f}"
    )
    print(line, flush=True)
    with open(args.out / "results.txt", "a") as results:
        results.write(line + "\n")


if __name__ == "__main__":
    main()
