"""Build the words-only references of the AMI excerpts (bench/prepare_ami_excerpts.py), so that
`bench_analysis.py --eval AMI_DIR --words WORDS_DIR` can tell the missed words from the missed
laughter and other vocal sounds (issue 10, docs/benchmarks.md, session 33).

The excerpts' RTTM (pyannote.audio's test data) count vocal sounds (laughter, coughs) as speech
and draw wider turns than the words. BUTSpeechFIT/AMI-diarization-setup (MIT) keeps both
references of every AMI meeting, made from the same manual annotation: `only_words` (the
standard one for diarization) and `word_and_vocalsounds`. Each excerpt is the first 30 s of one
meeting (MEETINGS: matched by participant ids and by timing, the pyannote turns against the
`word_and_vocalsounds` ones at 0.82-1.00 IoU of speech, trn02's 0.7 s at 0.71), so its lines
are those that start before 30 s, cut at 30 s. Written per excerpt: WORDS_DIR/ami_<uri>.words.rttm
and ami_<uri>.vocal.rttm. Nothing is downloaded here, and the references stay out of this
repository.

    git clone https://github.com/BUTSpeechFIT/AMI-diarization-setup BUT_DIR
    .venv/bin/python bench/prepare_ami_words.py BUT_DIR WORDS_DIR
"""

import argparse
from pathlib import Path

MEETINGS = {
    "trn00": "EN2001a",
    "trn01": "EN2001b",
    "trn02": "EN2001d",
    "trn03": "EN2001e",
    "trn04": "EN2003a",
    "trn05": "EN2004a",
    "trn06": "EN2005a",
    "trn07": "EN2006a",
    "trn08": "EN2006b",
    "trn09": "EN2009b",
    "tst00": "EN2002a",
    "tst01": "EN2002b",
    "dev00": "ES2003a",
    "dev01": "ES2003b",
}
EXCERPT = 30.0  # seconds: each excerpt is the meeting's start
KINDS = {"words": "only_words", "vocal": "word_and_vocalsounds"}


def excerpt_lines(rttm: str, name: str) -> list[str]:
    """The RTTM lines of `rttm` that start within the excerpt, cut at its end, renamed."""
    lines = []
    for fields in (line.split() for line in rttm.splitlines()):
        if not fields or fields[0] != "SPEAKER" or float(fields[3]) >= EXCERPT:
            continue
        start = float(fields[3])
        end = min(start + float(fields[4]), EXCERPT)
        timing = f"{start:.3f} {end - start:.3f}"
        lines.append(f"SPEAKER {name} 1 {timing} <NA> <NA> {fields[7]} <NA> <NA>")
    return lines


def prepare(source: Path, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for uri, meeting in sorted(MEETINGS.items()):
        name = f"ami_{uri}"
        for kind, folder in KINDS.items():
            (rttm,) = (source / folder / "rttms").glob(f"*/{meeting}.rttm")
            lines = excerpt_lines(rttm.read_text(), name)
            (target / f"{name}.{kind}.rttm").write_text("".join(f"{line}\n" for line in lines))
        written.append(name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="a clone of BUTSpeechFIT/AMI-diarization-setup")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    print("\n".join(prepare(args.source, args.target)))


if __name__ == "__main__":
    main()
