"""Benchmark: where the local engine's word errors come from, against a plain call.

Prints figures; asserts nothing. Builds a development recording (tests/long_recording.py), or
takes a recording with its reference text, transcribes it in this one process with a plain
`WhisperModel.transcribe()` (beam 5, word timestamps, no VAD, as bench_transcribe.py's plain
call) and with `LocalWhisperBackend` (default options), both asked for the language a user gets
by default (--language detect: English for an English-only model, detected by a multilingual
one such as `base`) or for the code given, aligns both hypotheses word by word to
the reference (the normaliser of tests/wer.py), and lists every stretch of reference words the
engine gets wrong where the plain call gets them right, with what the engine did there:

- `window`: within 2 s of a cut between two of the engine's windows;
- `join`: within 1 s of a place where the decoder's VAD dropped silence and joined speech;
- `clip start`: the first word of a corpus clip (a sentence start after a pause);
- `again` / `gap` / `repeat` / `sparse`: text that came from a stretch decoded a second time
  (a skipped stretch, speech without text, the repeat guard, the too-few-words guard);
- `said Nx`: inside a clip the recording plays several times in a row.

    .venv/bin/python bench/bench_stt_errors.py --minutes 30 --seed 4 --dump DIR
    .venv/bin/python bench/bench_stt_errors.py --wav FILE --text FILE
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))
# Callers of _WindowedRun._decode, by what the decode is for.
_KINDS = {
    "_first_pass": "first",
    "_again": "again",
    "_confidently": "gap",
    "_repeat_again": "repeat",
    "_sparse_again": "sparse",
}


@dataclass
class Trace:
    """What the engine did: window offsets, the decoder's speech chunks, decodes by kind."""

    windows: list[float] = field(default_factory=list)
    joins: list[float] = field(default_factory=list)
    decoded: list[tuple[str, float, float, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def traced_engine(trace: Trace):
    """Wraps _WindowedRun's window and decode methods to record what they did."""

    from apps.core.media import SAMPLE_RATE
    from apps.engines.stt import local
    from apps.engines.stt.base import Segment

    run_class = local._WindowedRun
    windows, decode = run_class._windows, run_class._decode

    def traced_windows(self):
        at = self.start
        for window in windows(self):
            trace.windows.append(at)
            at += len(window) / SAMPLE_RATE
            yield window

    def traced_decode(self, audio, offset, **kwargs):
        frame, kind = sys._getframe(1), "?"
        while frame is not None and kind == "?":
            kind = _KINDS.get(frame.f_code.co_name, "?")
            frame = frame.f_back
        chunks = self._probabilities(audio).chunks(self.backend.decoder_vad)
        for before, after in zip(chunks, chunks[1:], strict=False):
            if after["start"] > before["end"]:  # silence dropped between them
                trace.joins.append(offset + (before["end"] + after["start"]) / 2 / SAMPLE_RATE)
        for event in decode(self, audio, offset, **kwargs):
            if isinstance(event, Segment):
                trace.decoded.append((kind, event.start, event.end, event.text))
            yield event

    run_class._windows, run_class._decode = traced_windows, traced_decode


class _Collect(logging.Handler):
    def __init__(self, trace: Trace):
        super().__init__(logging.INFO)
        self.trace = trace

    def emit(self, record):
        self.trace.log.append(record.getMessage())


def words_of(segments) -> list[tuple[str, float, float]]:
    """Normalised words with their times, from segments with aligned words."""
    from tests.wer import normalise

    found = []
    for seg in segments:
        if getattr(seg, "untranscribed", False):
            continue
        if not seg.words:
            found += [(w, seg.start, seg.end) for w in normalise(seg.text)]
        for word in seg.words:
            found += [(w, word.start, word.end) for w in normalise(word.word)]
    return found


def align(ref: list[str], hyp: list[str]) -> list[tuple[int | None, int | None]]:
    """A minimal edit alignment: pairs (ref index, hyp index), None on the missing side."""
    back = []
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current, moves = [i], bytearray([1])
        for j, h in enumerate(hyp, start=1):
            choices = (previous[j - 1] + (r != h), previous[j] + 1, current[j - 1] + 1)
            best = min(choices)
            current.append(best)
            moves.append(choices.index(best))  # 0 diagonal, 1 ref only, 2 hyp only
        back.append(moves)
        previous = current
    pairs, i, j = [], len(ref), len(hyp)
    while i or j:
        move = back[i - 1][j] if i else 2
        if i and j and move == 0:
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif i and (move == 1 or not j):
            i -= 1
            pairs.append((i, None))
        else:
            j -= 1
            pairs.append((None, j))
    return pairs[::-1]


def ref_correct(ref: list[str], hyp: list[tuple], pairs) -> list[bool]:
    """Per reference word: recognised (aligned to the same word)."""
    ok = [False] * len(ref)
    for i, j in pairs:
        if i is not None and j is not None and ref[i] == hyp[j][0]:
            ok[i] = True
    return ok


def errors(ref, hyp, pairs) -> int:
    return sum(1 for i, j in pairs if i is None or j is None or ref[i] != hyp[j][0])


def located(run: dict, ref, hyp, pairs) -> tuple[float, float]:
    """The engine's time span of a run: its own words' times, else its matched neighbours'."""
    if run["times"]:
        return min(run["times"]), max(run["times"])
    first = min(i for i in run["ref"] if i is not None)
    before = [hyp[j][2] for i, j in pairs if i is not None and i < first and j is not None]
    after = [hyp[j][1] for i, j in pairs if i is not None and i > first and j is not None]
    start = before[-1] if before else 0.0
    return start, after[0] if after else start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat-every", type=float, default=360.0)
    parser.add_argument("--wav", type=Path, help="a recording instead of a development one")
    parser.add_argument("--text", type=Path, help="its reference text")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--language",
        default="detect",
        help='a code for both sides, or "detect": as users get it (detected by base)',
    )
    parser.add_argument("--option", action="append", default=[], metavar="k=v")
    parser.add_argument("--no-plain", action="store_true")
    parser.add_argument("--dump", type=Path, help="write both texts and the stretches here")
    args = parser.parse_args()

    import django

    django.setup()
    logging.getLogger().setLevel(logging.ERROR)
    trace = Trace()
    local_logger = logging.getLogger("apps.engines.stt.local")
    local_logger.setLevel(logging.INFO)
    local_logger.addHandler(_Collect(trace))
    report(args, trace)


def clips_of(said) -> tuple[list[int], list[int]]:
    """Per reference word: its clip's index, and how many times that clip is said in a row."""
    from tests.wer import normalise

    index, times, k = [], [], 0
    while k < len(said):
        n = 1
        while k + n < len(said) and said[k + n][1] == said[k][1]:
            n += 1
        for c in range(k, k + n):
            words = normalise(said[c][1])
            index += [c] * len(words)
            times += [n] * len(words)
        k += n
    return index, times


def report(args, trace: Trace) -> None:
    from django.conf import settings

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend, load_model
    from tests import long_recording
    from tests.wer import normalise, wer

    with tempfile.TemporaryDirectory() as folder:
        if args.wav:
            path, said = args.wav, [(0.0, args.text.read_text())]
        else:
            path = Path(folder) / "long.wav"
            said = long_recording.build(
                path,
                CORPUS,
                seconds=args.minutes * 60,
                seed=args.seed,
                repeat_every=args.repeat_every,
            )
        reference = long_recording.reference(said)
        ref = normalise(reference)
        clip_of, said_times = clips_of(said)
        starts = {clip_of.index(c) for c in set(clip_of)}
        print(f"{path.name}: {len(ref)} reference words, load {os.getloadavg()[0]:.1f}")

        traced_engine(trace)
        options = {"cpu_threads": args.threads}
        for option in args.option:
            key, _, value = option.partition("=")
            options[key] = float(value) if "." in value else int(value)
        engine = LocalWhisperBackend(
            alias="bench",
            default_model=args.model,
            model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
            **options,
        )
        t0 = time.process_time()
        language = args.language
        if language == "detect":
            language = "en" if args.model.endswith(".en") else None
        request = TranscriptionRequest(
            audio_path=path, model=args.model, language=language, word_timestamps=True
        )
        segments = [e for e in engine.transcribe(request) if isinstance(e, Segment)]
        text = "".join(s.text for s in segments)
        print(f"portal WER {wer(reference, text):.2%}  cpu {time.process_time() - t0:.0f} s")

        # After the engine: the plain call samples from the model's generator, which the
        # engine seeds at its first sample only when nothing sampled before (local.py), so
        # run second it leaves the engine's text as in a run of its own.
        model = load_model(args.model, device="cpu", compute_type="int8", cpu_threads=args.threads)
        plain_segments = []
        if not args.no_plain:
            t0 = time.process_time()
            found, _ = model.transcribe(
                str(path), language=language, beam_size=5, word_timestamps=True
            )
            plain_segments = list(found)
            plain_text = "".join(s.text for s in plain_segments)
            cpu = time.process_time() - t0
            print(f"plain  WER {wer(reference, plain_text):.2%}  cpu {cpu:.0f} s")

    portal = words_of(segments)
    portal_pairs = align(ref, [w for w, _, _ in portal])
    print(f"portal errors {errors(ref, portal, portal_pairs)}")
    if plain_segments:
        plain = words_of(plain_segments)
        plain_pairs = align(ref, [w for w, _, _ in plain])
        plain_ok = ref_correct(ref, plain, plain_pairs)
        print(f"plain  errors {errors(ref, plain, plain_pairs)}")
    else:
        plain, plain_pairs, plain_ok = [], [], [True] * len(ref)
    runs = portal_only(ref, portal, portal_pairs, plain_ok)
    lines, counts = [], {}
    for run in runs:
        start, end = located(run, ref, portal, portal_pairs)
        tags = tags_of(run, start, end, trace, starts, said_times)
        for tag in tags or ["other"]:
            counts[tag] = counts.get(tag, 0) + run["errors"]
        ref_words = " ".join(ref[i] for i in run["ref"] if i is not None)
        hyp_words = " ".join(portal[j][0] for j in run["hyp"] if j is not None)
        lines.append(
            f"{start:7.1f}-{end:7.1f}  {run['errors']:2d}  [{', '.join(tags)}]  "
            f"ref: {ref_words!r}  portal: {hyp_words!r}"
        )
    total = sum(r["errors"] for r in runs)
    print(f"\nportal errors the plain call does not make: {total} in {len(runs)} stretches")
    print("\n".join(lines))
    print("\nby tag (a stretch can have several):")
    for tag, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {tag:12s} {n}")
    print(f"windows at {[round(w, 1) for w in trace.windows]}")
    print(f"decodes by kind: {summary(trace)}")
    for message in trace.log:
        print(f"  log: {message}")
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        (args.dump / "reference.txt").write_text(reference)
        (args.dump / "portal.txt").write_text(text)
        if plain_segments:
            (args.dump / "plain.txt").write_text(plain_text)
        (args.dump / "segments.txt").write_text(
            "\n".join(f"{s.start:8.2f} {s.end:8.2f} {s.flags} {s.gap} {s.text}" for s in segments)
        )
        (args.dump / "decoded.txt").write_text(
            "\n".join(f"{k:7s} {a:8.2f} {b:8.2f} {t}" for k, a, b, t in trace.decoded)
        )
        (args.dump / "stretches.txt").write_text("\n".join(lines))


def portal_only(ref, hyp, pairs, other_ok: list[bool]) -> list[dict]:
    """Runs of consecutive edits where the other side was right on every reference word
    involved (an insertion joins the run it is next to)."""
    runs, current = [], None
    for i, j in pairs:
        wrong = i is None or j is None or ref[i] != hyp[j][0]
        if wrong and (i is None or other_ok[i]):
            current = current or {"ref": [], "hyp": [], "times": [], "errors": 0}
            current["ref"].append(i)
            current["hyp"].append(j)
            current["errors"] += 1
            if j is not None:
                current["times"].append(hyp[j][1])
        elif current:
            if not current["times"] and j is not None:
                current["times"].append(hyp[j][1])  # a deletion: where it should have been
            runs.append(current)
            current = None
    if current:
        runs.append(current)
    return runs


def tags_of(run, start, end, trace: Trace, clip_starts, said_times) -> list[str]:
    tags = []
    if any(start - 2 <= w <= end + 2 for w in trace.windows[1:]):
        tags.append("window")
    if any(start - 1 <= j <= end + 1 for j in trace.joins):
        tags.append("join")
    refs = [i for i in run["ref"] if i is not None]
    if any(i in clip_starts for i in refs):
        tags.append("clip start")
    for kind, a, b, _ in trace.decoded:
        near = a - 0.5 <= end and start <= b + 0.5
        if kind not in ("first", "?", *tags) and near:
            tags.append(kind)
    if refs and said_times[refs[0]] > 1:
        tags.append(f"said {said_times[refs[0]]}x")
    return tags


def summary(trace: Trace) -> dict:
    counts = {}
    for kind, *_ in trace.decoded:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


if __name__ == "__main__":
    main()
