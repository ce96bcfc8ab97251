"""Benchmark: how much of the reference speech reaches the transcript (nothing lost unseen).

Prints figures; asserts nothing. For each recording with reference speech times (RTTM), the
share of reference speech covered by transcribed words (each word's span widened by
--tolerance seconds), the share covered by words or by the engine's marked gaps, and the seconds
of words outside any reference speech (text where nobody spoke: a proxy for invented text), and
the seconds of marks outside any reference speech (marks where nobody spoke).

    # AMI excerpts (see bench/prepare_ami_excerpts.py); tune on the training meetings, report on
    # the held-out ones (development and test meetings share no speaker with the training ones):
    .venv/bin/python bench/bench_speech_coverage.py AMI_DIR --split train --sweep
    .venv/bin/python bench/bench_speech_coverage.py AMI_DIR --split heldout

Sides compared, on the same files in one run: `plain` (WhisperModel.transcribe() with its
defaults: beam 5, word timestamps, no VAD), `portal-before` (the engine's former decoder
settings: faster-whisper's VAD defaults) and `portal` (LocalWhisperBackend, the tuned VAD,
language per part, gap marks), `portal, no faint marks` (the same run with the marks of the
second detector, stt/faint.py, left out), plus one `portal setting=value` per point of SWEEP
with --sweep. --sides chooses among them.

--where lists, after the table, the reference speech the portal left with neither a word nor a
mark: each stretch with what the two speech detectors hear there (pyannote's segmentation-3.0,
which the faint marks use, and Silero, which the engine's VAD uses) and how many reference
speakers talk, then the missed seconds by how strongly segmentation-3.0 hears them.

--marks-need-speech turns that engine option on (a stretch without text is marked only where
the VAD hears 1 s of speech in it, unpadded); --option KEY=VALUE sets any other engine option
(`--option decoder_silence_ms=2000`: the decoder's former cut; `--option decoder_lead_in_ms=0`:
the silence before the first words cut off, as before session 28). --per-file adds each file's
figures for the portal and lists its marks that name a sound, with the reference speech under
each (`portal, sound marks left out`: such marks as speech lost); --save FILE writes the
portal's words and marks per file as JSON, to replay a rule on them without decoding again.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

SPLITS = {
    "train": "ami_trn",
    "heldout": ("ami_dev", "ami_tst"),
}
# Engine options over the defaults (--marks-need-speech).
ENGINE_OPTIONS: dict = {}
# One setting at a time away from the tuned defaults (a full grid is 27 runs).
SWEEP = {
    "threshold": (0.2, 0.5),
    "min_silence_duration_ms": (500, 2000),
    "speech_pad_ms": (200, 800),
}


def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    total, j = 0.0, 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            total += max(0.0, min(end, b[k][1]) - max(start, b[k][0]))
            k += 1
    return total


def length(intervals) -> float:
    return sum(b - a for a, b in intervals)


def reference(rttm: Path) -> list[tuple[float, float]]:
    rows = [line.split() for line in rttm.read_text().splitlines() if line.startswith("SPEAKER")]
    return union([(float(r[3]), float(r[3]) + float(r[4])) for r in rows])


def run_plain(model, path: Path, vad: dict | None):
    segments, _ = model.transcribe(
        str(path),
        beam_size=5,
        word_timestamps=True,
        vad_filter=vad is not None,
        vad_parameters=vad or None,
    )
    return [(w.start, w.end) for s in segments for w in (s.words or [])], []


def run_portal(vad: dict, path: Path, model: str):
    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    engine = LocalWhisperBackend(
        alias="bench", default_model=model, model_cache=_cache(), vad=vad, **ENGINE_OPTIONS
    )
    words, gaps = [], []
    for event in engine.transcribe(TranscriptionRequest(audio_path=path, model=model)):
        if not isinstance(event, Segment):
            continue
        if event.gap:
            gaps.append((event.start, event.end, event.gap, event.sound))
        words += [(w.start, w.end) for w in event.words]
    return words, gaps


def _cache() -> str:
    from django.conf import settings

    return str(settings.VOICEPORTAL_MODEL_CACHE)


def measure(files: list[Path], side, tolerance: float) -> dict:
    ref_total = covered = marked = outside = marks_outside = 0.0
    n_words, started = 0, time.monotonic()
    for path in files:
        ref = reference(path.with_suffix(".rttm"))
        words, gaps = side(path) if callable(side) else side[path]
        n_words += len(words)
        spans = union([(a - tolerance, b + tolerance) for a, b in words])
        marks = union([(a, b) for a, b, *_ in gaps])
        ref_total += length(ref)
        covered += overlap(ref, spans)
        marked += overlap(ref, union(spans + marks))
        word_spans = union(words)
        widened = union([(a - 0.5, b + 0.5) for a, b in ref])
        outside += length(word_spans) - overlap(word_spans, widened)
        marks_outside += length(marks) - overlap(marks, widened)
    return {
        "transcribed": covered / ref_total,
        "transcribed_or_marked": marked / ref_total,
        "words_outside_s": outside,
        "marks_outside_s": marks_outside,
        "words": n_words,
        "seconds": time.monotonic() - started,
    }


# How strongly segmentation-3.0 hears a missed stretch (its mean there): the faint marks need
# 0.3 (stt/faint.py); below 0.15 it does not hear speech at all.
WHERE_CLASSES = ((0.3, "heard (seg-3.0 > 0.3): margins, short runs"), (0.15, "weakly (0.15-0.3)"))
WHERE_NOT_HEARD = "not heard (seg-3.0 <= 0.15)"


def missed(ref, covered) -> list[tuple[float, float]]:
    """The stretches of `ref` outside `covered` (both sorted, disjoint)."""
    gaps, j = [], 0
    for start, end in ref:
        at = start
        while j < len(covered) and covered[j][1] <= at:
            j += 1
        k = j
        while k < len(covered) and covered[k][0] < end:
            if covered[k][0] > at:
                gaps.append((at, covered[k][0]))
            at = max(at, covered[k][1])
            k += 1
        if at < end:
            gaps.append((at, end))
    return [(a, b) for a, b in gaps if b - a >= 0.01]


def where(files: list[Path], results: dict, tolerance: float) -> None:
    """Each missed stretch of reference speech, with what the detectors hear there."""
    import numpy as np

    from apps.core.media import SAMPLE_RATE, decode_all
    from apps.engines.analysis.segmentation import speech_activity
    from apps.engines.stt.silero import SpeechProbabilities

    by_class: dict[str, float] = {}
    print("| file | missed | seconds | seg-3.0 mean, max | Silero max | speakers |")
    print("|---|---|---|---|---|---|")
    for path in files:
        words, gaps = results[path]
        covered = union([(a - tolerance, b + tolerance) for a, b in words] + [g[:2] for g in gaps])
        audio = decode_all(path)
        seg3 = speech_activity(audio).speech
        silero = np.asarray(SpeechProbabilities(audio).probabilities)
        per_silero = len(audio) / len(silero) / SAMPLE_RATE
        rows = [line.split() for line in path.with_suffix(".rttm").read_text().splitlines()]
        turns = [(float(r[3]), float(r[3]) + float(r[4])) for r in rows if r]
        for start, end in missed(reference(path.with_suffix(".rttm")), covered):
            heard = seg3[int(start * 100) : max(int(end * 100), int(start * 100) + 1)]
            voice = silero[int(start / per_silero) : int(end / per_silero) + 1]
            talking = max(sum(a < t < b for a, b in turns) for t in (start, (start + end) / 2))
            label = next(
                (name for floor, name in WHERE_CLASSES if heard.mean() > floor), WHERE_NOT_HEARD
            )
            by_class[label] = by_class.get(label, 0.0) + end - start
            print(
                f"| {path.stem} | {start:.2f}-{end:.2f} s | {end - start:.2f} "
                f"| {heard.mean():.2f}, {heard.max():.2f} "
                f"| {float(voice.max()) if len(voice) else 0.0:.2f} | {talking} |"
            )
    for label, seconds in sorted(by_class.items(), key=lambda item: -item[1]):
        print(f"- {label}: {seconds:.1f} s")


class Remembered:
    """A side whose results are kept, so a variant can be derived without decoding again."""

    def __init__(self, side):
        self.side, self.results = side, {}

    def __call__(self, path):
        self.results[path] = self.side(path)
        return self.results[path]

    def without(self, reason: str):
        def side(path):
            words, gaps = self.results[path]
            return words, [g for g in gaps if g[2] != reason]

        return side


# multilingual.mp3 (shared corpus): the MIT licence read in English, then in German.
MIXED = {"file": "multilingual.mp3", "parts": (("en", 0.0, 29.5), ("de", 29.5, 59.9))}


def mixed_language(corpus: Path, model, model_name: str) -> None:
    """Per part of the mixed-language file: the share of its time covered by words decoded in
    its language (plain call: one language for the whole file, as faster-whisper detects it)."""
    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    path = corpus / MIXED["file"]
    plain, info = model.transcribe(str(path), beam_size=5, word_timestamps=True)
    sides = {"plain": [(info.language, w.start, w.end) for s in plain for w in (s.words or [])]}
    engine = LocalWhisperBackend(
        alias="bench", default_model=model_name, model_cache=_cache(), **ENGINE_OPTIONS
    )
    portal, gaps = [], []
    for e in engine.transcribe(TranscriptionRequest(audio_path=path, model=model_name)):
        if isinstance(e, Segment):
            portal += [(e.language, w.start, w.end) for w in e.words]
            gaps += [(e.start, e.end)] if e.gap else []
    sides["portal"] = portal
    print("| side | part | covered by words in its language | marked as gaps |")
    print("|---|---|---|---|")
    for name, words in sides.items():
        for language, start, end in MIXED["parts"]:
            spans = union([(a - 0.3, b + 0.3) for lang, a, b in words if lang == language])
            share = overlap([(start, end)], spans) / (end - start)
            marked = overlap([(start, end)], union(gaps)) / (end - start) if name == "portal" else 0
            print(f"| {name} | {language} {start:.1f}–{end:.1f} s | {share:.0%} | {marked:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="AMI excerpts: ami_*.wav with ami_*.rttm")
    parser.add_argument("--split", choices=SPLITS, default="heldout")
    parser.add_argument("--model", default="base")
    parser.add_argument("--sweep", action="store_true", help="also each VAD setting of SWEEP")
    parser.add_argument("--tolerance", type=float, default=0.3)
    parser.add_argument("--mixed", type=Path, help="the shared corpus: also multilingual.mp3")
    parser.add_argument("--sides", help="comma-separated: plain,portal-before,portal")
    parser.add_argument("--where", action="store_true", help="list the portal's missed speech")
    parser.add_argument(
        "--marks-need-speech", action="store_true", help="the engine option of that name, on"
    )
    parser.add_argument("--option", type=engine_option, action="append", default=[])
    parser.add_argument("--per-file", action="store_true", help="the portal's figures per file")
    parser.add_argument("--save", type=Path, help="the portal's words and marks, as JSON")
    args = parser.parse_args()
    if args.marks_need_speech:
        ENGINE_OPTIONS["marks_need_speech"] = True
    ENGINE_OPTIONS.update(dict(args.option))
    django.setup()
    from faster_whisper import WhisperModel

    from apps.engines.stt.local import load_model

    prefixes = SPLITS[args.split]
    files = sorted(p for p in args.folder.glob("ami_*.wav") if p.name.startswith(prefixes))
    print(f"{len(files)} files ({args.split}): {' '.join(p.stem for p in files)}")
    print(f"model {args.model}, load average {os.getloadavg()[0]:.1f} at start")
    model = load_model(args.model, device="cpu", compute_type="int8", cpu_threads=0, cache=_cache())
    assert isinstance(model, WhisperModel)
    portal = Remembered(lambda p: run_portal({}, p, args.model))
    sides = {
        "plain": lambda p: run_plain(model, p, None),
        "portal-before": lambda p: run_plain(model, p, {}),
        "portal": portal,
        # Measured after "portal", from its results.
        "portal, no faint marks": portal.without("faint"),
        # Marks naming a sound (stt/sounds.py) say nobody spoke there: over reference speech
        # they are speech lost, not marked.
        "portal, sound marks left out": portal.without("sound"),
    }
    if args.sides:
        chosen = args.sides.split(",")
        sides = {k: v for k, v in sides.items() if k.split(",")[0] in chosen}
    if args.mixed:
        mixed_language(args.mixed, model, args.model)
    if args.sweep:
        for key, values in SWEEP.items():
            for value in values:
                vad = {key: value}
                sides[f"portal {key}={value}"] = lambda p, v=vad: run_portal(v, p, args.model)
    print(
        "| side | transcribed | transcribed or marked | words outside speech "
        "| marks outside speech | words | time |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, side in sides.items():
        r = measure(files, side, args.tolerance)
        print(
            f"| {name} | {r['transcribed']:.1%} | {r['transcribed_or_marked']:.1%} "
            f"| {r['words_outside_s']:.1f} s | {r['marks_outside_s']:.1f} s "
            f"| {r['words']} | {r['seconds']:.0f} s |",
            flush=True,
        )
    if args.per_file and portal.results:
        per_file(files, portal.results, args.tolerance)
        sound_marks(files, portal.results)
    if args.save and portal.results:
        saved = {p.stem: {"words": w, "gaps": g} for p, (w, g) in portal.results.items()}
        args.save.write_text(json.dumps(saved))
    if args.where and portal.results:
        where(files, portal.results, args.tolerance)


def sound_marks(files: list[Path], results: dict) -> None:
    """Each mark naming a sound, with the reference speech under it."""
    for path in files:
        ref = reference(path.with_suffix(".rttm"))
        for start, end, _, sound in (g for g in results[path][1] if g[2] == "sound"):
            speech = overlap(ref, [(start, end)])
            print(f"sound mark {path.stem} {start:.1f}-{end:.1f} {sound}: {speech:.1f} s speech")


def per_file(files: list[Path], results: dict, tolerance: float) -> None:
    print("| file | transcribed | transcribed or marked | marks outside speech | words |")
    print("|---|---|---|---|---|")
    for path in files:
        r = measure([path], results, tolerance)
        print(
            f"| {path.stem} | {r['transcribed']:.1%} | {r['transcribed_or_marked']:.1%} "
            f"| {r['marks_outside_s']:.1f} s | {r['words']} |"
        )


def engine_option(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    return key, json.loads(value)


if __name__ == "__main__":
    main()
