"""Benchmark: the portal on recordings it has never seen, as a new user runs it.

Prints figures; asserts nothing. The sets are built by bench/prepare_unseen.py,
bench/prepare_unseen2.py ... bench/prepare_unseen6.py (UNSEEN_DIR:
NAME.wav or another container, NAME.txt reference, NAME.lang spoken languages; both empty where
nothing is said) and are held out: run them once per candidate.

Per recording, two sides in this process, the same model folder and threads:
- portal: what `manage.py transcribe FILE` runs (transcribe_file with the default engine, model
  and options; language detected);
- plain: WhisperModel.transcribe() with faster-whisper's defaults (beam 5, language detected,
  its temperature ladder, conditioned on previous text, no VAD), as a user would call it.
Columns: languages found (per segment, in order, repeats folded), WER (tests/wer.py's
normaliser; the references of the German and Spanish readings keep their punctuation-free
words, numbers are spelled in English only, a code such as "1-0-0-0-1" digit by digit;
Chinese and Japanese characters count one word each, so there it is a character error rate;
Korean, Telugu and Hindi are scored by their space-separated words, each with its vowel signs;
in a recording all in English, hesitation sounds such as "uh", "um", "hmm" are left out of both
texts, as Whisper's English normaliser does: tests/wer.py HESITATIONS),
seconds of audio marked as a gap by the portal
(speech without text: "no text", "faint", another language), seconds marked as a named sound
("sound s": laughter, applause, crying, music; stt/sounds.py),
the longest run of a repeated 3-word phrase beyond the reference's own (a loop), how far the
last segment or word ends past the file's end ("late s", 0 when inside it), how many segments
or words are out of order ("order": see out_of_order), CPU seconds.

    .venv/bin/python bench/bench_unseen.py UNSEEN_DIR [--only NAME ...] [--no-plain]
        [--show-text] [--marks-need-speech] [--option KEY=VALUE ...]

--option sets an engine option of the default engine (JSON value), as bench_speech_coverage.py
does: `--option faint_decoded=true`.
"""

import argparse
import functools
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")


def _languages(languages: list[str]) -> str:
    folded = [lang for i, lang in enumerate(languages) if i == 0 or lang != languages[i - 1]]
    return ">".join(folded) or "-"


_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def scored(text: str) -> str:
    """The text with each Chinese or Japanese character as a word of its own (those scripts
    write no spaces between words)."""
    return _CJK.sub(r" \1 ", text)


def audio_files(folder: Path) -> dict[str, Path]:
    """Each recording of a set by name: the file beside NAME.txt that is not text."""
    return {
        path.stem: path
        for path in sorted(folder.iterdir())
        if path.suffix not in (".txt", ".lang") and path.with_suffix(".txt").exists()
    }


def excess_repeats(reference: str, hypothesis: str) -> int:
    """How many more times the hypothesis's most repeated 3-word phrase occurs than in the
    reference: 0 for a faithful transcript, large for a loop."""
    from tests.wer import normalise

    def trigrams(text: str) -> Counter:
        words = normalise(scored(text))
        return Counter(zip(words, words[1:], words[2:], strict=False))

    ref, hyp = trigrams(reference), trigrams(hypothesis)
    return max((count - ref.get(gram, 0) for gram, count in hyp.items()), default=0)


def out_of_order(spans: list[tuple[float, float, list[tuple[float, float]]]]) -> int:
    """How many segments start before the one before them, end before they start, or hold a
    word outside themselves or before the word before it: (start, end, words' (start, end))."""
    count, last_start = 0, float("-inf")
    for start, end, words in spans:
        count += start < last_start or end < start
        last_start, last_word = start, float("-inf")
        for a, b in words:
            count += a < last_word or a < start - 0.01 or b > end + 0.01
            last_word = a
    return count


