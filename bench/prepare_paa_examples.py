"""Add pyAudioAnalysis's two speaker diarization examples to the evaluation folder of
`bench_analysis.py --eval`: pyAudioAnalysis/data/diarizationExample.wav (42 s, 4 speakers) and
diarizationExample2.wav (22.5 s, 6 speakers), 16 kHz mono, with their `.segments` references
(start,end,speaker per line), from https://github.com/tyiannak/pyAudioAnalysis (Apache-2.0).
They are not AMI, so pyannote's segmentation-3.0 was not trained on them.

    git clone https://github.com/tyiannak/pyAudioAnalysis
    .venv/bin/python bench/prepare_paa_examples.py pyAudioAnalysis/pyAudioAnalysis/data OUT_DIR

Each becomes OUT_DIR/paa_<name>.wav (a byte copy) and paa_<name>.rttm. Nothing is downloaded
here, and the audio stays out of this repository.
"""

import argparse
import shutil
from pathlib import Path

NAMES = ("diarizationExample", "diarizationExample2")


def prepare(source: Path, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for stem in NAMES:
        name = f"paa_{stem}"
        shutil.copyfile(source / f"{stem}.wav", target / f"{name}.wav")
        rows = []
        for line in (source / f"{stem}.segments").read_text().splitlines():
            fields = line.replace("\t", ",").split(",")
            if len(fields) == 3 and fields[2].strip():
                start, end = float(fields[0]), float(fields[1])
                turn = f"{start:.3f} {end - start:.3f} <NA> <NA> {fields[2].strip()}"
                rows.append(f"SPEAKER {name} 1 {turn} <NA> <NA>\n")
        (target / f"{name}.rttm").write_text("".join(rows))
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="pyAudioAnalysis's pyAudioAnalysis/data folder")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    print("\n".join(prepare(args.source, args.target)))


if __name__ == "__main__":
    main()
