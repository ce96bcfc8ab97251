"""Benchmark: read speech under real noise, what the transcript says where nobody speaks
(issue 9).

Prints figures; asserts nothing. Runs the engine (LocalWhisperBackend) on one part of the set
bench/prepare_noisy.py builds (`tuning`: development speech under Speech Commands' noise;
`heldout`: the held-out readings under Berlin street noise) and reports per recording and in
all:
- WER against the reference (tests/wer.py's normaliser);
- words outside speech: words whose time, widened by 0.5 s on each side, holds no speech of the
  clean recording (Silero at 0.5 on NAME.clean.wav): text written over noise alone, worse than
  a mark;
- marks outside speech: "no text" (and other gap) marks over less than 0.5 s of the clean
  recording's speech;
- marks over speech without text: marks over 0.5 s or more of its speech that no word (widened
  as above) covers: a right mark;
- with --cues, per mark its level spread as `loudness.steady_sound` measures it and the seconds
  Silero hears as speech (at 0.5) in the mix. A "no text" mark the steady-sound rule drops can
  come back as a `faint` one (faint.py covers what nothing else does), so the rule's threshold is
  measured by running it (--steady-db), not read off one run's spreads.

    .venv/bin/python bench/bench_noisy.py NOISY_DIR [--part tuning|heldout|changing] [--model base]
        [--only NAME ...] [--option KEY=VALUE ...] [--steady-db DB] [--steady-heard S]
        [--cues] [--show-text]
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

# A mark over less speech than this (of the clean recording) is a false one.
SPEECH_FOR_A_MARK = 0.5
# A word is outside speech when this much either side of it holds no speech.
WORD_MARGIN = 0.5


@dataclass
class Result:
    name: str
    wer: float = 0.0
    words: int = 0
    outside: list = field(default_factory=list)  # (start, text) of words outside speech
    # (start, end, gap, level spread, seconds Silero hears in the mix) of each mark
    false_marks: list = field(default_factory=list)
    right_marks: list = field(default_factory=list)


def spread_of(levels, silero, threshold: float, start: float, end: float) -> float:
    from apps.engines.stt.loudness import after_tail

    tail = after_tail(silero, threshold, start)
    return levels.spread(tail, end) if tail < end else 0.0


def uncovered(spans: list[tuple[float, float]], start: float, end: float):
    """The parts of [start, end) that no span covers."""
    parts, at = [], start
    for a, b in sorted(spans):
        if b <= at or a >= end:
            continue
        if a > at:
            parts.append((at, a))
        at = max(at, b)
    return parts + ([(at, end)] if at < end else [])


def measure(engine, path: Path, args) -> Result:
    from apps.core.media import decode_all
    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.loudness import Levels
    from apps.engines.stt.silero import SpeechProbabilities
    from tests.wer import wer

    name = path.name.removesuffix(".wav")
    clean = SpeechProbabilities(decode_all(path.with_name(f"{name}.clean.wav")))
    mixed = decode_all(path)
    levels, heard = Levels(mixed, []), SpeechProbabilities(mixed)
    threshold = engine.vad["threshold"]
    events = engine.transcribe(TranscriptionRequest(audio_path=path, model=args.model))
    segments = [e for e in events if isinstance(e, Segment)]
    text = " ".join(s.text.strip() for s in segments if not s.gap)
    result = Result(name, wer(path.with_name(f"{name}.txt").read_text(), text))
    said = [(w.start - WORD_MARGIN, w.end + WORD_MARGIN) for s in segments for w in s.words]
    for segment in (s for s in segments if s.gap):
        a, b = segment.start, segment.end
        # Speech under a mark that a word beside it already says is not speech left without
        # text: the mark is judged by the speech no word covers.
        speech = sum(clean.seconds_above(0.5, *part) for part in uncovered(said, a, b))
        mark = (
            a,
            b,
            segment.sound or segment.gap,
            spread_of(levels, heard, threshold, a, b),
            heard.seconds_above(0.5, a, b),
        )
        (result.right_marks if speech >= SPEECH_FOR_A_MARK else result.false_marks).append(mark)
    for segment in (s for s in segments if not s.gap):
        for word in segment.words:
            result.words += 1
            if not clean.seconds_above(0.5, word.start - WORD_MARGIN, word.end + WORD_MARGIN):
                result.outside.append((word.start, word.word.strip()))
    if args.show_text:
        print(f"  {text}")
    return result


def seconds(marks, gap: str | None = None) -> float:
    return sum(m[1] - m[0] for m in marks if gap is None or m[2] == gap)


def report(result: Result, cues: bool) -> None:
    def shown(marks):
        return ", ".join(
            f"{a:.1f}-{b:.1f} {gap}" + (f" ({spread:.1f} dB, heard {vad:.2f} s)" if cues else "")
            for a, b, gap, spread, vad in marks
        )

    outside = " ".join(f"{t:.1f}:{w}" for t, w in result.outside)
    print(
        f"{result.name:24} WER {100 * result.wer:5.1f} %  words outside speech "
        f"{len(result.outside)}/{result.words}  marks outside {seconds(result.false_marks):.1f} s"
        f"  over speech {seconds(result.right_marks):.1f} s"
    )
    for label, value in (
        ("outside speech", outside),
        ("marks outside", shown(result.false_marks)),
        ("marks over speech", shown(result.right_marks)),
    ):
        if value:
            print(f"    {label}: {value}")


def totals(results: list[Result]) -> str:
    def by_gap(kind):
        marks = [m for r in results for m in getattr(r, kind)]
        parts = [f"{gap} {seconds(marks, gap):.1f} s" for gap in sorted({m[2] for m in marks})]
        return f"{seconds(marks):.1f} s ({len(marks)}: {', '.join(parts) or 'none'})"

    return (
        f"mean WER {100 * sum(r.wer for r in results) / len(results):.2f} %, "
        f"words outside speech {sum(len(r.outside) for r in results)} "
        f"of {sum(r.words for r in results)}, marks outside speech {by_gap('false_marks')}, "
        f"marks over speech without text {by_gap('right_marks')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("noisy", type=Path, help="NOISY_DIR (bench/prepare_noisy.py)")
    parser.add_argument("--part", choices=("tuning", "heldout", "changing"), default="tuning")
    parser.add_argument("--model", default="base")
    parser.add_argument("--only", nargs="*", default=[], help="recording names")
    parser.add_argument("--option", action="append", default=[], help="engine KEY=VALUE")
    parser.add_argument("--steady-db", type=float, help="loudness.STEADY_SPREAD_DB for this run")
    parser.add_argument(
        "--steady-heard", type=float, help="loudness.STEADY_HEARD_SECONDS for this run"
    )
    parser.add_argument("--cues", action="store_true", help="each mark's spread and VAD speech")
    parser.add_argument("--show-text", action="store_true")
    args = parser.parse_args()
    django.setup()
    from bench_clean_marks import engine_from

    from apps.engines.stt import loudness

    if args.steady_db is not None:
        loudness.STEADY_SPREAD_DB = args.steady_db
    if args.steady_heard is not None:
        loudness.STEADY_HEARD_SECONDS = args.steady_heard
    engine, options = engine_from(args.model, args.option)
    paths = sorted(p for p in (args.noisy / args.part).glob("*.wav") if ".clean" not in p.name)
    paths = [p for p in paths if not args.only or p.stem in args.only]
    print(
        f"{args.part}, model {args.model}, options {options}, steady: spread under "
        f"{loudness.STEADY_SPREAD_DB} dB, heard under {loudness.STEADY_HEARD_SECONDS} s, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    results, started = [], time.process_time()
    for path in paths:
        results.append(measure(engine, path, args))
        report(results[-1], args.cues)
    print(f"in all: {totals(results)}; {time.process_time() - started:.0f} CPU s")


if __name__ == "__main__":
    main()
