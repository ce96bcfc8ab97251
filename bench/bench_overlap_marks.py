"""Benchmark: speech under two people talking at once, lost unseen or marked (issue 9 and 10).

Prints figures; asserts nothing. Whisper writes one voice where two talk at once (or neither):
the words of the other are lost, and unless a mark covers that stretch the user cannot tell.
For each recording with reference speaker turns, on a 10 ms grid:

- `overlap s`: seconds where two or more reference speakers talk at once;
- `unmarked`: of those, seconds no mark covers (any kind: the text covers one voice at most,
  so there the other voice is lost unseen); `no word, no mark`: neither a word nor a mark
  (both voices lost unseen);
- `overlap marks`: seconds the engine marked "overlap"; `false`: of those, where fewer than two
  reference speakers talk (`nobody`: where no one does).

Recordings: AMI excerpts with their RTTMs (`--ami AMI_DIR --split train|heldout`), the
development overlap file built here from shared corpus voices (`--built`: two speakers of the
corpus taking turns, each starting OVERLAP_SECONDS before the other ends; its reference turns are
where each part is within 35 dB of its loudest 10 ms), and unseen set 5's `en_talking_over`
rebuilt from its sources (`--talking-over SRC_DIR`, held out: the same layout, 0.6 s). Files
with one speaker (`--single FILE ...`: LJ Speech and the sonnets held out, English files of
unseen sets 1-2) count only their overlap marks, all false.

The portal runs as the engine does by default (LocalWhisperBackend, model base; the overlap
marks on since session 33) and with each `--option KEY=VALUE`, e.g. `--option
overlap_marks=false` (without them); `--rule T,D[,STEP]` also replays
the overlap rule offline on segmentation-3.0's overlap probability (over T for D seconds; its
windows every STEP seconds, 2.5 by default) from one decode of the default, to choose T and D
without decoding again (`--no-default`: the marks alone, nothing decoded).

    .venv/bin/python bench/bench_overlap_marks.py --ami AMI_DIR --split train --built \
        --option overlap_marks=false
    .venv/bin/python bench/bench_overlap_marks.py --ami AMI_DIR --split heldout \
        --talking-over SRC_DIR --option overlap_marks=false
    .venv/bin/python bench/bench_overlap_marks.py --no-default --single \
        HELDOUT_DIR/ljspeech_heldout.wav --rule 0.4,0.3,10
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

FRAME = 0.01
OVERLAP_SECONDS = 1.0
# Development voices of the shared corpus, in turn: speaker 1, 2, 1, 2, 1, 2.
BUILT_PARTS = (
    "eagle_spk1_utt1.wav",
    "eagle_spk2_test.wav",
    "eagle_spk1_utt2.wav",
    "jfk.flac",
    "eagle_spk1_test.wav",
    "librivox_sns_0870.wav",
)
BUILT_SPEAKERS = ("eagle1", "eagle2", "eagle1", "jfk", "eagle1", "librivox")


def talking_over(parts: list[np.ndarray], overlap: float):
    """The parts each starting `overlap` seconds before the one before ends (as
    prepare_unseen5.py lays out en_talking_over), with each part's speech span (seconds)."""
    from apps.core.media import SAMPLE_RATE

    step = int(overlap * SAMPLE_RATE)
    starts = np.cumsum([0] + [p.size - step for p in parts[:-1]])
    audio = np.zeros(int(starts[-1]) + parts[-1].size, dtype=np.float32)
    spans = []
    for start, samples in zip(starts, parts, strict=True):
        audio[start : start + samples.size] += samples
        spans += [[(start / SAMPLE_RATE + a, start / SAMPLE_RATE + b) for a, b in _voiced(samples)]]
    audio /= max(1.0, float(np.max(np.abs(audio))))
    return audio, spans


def _voiced(samples: np.ndarray) -> list[tuple[float, float]]:
    """Where a clip is within 35 dB of its loudest 10 ms, pauses under 0.3 s bridged."""
    n = samples.size // 160
    level = 10 * np.log10(np.mean(samples[: n * 160].reshape(n, 160) ** 2, axis=1) + 1e-12)
    return _runs(level > level.max() - 35, join=0.3)


def _runs(mask: np.ndarray, join: float = 0.0) -> list[tuple[float, float]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    runs: list[list[int]] = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if runs and (a - runs[-1][1]) * FRAME < join:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a * FRAME, b * FRAME) for a, b in runs]


def rttm_turns(path: Path) -> list[list[tuple[float, float]]]:
    by_speaker: dict[str, list] = {}
    for row in (r.split() for r in path.read_text().splitlines() if r.startswith("SPEAKER")):
        by_speaker.setdefault(row[7], []).append((float(row[3]), float(row[3]) + float(row[4])))
    return list(by_speaker.values())


def mask(spans, frames: int) -> np.ndarray:
    out = np.zeros(frames, dtype=bool)
    for a, b in spans:
        out[max(0, int(round(a / FRAME))) : max(0, int(round(b / FRAME)))] = True
    return out


def portal(path: Path, options: dict) -> tuple[list, list]:
    from django.conf import settings

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    engine = LocalWhisperBackend(
        alias="bench",
        default_model="base",
        model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
        **options,
    )
    words, marks = [], []
    for event in engine.transcribe(TranscriptionRequest(audio_path=path, model="base")):
        if isinstance(event, Segment):
            words += [(w.start, w.end) for w in event.words]
            marks += [(event.start, event.end, event.gap)] if event.gap else []
    return words, marks


