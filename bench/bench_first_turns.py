"""Eight listeners' first audio through the speech worker's lanes, in one process: Piper and the
mp3 encoder only (no HTTP, no database), turned as the scheduler turns them (every stream's
first chunk before anyone's second, one lane per core). Piper speaking each first piece whole
(0) and giving its first seconds on their own run alternately, so machine load hits them
alike; prints the median over rounds of the p50 and of the last listener's first audio, and
of the longest wait a player starting with the first audio would have had in its first 3 s.

    python bench/bench_first_turns.py [--listeners 8] [--lanes 2] [--rounds 5] [--first 0,0.35]
"""

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_speech_http import LONG_OPENING, TEXT  # noqa: E402  (the HTTP bench's texts)

# Each stream is followed until this much of its audio is made: the first sentence and what
# follows it, where a short first chunk could leave a gap.
FOLLOW_SECONDS = 3.0


def first_audio_times(backend, texts: list[str], lanes: int) -> tuple[list[float], list[float]]:
    """Seconds from the start until each listener's first mp3 bytes, and how long in all a
    player starting then would have waited for more within its first FOLLOW_SECONDS; the lanes
    take the streams in turn as the scheduler does (streams without audio first, then the one
    served least recently, never two lanes on one stream)."""
    from apps.engines.tts.base import SpeechRequest
    from apps.engines.tts.encode import StreamEncoder

    streams = [
        (backend.synthesize_pcm(SpeechRequest(t, format="mp3")), StreamEncoder("mp3"))
        for t in texts
    ]
    made = [[] for _ in streams]  # (seconds from the start, audio seconds) per chunk
    order, busy, lock = list(range(len(streams))), set(), threading.Condition()
    started = time.perf_counter()

    def next_stream() -> int | None:
        with lock:
            while True:
                free = [n for n in order if n not in busy]
                if not order and not busy:
                    return None
                if free:
                    n = min(free, key=lambda n: bool(made[n]))  # stable: least recent first
                    order.remove(n)
                    busy.add(n)
                    return n
                lock.wait()

    def lane():
        while (n := next_stream()) is not None:
            chunks, encoder = streams[n]
            chunk = next(chunks, None)
            if chunk is not None:
                encoder.feed(chunk)
                made[n].append((time.perf_counter() - started, chunk.duration))
            with lock:
                busy.discard(n)
                if chunk is not None and sum(d for _, d in made[n]) < FOLLOW_SECONDS:
                    order.append(n)
                lock.notify_all()

    threads = [threading.Thread(target=lane) for _ in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [m[0][0] for m in made], [_waits(m) for m in made]


def _waits(made: list[tuple[float, float]]) -> float:
    """A player starting with the first chunk: how long it waits for the later ones."""
    start, played, waited = made[0][0], 0.0, 0.0
    for at, seconds in made:
        waited += max(0.0, at - (start + played + waited))
        played += seconds
    return waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listeners", type=int, default=8)
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--first", default="0,0.35", help="first audio seconds to compare")
    args = parser.parse_args()
    from apps.engines.tts.piper import PiperBackend

    def piper(first_audio_seconds: float) -> PiperBackend:
        return PiperBackend(
            alias="p",
            cpu_threads=1,
            first_chunk_chars=40,
            first_chunk_clause_only=True,
            first_audio_seconds=first_audio_seconds,
        )

    variants = {
        f"first {s} s alone" if s else "whole": piper(s) for s in map(float, args.first.split(","))
    }
    mixes = {"classic": [TEXT], "varied": [TEXT, LONG_OPENING]}
    for backend in variants.values():
        first_audio_times(backend, [TEXT], 1)  # warm: the model loads
    for mix, cycle in mixes.items():
        texts = [cycle[n % len(cycle)] for n in range(args.listeners)]
        results = {name: ([], [], []) for name in variants}
        for _ in range(args.rounds):
            for name, backend in variants.items():
                times, waits = first_audio_times(backend, texts, args.lanes)
                results[name][0].append(statistics.median(times))
                results[name][1].append(max(times))
                results[name][2].append(max(waits))
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"{mix}: {args.listeners} listeners, {args.lanes} lanes, load average {load}")
        for name, (p50s, maxes, waits) in results.items():
            print(
                f"  {name:<20} first audio p50 {statistics.median(p50s) * 1000:5.0f} ms, "
                f"last {statistics.median(maxes) * 1000:5.0f} ms; playback waited at most "
                f"{statistics.median(waits) * 1000:4.0f} ms in its first {FOLLOW_SECONDS:.0f} s "
                f"(medians of {args.rounds})"
            )


if __name__ == "__main__":
    main()
