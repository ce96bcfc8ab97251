"""Benchmark: the speaker-labelled segments (diarized_json) against the speaker turns.

Prints figures; asserts nothing (it is a benchmark, not a test).

For every recording with an RTTM of the same stem in the folders given (AMI_DIR, the shared
corpus), the default speech-to-text engine and the default speakers analysis run once with the
count given (as `manage.py transcribe FILE --speakers N --format diarized_json` does), and the
transcript and the turns are kept in --cache (a pickle per file; delete it to run them again).
The labelling (`speakers.label_segments`) then runs on the kept transcript and turns in a
second, so its changes can be measured without transcribing again.

Per file: the DER of the turns and of the labelled segments (no collar and 0.25 s), `seg_ovl`
the segments with the second voice diarized_json names on a segment mostly under another
voice's overlap marks (analysis/second_voices.py; --share sets its SHARE), each split
into missed speech, false alarm and confusion (shares of the reference speech), and where the
segments' extra error lies, in seconds of reference speech, 10 ms frames:
- `nowd`: speech the turns label right that no segment covers, in a turn with no word in it at
  all (Whisper wrote nothing there: far-field, quiet; `mark` of it under a "no text" or "faint"
  mark),
- `gap`: the same, in a turn that has words elsewhere (a piece's edge short of its turn's),
- `wrong`: speech the turns label right and a segment gives to another speaker (a word near a
  change given to the wrong side),
- `fa+`: seconds where a segment labels speech and the turns do not (over a pause),
- `won`: speech the segments label right and the turns do not.
The means are per part (TUNING and HELD_OUT of bench_analysis.py; the corpus's files "other").

    .venv/bin/python bench/bench_segments.py --cache CACHE AMI_DIR ../shared/corpus [--only STEMS]
"""

import argparse
import pickle
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
FRAME = 0.01
AUDIO = {".wav", ".flac", ".mp3"}


def setup() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    django.setup()


def transcribed(path: Path, count: int, cache: Path) -> dict:
    """The transcript and the turns of `path`, from the cache or computed once."""
    kept = cache / f"{path.stem}.pickle"
    if kept.exists():
        return pickle.loads(kept.read_bytes())
    from apps.engines.analysis import analysis_backends
    from apps.engines.analysis.base import DiarizationRequest, Transcript
    from apps.engines.stt import stt_backends
    from apps.engines.stt.base import Segment, TranscriptionRequest

    events = stt_backends.default().transcribe(TranscriptionRequest(audio_path=path))
    transcript = Transcript(tuple(e for e in events if isinstance(e, Segment)), language="en")
    result = analysis_backends.default().diarize(
        DiarizationRequest(audio_path=path, transcript=transcript, num_speakers=count)
    )
    found = {
        "transcript": transcript,
        "turns": result.turns,
        "segments": result.segments,
        "overlaps": result.overlaps,
    }
    cache.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(pickle.dumps(found))
    return found


def _grid(items, n: int) -> dict[str, np.ndarray]:
    """Speaker -> frames where it is labelled."""
    out: dict[str, np.ndarray] = {}
    for speaker, start, end in items:
        row = out.setdefault(speaker, np.zeros(n, dtype=bool))
        row[int(round(start / FRAME)) : int(round(end / FRAME))] = True
    return out


def _right(reference: dict, hypothesis: dict, mapping: dict, n: int) -> np.ndarray:
    """Frames where a hypothesis speaker mapped to a reference speaker who talks there."""
    right = np.zeros(n, dtype=bool)
    for hyp, ref in mapping.items():
        if hyp in hypothesis and ref in reference:
            right |= hypothesis[hyp] & reference[ref]
    return right


def breakdown(reference, turns, pieces, marks, middles) -> dict:
    """Where the segments lose (or win) against the turns, in seconds (see the docstring)."""
    from apps.engines.analysis.der import diarization_error_rate

    end = max([t[2] for t in [*reference, *turns, *pieces, *marks]], default=0.0)
    n = int(np.ceil(end / FRAME)) + 2
    ref, hyp_t, hyp_s = _grid(reference, n), _grid(turns, n), _grid(pieces, n)
    speech = np.any(list(ref.values()), axis=0) if ref else np.zeros(n, bool)
    turn_right = _right(ref, hyp_t, diarization_error_rate(reference, turns).mapping, n)
    seg_right = _right(ref, hyp_s, diarization_error_rate(reference, pieces).mapping, n)
    covered = np.any(list(hyp_s.values()), axis=0) if hyp_s else np.zeros(n, bool)
    turned = np.any(list(hyp_t.values()), axis=0) if hyp_t else np.zeros(n, bool)
    marked = np.zeros(n, dtype=bool)
    for _, start, stop in marks:
        marked[int(round(start / FRAME)) : int(round(stop / FRAME))] = True
    worded = np.zeros(n, dtype=bool)  # frames of a turn that holds a word's middle
    for _, start, stop in turns:
        a, b = int(round(start / FRAME)), int(round(stop / FRAME))
        if any(start <= m <= stop for m in middles):
            worded[a:b] = True
    lost = turn_right & ~seg_right & speech
    return {
        "nowd": (lost & ~covered & ~worded).sum() * FRAME,
        "mark": (lost & ~covered & ~worded & marked).sum() * FRAME,
        "gap": (lost & ~covered & worded).sum() * FRAME,
        "wrong": (lost & covered).sum() * FRAME,
        "fa+": (covered & ~turned & ~speech).sum() * FRAME,
        "won": (seg_right & ~turn_right).sum() * FRAME,
    }


