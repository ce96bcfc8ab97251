"""Build the diarization evaluation folder for `bench_analysis.py --eval` from pyannote.audio's
test data: fourteen 30 s excerpts of the AMI Meeting Corpus (CC BY 4.0) with their RTTM, as
shipped in https://github.com/pyannote/pyannote-audio (MIT), tests/data at commit b749285c.

    git clone https://github.com/pyannote/pyannote-audio && git -C pyannote-audio checkout b749285c
    .venv/bin/python bench/prepare_ami_excerpts.py pyannote-audio/tests/data OUT_DIR

Each excerpt becomes OUT_DIR/ami_<uri>.wav (a byte copy) and ami_<uri>.rttm (its lines of
debug.{train,development,test}.rttm with the file id renamed). The first training file is named
"trñ00.wav" in the repository while its RTTM says trn00; both become ami_trn00. Nothing is
downloaded here, and the audio stays out of this repository.
"""

import argparse
import shutil
from collections import defaultdict
from pathlib import Path

SUBSETS = ("train", "development", "test")


def prepare(source: Path, target: Path) -> list[str]:
    lines: dict[str, list[str]] = defaultdict(list)
    for subset in SUBSETS:
        for line in (source / f"debug.{subset}.rttm").read_text().splitlines():
            fields = line.split()
            if fields and fields[0] == "SPEAKER":
                lines[fields[1]].append(fields)
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for uri, rows in sorted(lines.items()):
        audio = source / f"{uri}.wav"
        if not audio.exists():
            audio = source / f"{uri.replace('trn', 'trñ')}.wav"
        name = f"ami_{uri}"
        shutil.copyfile(audio, target / f"{name}.wav")
        text = "".join(" ".join(["SPEAKER", name, *row[2:]]) + "\n" for row in rows)
        (target / f"{name}.rttm").write_text(text)
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="pyannote-audio's tests/data folder")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    print("\n".join(prepare(args.source, args.target)))


if __name__ == "__main__":
    main()