def rule_marks(
    path: Path, threshold: float, seconds: float, step: float = 2.5
) -> list[tuple[float, float, str]]:
    """The overlap rule replayed offline: segmentation-3.0's overlap probability over the whole
    file (its windows every `step` seconds) above `threshold` for `seconds` or more (pauses
    under 0.5 s bridged)."""
    from apps.core.media import decode_all
    from apps.engines.analysis.segmentation import speech_activity

    activity = _ACTIVITY.get((path, step)) or speech_activity(decode_all(path), step=step)
    _ACTIVITY[(path, step)] = activity
    return [
        (a, b, "overlap")
        for a, b in _runs(activity.overlap > threshold, join=0.5)
        if b - a >= seconds
    ]


_ACTIVITY: dict = {}


def score(turns, words, marks, duration: float) -> dict:
    frames = int(duration / FRAME) + 1
    talking = sum(mask(t, frames).astype(int) for t in turns) if turns else np.zeros(frames)
    two = talking >= 2
    marked = mask([m[:2] for m in marks], frames)
    worded = mask([(a - 0.3, b + 0.3) for a, b in words], frames)
    ours = mask([m[:2] for m in marks if m[2] == "overlap"], frames)
    return {
        "overlap": two.sum() * FRAME,
        "unmarked": (two & ~marked).sum() * FRAME,
        "neither": (two & ~marked & ~worded).sum() * FRAME,
        "marks": ours.sum() * FRAME,
        "false": (ours & ~two).sum() * FRAME,
        "nobody": (ours & (talking == 0)).sum() * FRAME,
    }


def recordings(args) -> list[tuple[str, Path, list | None]]:
    """(name, audio path, reference turns per speaker or None for one speaker)."""
    from apps.core.media import decode_all

    found = []
    if args.ami:
        prefixes = {"train": "ami_trn", "heldout": ("ami_dev", "ami_tst")}[args.split]
        for path in sorted(args.ami.glob("ami_*.wav")):
            if path.name.startswith(prefixes):
                found.append((path.stem, path, rttm_turns(path.with_suffix(".rttm"))))
    folder = Path(tempfile.mkdtemp(prefix="overlap-bench-"))
    if args.built:
        corpus = ROOT.parent / "shared" / "corpus" if not args.corpus else args.corpus
        parts = [decode_all(corpus / name) for name in BUILT_PARTS]
        audio, spans = talking_over(parts, OVERLAP_SECONDS)
        found.append(("built_talking_over", _written(folder, "built", audio), _by(spans)))
    if args.talking_over:
        from bench.prepare_unseen import SWITCH, _sentences

        sentences = _sentences(args.talking_over)
        audio, spans = talking_over([sentences[k][0] for k in SWITCH], 0.6)
        speakers = [k.split("_")[0] for k in SWITCH]
        turns = {}
        for speaker, part in zip(speakers, spans, strict=True):
            turns.setdefault(speaker, []).extend(part)
        path = _written(folder, "talking_over", audio)
        found.append(("en_talking_over", path, list(turns.values())))
    found += [(p.stem, p, None) for p in args.single]
    return found


def _by(spans) -> list:
    turns: dict[str, list] = {}
    for speaker, part in zip(BUILT_SPEAKERS, spans, strict=True):
        turns.setdefault(speaker, []).extend(part)
    return list(turns.values())


def _written(folder: Path, name: str, audio: np.ndarray) -> Path:
    import wave

    path = folder / f"{name}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ami", type=Path)
    parser.add_argument("--split", choices=("train", "heldout"), default="train")
    parser.add_argument("--built", action="store_true")
    parser.add_argument("--corpus", type=Path, help="the shared corpus (default ../shared/corpus)")
    parser.add_argument("--talking-over", type=Path, help="SRC_DIR: rebuild en_talking_over")
    parser.add_argument("--single", type=Path, nargs="*", default=[])
    parser.add_argument("--option", action="append", default=[], help="KEY=VALUE (JSON value)")
    parser.add_argument(
        "--rule", action="append", default=[], help="T,D[,STEP]: threshold, seconds"
    )
    parser.add_argument("--no-default", action="store_true", help="skip the default side")
    args = parser.parse_args()
    django.setup()
    from apps.core.media import decode_all

    options = {k: json.loads(v) for k, _, v in (o.partition("=") for o in args.option)}
    sides = {} if args.no_default else {"default": {}}
    if options:
        sides[" ".join(args.option)] = options
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    totals: dict[str, dict] = {}
    print(
        "| file | side | overlap s | unmarked | no word, no mark | overlap marks | false "
        "| nobody | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path, turns in recordings(args):
        duration = len(decode_all(path)) / 16_000
        results = {}
        for side, opts in sides.items():
            cpu = time.process_time()
            results[side] = portal(path, opts)
            results[side] += (time.process_time() - cpu,)
        first = next(iter(results.values()), None)
        for t in args.rule:
            extra = rule_marks(path, *(float(x) for x in t.split(",")))
            results[f"rule {t}"] = (first[0], first[1] + extra, 0.0) if first else ([], extra, 0.0)
        for side, (words, marks, cpu) in results.items():
            r = score(turns or [], words, marks, duration)
            r["cpu"] = cpu
            total = totals.setdefault(side, {})
            for key, value in r.items():
                total[key] = total.get(key, 0.0) + value
            _row(name, side, r)
    for side, total in totals.items():
        _row("**all**", side, total)


def _row(name: str, side: str, r: dict) -> None:
    print(
        f"| {name} | {side} | {r['overlap']:.2f} | {r['unmarked']:.2f} | {r['neither']:.2f} "
        f"| {r['marks']:.2f} | {r['false']:.2f} | {r['nobody']:.2f} | {r['cpu']:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
