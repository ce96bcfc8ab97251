"""Benchmark: the local engine asked for word timestamps and asked without, side by side.

Prints figures; asserts nothing. Each recording is transcribed in this one process by
LocalWhisperBackend twice, with `word_timestamps=True` (what jobs and the API ask for) and
`False` (what a caller without a use for words asks for), interleaved so both sides share the
machine's load: segments (transcribed ones, marks left out), the longest, the segments that
hold a pause of 2 s or more (read from the words where the side has them), WER against the
reference where there is one, whether the two sides' text is the same, CPU seconds (this
process's) and wall time.

    .venv/bin/python bench/bench_wordless.py --ami AMI_DIR --recordings dev3,dev3s5 \\
        --dump OUT

Recordings: the AMI tuning excerpts given --ami (bench_analysis.py's TUNING; no reference text,
so no WER) and development recordings named as in bench_stt_settings.py (`dev3`, `dev3s5`, ...).
--dump writes each side's segments (start, end, text) per recording, to compare two versions of
the code byte for byte.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

PAUSE_SECONDS = 2.0


def recordings(names: list[str], ami: Path | None, folder: Path) -> dict[str, tuple]:
    """name -> (path, reference text or None)."""
    from bench.bench_analysis import TUNING
    from bench.bench_stt_settings import recordings as development

    built = {name: (ami / f"{name}.wav", None) for name in sorted(TUNING)} if ami else {}
    return built | development(names, None, None, folder)


def transcribed(engine, path: Path, model: str, *, words: bool) -> list:
    from apps.engines.stt.base import Segment, TranscriptionRequest

    request = TranscriptionRequest(audio_path=path, model=model, word_timestamps=words)
    events = engine.transcribe(request)
    return [e for e in events if isinstance(e, Segment) and not e.gap and e.text]


def long_pauses(segments: list) -> int:
    """Segments whose words pause PAUSE_SECONDS or more (0 where they have no words)."""
    return sum(
        1
        for s in segments
        if any(b.start - a.end >= PAUSE_SECONDS for a, b in zip(s.words, s.words[1:], strict=False))
    )


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from apps.engines.stt.local import LocalWhisperBackend
    from bench.bench_stt_settings import timed
    from tests.wer import wer

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base", choices=["tiny.en", "base"])
    parser.add_argument("--ami", type=Path, help="AMI_DIR (bench/prepare_ami_excerpts.py)")
    parser.add_argument("--recordings", default="dev3")
    parser.add_argument("--dump", type=Path, help="write each side's segments to this folder")
    args = parser.parse_args()

    engine = LocalWhisperBackend(
        alias="bench", default_model=args.model, model_cache=str(settings.VOICEPORTAL_MODEL_CACHE)
    )
    names = [n for n in args.recordings.split(",") if n]
    print("recording | side | segments | longest s | with a 2 s pause | WER % | CPU s | wall s")
    with tempfile.TemporaryDirectory() as folder:
        for name, (path, reference) in recordings(names, args.ami, Path(folder)).items():
            texts = {}
            for side, words in (("words", True), ("wordless", False)):
                segments, wall, cpu = timed(
                    lambda p=path, w=words: transcribed(engine, p, args.model, words=w)
                )
                text = "".join(s.text for s in segments)
                texts[side] = text
                error = f"{100 * wer(reference, text):.2f}" if reference else "-"
                longest = max((s.end - s.start for s in segments), default=0.0)
                print(
                    f"{name} | {side} | {len(segments)} | {longest:.1f} | "
                    f"{long_pauses(segments)} | {error} | {cpu:.1f} | {wall:.1f}",
                    flush=True,
                )
                if args.dump:
                    args.dump.mkdir(parents=True, exist_ok=True)
                    rows = [(round(s.start, 2), round(s.end, 2), s.text) for s in segments]
                    (args.dump / f"{name}.{side}.json").write_text(json.dumps(rows, indent=0))
            print(f"{name} | same text: {texts['words'] == texts['wordless']}", flush=True)


if __name__ == "__main__":
    main()
