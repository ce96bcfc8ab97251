"""Benchmark: laughter given to the person laughing (apps/engines/analysis/laughter.py; issue 10).

Each audio file in DIR with an RTTM of the same stem (`--part` as bench_analysis.py splits the
AMI excerpts) is transcribed by the settings' default engine with laughter named from 1 s
(`name_short_laughter`), its marks printed, and diarized once with the count given, as
bench_analysis.py's part 4 does. The turns are then scored three ways: as they are, with the
stretches named laughter given to a speaker (`laughter_to_speakers`), and with every mark
("no text", "faint", "overlap", sounds) given to one (tried, not kept). Per file and as means:
DER of the turns, `+ovl` (the turns with the second voices marked) with its miss, false alarm
and confusion, and with --words WORDS_DIR (bench/prepare_ami_words.py) the `+ovl` DER against
the words-only reference and the missed speaker-time that is vocal sounds. Prints figures;
asserts nothing.

    .venv/bin/python bench/bench_laughter.py AMI_DIR --part tune --words WORDS_DIR
    .venv/bin/python bench/bench_laughter.py ../shared/corpus
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

from bench_analysis import AUDIO, _embedder, _marked, _options, _part, _scores, setup
from words_reference import words_scores

VARIANTS = ("as is", "laughter", "every mark")


def marks_of(stt, path: Path):
    from apps.engines.stt.base import Segment, TranscriptionRequest

    events = stt.transcribe(TranscriptionRequest(audio_path=path))
    return [e for e in events if isinstance(e, Segment) and e.gap]


def stretches(marks, variant: str) -> list[tuple[float, float]]:
    if variant == "laughter":
        return [(m.start, m.end) for m in marks if m.sound == "laughter"]
    return [(m.start, m.end) for m in marks] if variant == "every mark" else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--part", choices=["tune", "held", "other"])
    parser.add_argument("--words", type=Path, help="WORDS_DIR of bench/prepare_ami_words.py")
    args = parser.parse_args()
    setup()
    from apps.core.media import decode_all
    from apps.engines.analysis.der import load_rttm
    from apps.engines.analysis.diarization import diarize_audio
    from apps.engines.analysis.laughter import turns_with_laughter
    from apps.engines.stt import stt_backends

    stt = stt_backends.default()
    stt.name_short_laughter = True
    embedder = _embedder("campplus")
    options = _options("campplus", False, activity_model="segmentation", pipeline="windows")
    files = sorted(
        p
        for p in args.folder.iterdir()
        if p.suffix in AUDIO
        and p.with_suffix(".rttm").exists()
        and args.part in (None, _part(p.stem))
    )
    rows = {variant: [] for variant in VARIANTS}
    for path in files:
        started = time.process_time()
        marks = marks_of(stt, path)
        cpu = time.process_time() - started
        named = [(round(m.start, 2), round(m.end, 2), m.gap, m.sound) for m in marks]
        print(f"{path.stem}: transcribed in {cpu:.0f} CPU s, marks {named}")
        reference = load_rttm(path.with_suffix(".rttm"))
        count = len({r[0] for r in reference})
        audio = decode_all(path)
        given = diarize_audio(audio, embedder=embedder, num_speakers=count, options=options)
        for variant in VARIANTS:
            timeline = replace(
                given, turns=turns_with_laughter(given.turns, stretches(marks, variant))
            )
            row = _scores(reference, timeline, timeline)
            if args.words:
                row.update(words_scores(path.stem, args.words, reference, _marked(timeline)))
            rows[variant].append(row)
            print(f"  {variant:10s} {_figures([row])}")
    for variant in VARIANTS:
        print(f"mean {variant:10s} {_figures(rows[variant])}")


def _figures(rows: list[dict]) -> str:
    def mean(key):
        return 100 * sum(r[key] for r in rows) / len(rows)

    text = (
        f"DER {mean('der'):5.1f} +ovl {mean('der_ovl'):5.1f} (miss {mean('miss_ovl'):4.1f} "
        f"FA {mean('fa_ovl'):4.1f} conf {mean('conf_ovl'):4.1f})"
    )
    if rows and "words_der" in rows[0]:
        vocal = sum(r["missed_vocal"] for r in rows)
        text += f" words {mean('words_der'):5.1f}, vocal sounds missed {vocal:.2f} s"
    return text


if __name__ == "__main__":
    main()