def portal(path: Path) -> dict:
    from apps.transcripts.options import options_validate
    from apps.transcripts.services import transcribe_file

    c0 = time.process_time()
    document, _ = transcribe_file(path=path, options=options_validate())
    return {
        "text": document.text,
        "languages": [s.language or document.language for s in document.segments],
        "gap_seconds": sum(g.end - g.start for g in document.gaps if g.reason != "sound"),
        "sound_seconds": sum(g.end - g.start for g in document.gaps if g.reason == "sound"),
        "gaps": [
            (round(float(g.start), 1), round(float(g.end), 1), g.sound or g.reason)
            for g in document.gaps
        ],
        "ends": [t.end for s in document.segments for t in (s, *s.words)],
        "disorder": out_of_order(
            [(s.start, s.end, [(w.start, w.end) for w in s.words]) for s in document.segments]
        ),
        "cpu": time.process_time() - c0,
    }


def plain(model, path: Path) -> dict:
    c0 = time.process_time()
    segments, info = model.transcribe(str(path), beam_size=5, word_timestamps=True)
    segs = list(segments)
    return {
        "text": "".join(s.text for s in segs).strip(),
        "languages": [info.language],
        "gap_seconds": 0.0,
        "sound_seconds": 0.0,
        "gaps": [],
        "ends": [t.end for s in segs for t in (s, *(s.words or ()))],
        "disorder": out_of_order(
            [(s.start, s.end, [(w.start, w.end) for w in s.words or ()]) for s in segs]
        ),
        "cpu": time.process_time() - c0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unseen", type=Path)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--no-plain", action="store_true")
    parser.add_argument("--show-text", action="store_true")
    parser.add_argument(
        "--marks-need-speech", action="store_true", help="the engine option of that name, on"
    )
    parser.add_argument("--option", action="append", default=[], help="KEY=VALUE (JSON)")
    args = parser.parse_args()

    import django

    django.setup()
    from apps.core.media import SAMPLE_RATE, decode_all
    from bench.bench_transcribe import engine_settings, load_direct, loadavg
    from tests.wer import wer

    opts = engine_settings()
    from django.conf import settings

    from apps.engines.stt import stt_backends

    backend = stt_backends[settings.SPEECH_TO_TEXT_DEFAULT]
    if args.marks_need_speech:
        backend.marks_need_speech = True
    for option in args.option:
        key, _, value = option.partition("=")
        setattr(backend, key, json.loads(value))
    model = None if args.no_plain else load_direct(opts["default_model"], opts)[0]
    print(f"load {loadavg()}")
    print(
        f"{'recording':24} {'side':6} {'spoken':6} {'found':10} {'WER':>6} {'gap s':>6} "
        f"{'sound s':>7} {'loop':>4} {'late s':>6} {'order':>5} {'cpu s':>6}"
    )
    for name, wav in audio_files(args.unseen).items():
        if args.only and name not in args.only:
            continue
        reference = (args.unseen / f"{name}.txt").read_text(encoding="utf-8")
        seconds = decode_all(wav).size / SAMPLE_RATE
        spoken = ">".join((args.unseen / f"{name}.lang").read_text().split())
        sides = {"portal": functools.partial(portal, wav)}
        if model is not None:
            sides["plain"] = functools.partial(plain, model, wav)
        for side, run in sides.items():
            try:
                out = run()
            except Exception as exc:  # a crash is a finding: report it and go on
                print(f"{name:24} {side:6} {spoken:6} CRASH {type(exc).__name__}: {exc}")
                continue
            error = wer(scored(reference), scored(out["text"]), drop_hesitations=spoken == "en")
            print(
                f"{name:24} {side:6} {spoken:6} {_languages(out['languages']):10} "
                f"{100 * error:5.1f}% {out['gap_seconds']:6.1f} {out['sound_seconds']:7.1f} "
                f"{excess_repeats(reference, out['text']):4d} "
                f"{max(0.0, max(out['ends'], default=0.0) - seconds):6.2f} "
                f"{out['disorder']:5d} {out['cpu']:6.1f}",
                flush=True,
            )
            if args.show_text:
                print(f"    gaps {out['gaps']}\n    {out['text']}")


if __name__ == "__main__":
    main()
