"""Benchmark: forced alignment of a corrected segment (apps/engines/stt/align.py) against the
word times of a fresh transcription, and its time per segment.

Prints figures; asserts nothing. For every English speech recording of the corpus: transcribe
with the portal's engine (`local`, the given model), then align each segment's text against that
segment's audio as an edit would, and compare each word's start and end with the transcription's.

    .venv/bin/python bench/bench_align.py [--model tiny.en]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_flags import CORPUS, SR, engine_segments, setup_django, speech_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    setup_django()
    from apps.core.media import decode_all
    from apps.engines.stt import stt_backends
    from apps.engines.stt.align import align_words

    model = stt_backends["local"].model(args.model)
    errors, seconds, audio_seconds, words = [], [], 0.0, 0
    for name, language in speech_files():
        if language != "en":
            continue
        audio = decode_all(CORPUS / name)
        for seg in engine_segments(CORPUS / name, args.model, "en"):
            piece = audio[int(seg.start * SR) : int(seg.end * SR)]
            started = time.perf_counter()
            aligned = align_words(model, piece, seg.text, language="en")
            seconds.append(time.perf_counter() - started)
            audio_seconds += seg.end - seg.start
            if len(aligned) != len(seg.words):
                print(f"  {name} {seg.start:.1f}: {len(aligned)} words vs {len(seg.words)}")
                continue
            for a, w in zip(aligned, seg.words, strict=True):
                errors += [abs(a.start + seg.start - w.start), abs(a.end + seg.start - w.end)]
                words += 1
    errors.sort()
    print(f"model {args.model}: {len(seconds)} segments, {words} words, {audio_seconds:.0f} s")
    median = statistics.median(errors)
    print(
        f"  |aligned - transcribed| over word starts and ends: median {median:.3f} s,"
        f" p95 {errors[int(0.95 * len(errors))]:.3f} s, max {errors[-1]:.3f} s,"
        f" within 0.3 s: {sum(e <= 0.3 for e in errors) / len(errors):.1%}"
    )
    print(
        f"  time per segment: median {statistics.median(seconds):.3f} s, "
        f"max {max(seconds):.3f} s (mean segment {audio_seconds / len(seconds):.1f} s)"
    )


if __name__ == "__main__":
    main()
