"""Build tuning mixes for the `other_language` flag's edges: development clips in two languages
joined so that a 30 s view of the decoder holds both, the other language at its start or end.

The unseen sets showed two edges (docs/benchmarks.md, "Session 32: the language flag's edges"):
a view with 17 s of English then 10 s of German heard as English 0.86, and a view after 70 s of
Spanish holding its last 6 s with English. These mixes rebuild both shapes from the shared
corpus only (English clips of tests/long_recording.py; the German half of multilingual.mp3,
French, Italian and Portuguese cheetah clips), so a rule can be tuned here and the unseen sets
run once.

    .venv/bin/python bench/prepare_language_mixes.py CORPUS_DIR MIXES_DIR

Writes NAME.wav and NAME.spans (one "start end" line per stretch in a language other than
English) per mix; `bench/bench_other_language.py MIXES_DIR/*.wav --language en` reads the spans.
"""

import argparse
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402

# The German of multilingual.mp3 (its English ends at 29.12 s; docs/benchmarks.md, session 31).
_GERMAN_FROM = 31.03
_PAUSE_SECONDS = 0.6
ENGLISH = {
    "jfk": "jfk.flac",
    "libri": "libri_2412-153948-0000.flac",
    "sns70": "librivox_sns_0870.wav",
    "sns90": "librivox_sns_0890.wav",
    "cheetah": "cheetah_en.wav",
}
OTHER = {"fr": "cheetah_fr.wav", "it": "cheetah_it.wav", "pt": "cheetah_pt.wav"}
# Name: the clips in order ("de" is the German half of multilingual.mp3).
MIXES = {
    # English leads the first view, the other language ends it (en_then_de's shape).
    "en18_de": ["jfk", "sns70", "de", "libri", "sns90"],
    "en16_de": ["jfk", "sns90", "de", "libri", "cheetah"],
    "en22_de": ["jfk", "sns70", "cheetah", "de", "libri"],
    "en20_fr_it_pt": ["jfk", "sns70", "cheetah", "fr", "it", "pt", "libri"],
    # The other language's last seconds share a view with English (es_then_en's shape).
    "de_fr_en": ["de", "fr", "jfk", "libri", "sns70"],
    "de_pt_en": ["de", "pt", "libri", "jfk"],
    "de_it_fr_en": ["de", "it", "fr", "jfk", "libri", "sns90"],
    "pt_it_fr_en": ["pt", "it", "fr", "jfk", "libri", "sns70"],
}


def clips(corpus: Path) -> dict[str, np.ndarray]:
    multilingual = decode_all(corpus / "multilingual.mp3")
    found = {name: decode_all(corpus / file) for name, file in {**ENGLISH, **OTHER}.items()}
    found["de"] = multilingual[int(_GERMAN_FROM * SAMPLE_RATE) :]
    return found


def write_mix(path: Path, order: list[str], audio: dict[str, np.ndarray]) -> list[tuple]:
    """Writes the clips of `order` with short pauses; returns the other language's spans."""
    pause = np.zeros(int(_PAUSE_SECONDS * SAMPLE_RATE), dtype=np.float32)
    pieces, spans, at = [], [], 0
    for name in order:
        end = (at + len(audio[name])) / SAMPLE_RATE
        if name not in ENGLISH and spans and spans[-1][1] + _PAUSE_SECONDS >= at / SAMPLE_RATE:
            spans[-1] = (spans[-1][0], end)  # one stretch across the pause between two clips
        elif name not in ENGLISH:
            spans.append((at / SAMPLE_RATE, end))
        pieces += [audio[name], pause]
        at += len(audio[name]) + len(pause)
    samples = np.concatenate(pieces)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    audio = clips(args.corpus)
    for name, order in MIXES.items():
        spans = write_mix(args.out / f"{name}.wav", order, audio)
        lines = "".join(f"{start:.2f} {end:.2f}\n" for start, end in spans)
        (args.out / f"{name}.spans").write_text(lines)
        print(name, lines.replace("\n", "; "))


if __name__ == "__main__":
    main()
