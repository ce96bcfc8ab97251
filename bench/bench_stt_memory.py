"""Benchmark: the local engine's memory over one job, window by window, in this process.

Prints one line per window (the process's RSS when the window's speech report comes, the peak
RSS sampled every 0.25 s within it, and with --trace the Python heap tracemalloc sees: numpy
arrays included, CTranslate2's own buffers not) and a summary; asserts nothing. With --trace it
also prints the allocation sites whose memory grew most from the end of the first window to the
end of the job: what a job holds that grows with the length of the recording.

The code measured is the source tree the command runs in (its current folder), so an earlier
commit is measured from a `git archive` of it with this script given by its path (as
bench_stt_alone.py):

    cd TREE && VOICEPORTAL_BENCH_CORPUS=CORPUS_DIR \
        python /path/to/bench/bench_stt_memory.py --minutes 30 --label before
    .venv/bin/python bench/bench_stt_memory.py --minutes 30 --label after --trace

The recording is tests/long_recording.py's (seed 4: bench_transcribe.py's 30-minute one),
written to a temporary folder. The engine is the one settings configure (its defaults), the
model loaded and one 11 s clip transcribed before the clock starts, as the worker is warm.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

TREE = Path.cwd()
sys.path.insert(0, str(TREE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
BENCH = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", BENCH.parent.parent / "shared" / "corpus"))
MB = 1024 * 1024


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Peak(threading.Thread):
    """The highest RSS sampled every `interval` seconds since the last `take()`."""

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval, self.value, self.overall = interval, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            now = rss()
            self.value, self.overall = max(self.value, now), max(self.overall, now)

    def take(self) -> int:
        value, self.value = max(self.value, rss()), rss()
        return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--label", default="engine")
    parser.add_argument("--start", type=float, default=0.0, help="start at this second")
    parser.add_argument("--trace", action="store_true", help="tracemalloc (slower)")
    parser.add_argument("--top", type=int, default=12, help="allocation sites to print")
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    from apps.engines.stt import stt_backends
    from apps.engines.stt.base import Segment, SpeechHeard, TranscriptionRequest
    from tests import long_recording

    idle = rss()
    engine = stt_backends["local"]
    warm = TranscriptionRequest(audio_path=CORPUS / "jfk.flac", model=args.model)
    list(engine.transcribe(warm))  # loads the model, as a warm worker has it
    loaded = rss()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.wav"
        long_recording.build(path, CORPUS, seconds=args.minutes * 60, seed=args.seed)
        before_job = rss()
        if args.trace:
            tracemalloc.start(12)
        peak = Peak()
        peak.start()
        t0, c0 = time.perf_counter(), time.process_time()
        request = TranscriptionRequest(audio_path=path, model=args.model, start_at=args.start)
        segments, first_snapshot, window = 0, None, 0
        print(
            f"{args.label}: RSS idle {idle / MB:.0f} MB, model loaded {loaded / MB:.0f} MB, "
            f"before the job {before_job / MB:.0f} MB; load {os.getloadavg()[0]:.1f}"
        )
        for event in engine.transcribe(request):
            if isinstance(event, Segment):
                segments += 1
            if not isinstance(event, SpeechHeard):
                continue
            window += 1
            heap, heap_peak = tracemalloc.get_traced_memory() if args.trace else (0, 0)
            if args.trace:
                tracemalloc.reset_peak()
            print(
                f"  window {window:2d} to {event.end / 60:5.1f} min: RSS {rss() / MB:5.0f} MB, "
                f"peak within {peak.take() / MB:5.0f} MB"
                + (
                    f", Python heap {heap / MB:6.1f} MB (peak within {heap_peak / MB:6.1f} MB)"
                    if args.trace
                    else ""
                ),
                flush=True,
            )
            if args.trace and first_snapshot is None:
                first_snapshot = tracemalloc.take_snapshot()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak.done.set()
        peak.join()
        last = tracemalloc.take_snapshot() if args.trace else None
        print(
            f"{args.label}: {args.minutes:g} min, {segments} segments, wall {wall:.0f} s, "
            f"cpu {cpu:.0f} s, peak RSS {peak.overall / MB:.0f} MB "
            f"({(peak.overall - before_job) / MB:+.0f} MB over the warm worker), "
            f"VmHWM {_hwm() / MB:.0f} MB, load {os.getloadavg()[0]:.1f}"
        )
        if last is not None and first_snapshot is not None:
            print("grown most from the first window's end to the job's end:")
            for stat in last.compare_to(first_snapshot, "traceback")[: args.top]:
                print(f"  {stat.size_diff / MB:+7.2f} MB in {stat.count_diff:+d} blocks")
                for line in stat.traceback.format()[-8:]:
                    print("     ", line)


def _hwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
