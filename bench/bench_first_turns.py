"""Eight listeners' first audio through the speech worker's lanes, in one process: Piper and the
mp3 encoder only (no HTTP, no database), turned as the scheduler turns them (every stream's
first chunk before anyone's second, one lane per core). Piper speaking each first piece whole
(0) and giving its first seconds on their own run alternately, so machine load hits them
alike; prints the median over rounds of the p50 and of the last listener's first audio.

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


def first_audio_times(backend, texts: list[str], lanes: int) -> list[float]:
    """Seconds from the start until each listener's first mp3 bytes, the lanes taking the
    streams in turn."""
    from apps.engines.tts.base import SpeechRequest
    from apps.engines.tts.encode import StreamEncoder

    streams = [
        (backend.synthesize_pcm(SpeechRequest(t, format="mp3")), StreamEncoder("mp3"))
        for t in texts
    ]
    waiting, lock, firsts = list(range(len(streams))), threading.Lock(), {}
    started = time.perf_counter()

    def lane():
        while True:
            with lock:
                if not waiting:
                    return
                n = waiting.pop(0)
            chunks, encoder = streams[n]
            data = encoder.feed(next(chunks))
            while not data:  # LAME holds back its first frames: the next chunk brings them
                data = encoder.feed(next(chunks))
            firsts[n] = time.perf_counter() - started

    threads = [threading.Thread(target=lane) for _ in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [firsts[n] for n in range(len(streams))]


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
        results = {name: ([], []) for name in variants}
        for _ in range(args.rounds):
            for name, backend in variants.items():
                times = first_audio_times(backend, texts, args.lanes)
                results[name][0].append(statistics.median(times))
                results[name][1].append(max(times))
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"{mix}: {args.listeners} listeners, {args.lanes} lanes, load average {load}")
        for name, (p50s, maxes) in results.items():
            print(
                f"  {name:<20} first audio p50 {statistics.median(p50s) * 1000:5.0f} ms, "
                f"last {statistics.median(maxes) * 1000:5.0f} ms (medians of {args.rounds})"
            )


if __name__ == "__main__":
    main()
