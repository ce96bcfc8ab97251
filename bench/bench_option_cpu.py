"""Benchmark: the CPU an engine option costs, the engine with it off and on, interleaved file by
file in one process (issue 9, session 32: `name_short_sounds` on the AMI tuning excerpts).

Prints figures; asserts nothing. Both engines load their model before the timing; each file is
transcribed by both, in turns (off first on even files, on first on odd ones), and the process
CPU seconds of each side are summed. Marks naming a sound are listed per file and side.

    .venv/bin/python bench/bench_option_cpu.py AMI_DIR --option name_short_sounds \
        [--glob 'ami_trn*.wav'] [--model base]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--option", required=True, help="a boolean engine option")
    parser.add_argument("--glob", default="ami_trn*.wav")
    parser.add_argument("--model", default="base")
    args = parser.parse_args()
    django.setup()
    from bench_clean_marks import engine_from

    from apps.engines.stt.base import Segment, TranscriptionRequest

    files = sorted(args.folder.glob(args.glob))
    sides = ("false", "true")
    engines = {side: engine_from(args.model, [f"{args.option}={side}"])[0] for side in sides}
    request = TranscriptionRequest(audio_path=files[0], model=args.model)
    for engine in engines.values():
        list(engine.transcribe(request))
    cpu = dict.fromkeys(sides, 0.0)
    for i, path in enumerate(files):
        for side in sides if i % 2 == 0 else sides[::-1]:
            started = time.process_time()
            request = TranscriptionRequest(audio_path=path, model=args.model)
            events = list(engines[side].transcribe(request))
            cpu[side] += time.process_time() - started
            named = [
                (e.start, e.end, e.sound) for e in events if isinstance(e, Segment) and e.sound
            ]
            if named:
                print(path.stem, f"{args.option}={side}", named)
    print(
        f"{len(files)} files, model {args.model}: CPU s with {args.option} off {cpu['false']:.1f},"
        f" on {cpu['true']:.1f}; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
