"""Benchmark: accuracy over a long recording, the portal's engine against a plain call.

Prints figures; asserts nothing. Builds a long WAV of real speech from the corpus
(tests/long_recording.py: shuffled clips with human references, one clip repeated several times
in a row every few minutes), then transcribes it

- with the portal's engine (`LocalWhisperBackend`, the worker's windowed engine, settings'
  options), and
- with `WhisperModel.transcribe(FILE, language="en", word_timestamps=True, vad_filter=True)`,
  faster-whisper's defaults otherwise,

and prints for each: WER against the reference, words per minute in each stretch of the file
(a decoder stuck in a loop or dropping speech shows as a stretch far from the plain call's),
the longest run of segments with the same text, and the segments marked as not transcribed.

    .venv/bin/python bench/bench_long_transcript.py --minutes 60 --seed 2 --model tiny.en
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from apps.engines.stt.base import Segment, TranscriptionRequest  # noqa: E402
from apps.engines.stt.local import LocalWhisperBackend, load_model  # noqa: E402
from tests import long_recording  # noqa: E402
from tests.wer import normalise, wer  # noqa: E402

CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))


def portal(path: Path, model: str) -> list[dict]:
    options = dict(settings.SPEECH_TO_TEXT["local"]["OPTIONS"]) | {"default_model": model}
    engine = LocalWhisperBackend(alias="local", **options)
    events = engine.transcribe(TranscriptionRequest(audio_path=path, model=model))
    return [_row(e) for e in events if isinstance(e, Segment)]


def plain(path: Path, model: str) -> list[dict]:
    opts = settings.SPEECH_TO_TEXT["local"]["OPTIONS"]
    whisper = load_model(
        model,
        device=opts["device"],
        compute_type=opts["compute_type"],
        cpu_threads=opts["cpu_threads"],
        cache=opts["model_cache"],
    )
    segments, _ = whisper.transcribe(
        str(path), language="en", word_timestamps=True, vad_filter=True
    )
    return [_row(s) for s in segments]


def _row(s) -> dict:
    return {
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "untranscribed": getattr(s, "untranscribed", False),
    }


def words_per_minute(rows: list[dict], seconds: float, stretch: float) -> list[int]:
    counts = [0] * (int(seconds // stretch) + 1)
    for r in rows:
        counts[int(r["start"] // stretch)] += len(normalise(r["text"]))
    return [round(c * 60 / stretch) for c in counts]


def longest_repeat(rows: list[dict]) -> tuple[int, float, str]:
    """The longest run of consecutive segments with the same text: count, seconds, text."""
    best, run = (0, 0.0, ""), []
    for r in rows:
        key = " ".join(normalise(r["text"]))
        if run and key != " ".join(normalise(run[0]["text"])):
            run = []
        run.append(r)
        span = run[-1]["end"] - run[0]["start"]
        if len(run) > best[0]:
            best = (len(run), span, r["text"].strip())
    return best


def report(label: str, rows: list[dict], reference: str, seconds: float, stretch: float) -> dict:
    text = "".join(r["text"] for r in rows)
    count, span, sentence = longest_repeat(rows)
    figures = {
        "wer": round(100 * wer(reference, text), 2),
        "words": len(normalise(text)),
        "wpm": words_per_minute(rows, seconds, stretch),
        "longest_repeat": [count, round(span, 1), sentence[:60]],
        "untranscribed": [[r["start"], r["end"]] for r in rows if r["untranscribed"]],
    }
    print(
        f"{label}: WER {figures['wer']} %, {figures['words']} words, longest repeat {count}× "
        f"over {span:.0f} s ({sentence[:50]!r}), marked {figures['untranscribed']}"
    )
    print(f"  words/min per {stretch / 60:g} min: {figures['wpm']}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--sides", default="portal,plain")
    parser.add_argument("--stretch-minutes", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {"args": {k: str(v) for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        said = long_recording.build(path, CORPUS, seconds=args.minutes * 60, seed=args.seed)
        reference = long_recording.reference(said)
        seconds = path.stat().st_size / 2 / 16_000
        print(
            f"{seconds / 60:.1f} min, {len(normalise(reference))} reference words, "
            f"{len(normalise(reference)) * 60 / seconds:.0f} words/min, model {args.model}"
        )
        stretch = args.stretch_minutes * 60
        said_rows = [{"start": t, "text": text} for t, text in said]
        results["audio_wpm"] = words_per_minute(said_rows, seconds, stretch)
        print(f"  audio's words/min per {args.stretch_minutes:g} min: {results['audio_wpm']}")
        for side in args.sides.split(","):
            started = time.perf_counter()
            rows = {"portal": portal, "plain": plain}[side](path, args.model)
            print(f"{side}: {time.perf_counter() - started:.0f} s")
            results[side] = report(side, rows, reference, seconds, stretch)
            results[side]["segments"] = rows
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