def score(path: Path, found: dict) -> dict:
    from apps.engines.analysis.der import diarization_error_rate, load_rttm
    from apps.engines.analysis.second_voices import second_voice
    from apps.engines.analysis.speakers import label_segments

    reference = load_rttm(path.with_suffix(".rttm"))
    turns = [(t.speaker, t.start, t.end) for t in found["turns"]]
    # As the command line and the jobs give it: the engine's "no text" and "faint" marks are
    # kept apart from the segments (transcripts.services), so the labelling never sees them.
    segments = found["transcript"].segments
    text = replace(found["transcript"], segments=tuple(s for s in segments if not s.gap))
    labelled = label_segments(text, found["turns"])
    pieces = [
        (p.speaker, p.segment.start, p.segment.end) for p in labelled if p.segment.text.strip()
    ]
    marks = [("mark", s.start, s.end) for s in segments if s.gap]
    # As diarized_json names them: a piece another voice's overlap marks cover mostly carries
    # that voice too (analysis/second_voices.py).
    voices = [(o.speaker, o.start, o.end) for o in found.get("overlaps", ())]
    both = pieces + [
        (second, start, end)
        for speaker, start, end in pieces
        if (second := second_voice(start, end, speaker, voices))
    ]
    middles = [(w.start + w.end) / 2 for p in labelled for w in p.segment.words]
    row = {"name": path.stem}
    row["seg_ovl"] = diarization_error_rate(reference, both).der
    for key, items in (("turn", turns), ("seg", pieces)):
        strict = diarization_error_rate(reference, items)
        total = strict.total or 1.0
        row.update(
            {
                key: strict.der,
                f"{key}_collar": diarization_error_rate(reference, items, collar=0.25).der,
                f"{key}_miss": strict.missed / total,
                f"{key}_fa": strict.false_alarm / total,
                f"{key}_conf": strict.confusion / total,
            }
        )
    row["total"] = diarization_error_rate(reference, turns).total
    row.update(breakdown(reference, turns, pieces, marks, middles))
    return row


COLUMNS = [
    ("turn", "%"), ("seg", "%"), ("seg_ovl", "%"), ("turn_collar", "%"), ("seg_collar", "%"),
    ("turn_miss", "%"), ("seg_miss", "%"), ("turn_fa", "%"), ("seg_fa", "%"),
    ("turn_conf", "%"), ("seg_conf", "%"),
    ("nowd", "s"), ("mark", "s"), ("gap", "s"), ("wrong", "s"), ("fa+", "s"), ("won", "s"),
]  # fmt: skip


def _line(name: str, values: dict) -> str:
    cells = [f"{values[k]:7.1%}" if kind == "%" else f"{values[k]:6.1f}" for k, kind in COLUMNS]
    return f"{name:24s} " + " ".join(cells)


def _header() -> str:
    cells = [f"{k:>7s}" if kind == "%" else f"{k:>6s}" for k, kind in COLUMNS]
    return f"{'file':24s} " + " ".join(cells)


def main() -> None:
    from bench_analysis import HELD_OUT, TUNING

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--only", default="", help="comma-separated stems")
    parser.add_argument("--share", type=float, help="second_voices.SHARE for this run")
    args = parser.parse_args()
    setup()
    if args.share is not None:
        from apps.engines.analysis import second_voices

        second_voices.SHARE = args.share
    from apps.engines.analysis.der import load_rttm

    only = set(filter(None, args.only.split(",")))
    paths, seen = [], set()
    for folder in args.folders:
        for p in sorted(folder.iterdir()):
            scored = p.suffix in AUDIO and p.with_suffix(".rttm").exists()
            if scored and p.stem not in seen and (not only or p.stem in only):
                paths.append(p)
                seen.add(p.stem)
    print(_header())
    rows = []
    for path in paths:
        count = len({r[0] for r in load_rttm(path.with_suffix(".rttm"))})
        row = score(path, transcribed(path, count, args.cache))
        row["part"] = (
            "tune" if path.stem in TUNING else "held" if path.stem in HELD_OUT else "other"
        )
        rows.append(row)
        print(_line(path.stem, row), flush=True)
    for part in ("tune", "held", "other"):
        chosen = [r for r in rows if r["part"] == part]
        if chosen:
            mean = {k: sum(r[k] for r in chosen) / len(chosen) for k, _ in COLUMNS}
            print(_line(f"mean {part} ({len(chosen)})", mean))


if __name__ == "__main__":
    main()
