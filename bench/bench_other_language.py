"""Benchmark: speech in another language than the one asked for, flagged `other_language`.

Transcribes each FILE with the local engine (base by default) and a language given
(`--language en`), and prints per file: the segments flagged `other_language` (with the
language heard), the seconds flagged inside the spans where the reference speaks another
language, the seconds flagged outside them (false flags), and the CPU seconds. Asserts nothing.

The spans of another language come from how the mixed recordings were built (the digital
silence at each join, read once from the audio; the languages in order from the .lang file):

- es_then_en (second unseen set, bench/prepare_unseen2.py): Spanish 0-70.24 s, English after;
- en_then_de (first unseen set, bench/prepare_unseen.py): English 0-16.8 s, German after;
- multilingual.mp3 (shared corpus): English 0-29.12 s, German from 31.03 s;
- the tuning mixes (bench/prepare_language_mixes.py): from the NAME.spans file beside each.

Any other file is taken as spoken in the language asked for throughout: every flag on it is
false (the English files of both unseen sets, the AMI excerpts, the held-out readings).

    .venv/bin/python bench/bench_other_language.py UNSEEN2_DIR/es_then_en.wav \\
        UNSEEN_DIR/en_then_de.wav CORPUS_DIR/multilingual.mp3 --language en
    .venv/bin/python bench/bench_other_language.py AMI_DIR/ami_trn0*.wav --language en
"""

import argparse
import logging
import os
import sys
import time
from pathlib import Path

# The tree measured is the one the command runs in (an earlier commit from a `git archive` of
# it, this script given by its path: its CPU without the flags).
sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

# File stem: (start, end) of each stretch in another language than the one asked for.
OTHER_LANGUAGE_SPANS = {
    "es_then_en": [(0.0, 70.24)],
    "en_then_de": [(16.8, float("inf"))],
    "multilingual": [(31.03, float("inf"))],
}


def other_language_spans(path: Path) -> list[tuple[float, float]]:
    """The spans of `path` in another language: from NAME.spans beside it (the tuning mixes,
    bench/prepare_language_mixes.py), else from OTHER_LANGUAGE_SPANS."""
    sidecar = path.with_suffix(".spans")
    if sidecar.exists():
        return [tuple(map(float, line.split())) for line in sidecar.read_text().splitlines()]
    return OTHER_LANGUAGE_SPANS.get(path.stem, [])


def overlap(start: float, end: float, spans: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(end, b) - max(start, a)) for a, b in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--language", default="en")
    parser.add_argument("--model", default="base")
    parser.add_argument("--verbose", action="store_true", help="print every segment")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="the batched first pass (VOICEPORTAL_STT_BATCH_SIZE)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    logging.getLogger().setLevel(logging.ERROR)
    from django.conf import settings

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    engine = LocalWhisperBackend(
        alias="bench",
        default_model=args.model,
        batch_size=args.batch_size,
        model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
    )
    engine.model(args.model)  # loaded before the clock starts
    total_false = 0.0
    for path in args.files:
        spans = other_language_spans(path)
        request = TranscriptionRequest(audio_path=path, language=args.language)
        c0 = time.process_time()
        segments = [e for e in engine.transcribe(request) if isinstance(e, Segment)]
        cpu = time.process_time() - c0
        flagged = [s for s in segments if "other_language" in s.flags]
        inside = sum(overlap(s.start, s.end, spans) for s in flagged)
        outside = sum(s.end - s.start for s in flagged) - inside
        spoken = sum(overlap(s.start, s.end, spans) for s in segments if not s.gap)
        total_false += outside
        heard = sorted({getattr(s, "heard_language", "") for s in flagged})
        print(
            f"{path.name:28} flagged {len(flagged):2}/{len(segments):2} segments "
            f"{','.join(heard) or '-':6} inside {inside:5.1f} of {spoken:5.1f} s  "
            f"outside {outside:5.1f} s  cpu {cpu:5.1f} s  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if args.verbose:
            for s in segments:
                mark = getattr(s, "heard_language", "")
                print(f"    {s.start:6.1f} {s.end:6.1f} {mark:3} {s.gap:14} {s.text[:60]}")
    print(f"false flags, all files: {total_false:.1f} s")


if __name__ == "__main__":
    main()
