"""Build a held-out English recording with its reference text from LJ Speech clips that other
projects ship: the 32 clips LJ001-0001 to LJ001-0032 in coqui-ai/TTS (tests/data/ljspeech/wavs,
MPL-2.0 repository) and their transcripts from NVIDIA/tacotron2's file lists
(filelists/ljs_audio_text_*_filelist.txt, BSD-3-Clause repository). The LJ Speech audio and text
are in the public domain (https://keithito.com/LJ-Speech-Dataset). None of these clips is in the
development recordings of tests/long_recording.py, and no setting was tuned on them.

    git clone https://github.com/coqui-ai/TTS
    git clone https://github.com/NVIDIA/tacotron2
    .venv/bin/python bench/prepare_ljspeech_heldout.py TTS tacotron2 OUT_DIR

Writes OUT_DIR/ljspeech_heldout.wav (16 kHz mono: the clips in their order, 0.3-1.2 s of silence
after each, as tests/long_recording.py joins clips) and ljspeech_heldout.txt (the reference:
the transcripts in that order). Nothing is downloaded here, and the audio stays out of this
repository. `bench/bench_stt_settings.py --heldout OUT_DIR` uses it.
"""

import argparse
import random
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIPS = tuple(f"LJ001-{n:04d}" for n in range(1, 33))
NAME = "ljspeech_heldout"


def transcripts(tacotron2: Path) -> dict[str, str]:
    """Clip id -> text, from the three file lists (lines 'DUMMY/LJ001-0001.wav|text')."""
    found = {}
    for part in ("train", "val", "test"):
        listing = tacotron2 / "filelists" / f"ljs_audio_text_{part}_filelist.txt"
        for line in listing.read_text(encoding="utf-8").splitlines():
            path, _, text = line.partition("|")
            found[Path(path).stem] = text.strip()
    return found


def prepare(tts: Path, tacotron2: Path, target: Path) -> tuple[Path, float]:
    from apps.core.media import SAMPLE_RATE, decode_all

    texts = transcripts(tacotron2)
    rng = random.Random(9)
    target.mkdir(parents=True, exist_ok=True)
    wav, written = target / f"{NAME}.wav", 0
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for clip in CLIPS:
            samples = decode_all(tts / "tests" / "data" / "ljspeech" / "wavs" / f"{clip}.wav")
            pause = np.zeros(int(rng.uniform(0.3, 1.2) * SAMPLE_RATE), dtype=np.float32)
            for piece in (samples, pause):
                out.writeframes((np.clip(piece, -1, 1) * 32767).astype("<i2").tobytes())
                written += len(piece)
    (target / f"{NAME}.txt").write_text(" ".join(texts[c] for c in CLIPS) + "\n")
    return wav, written / SAMPLE_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tts", type=Path, help="a checkout of coqui-ai/TTS")
    parser.add_argument("tacotron2", type=Path, help="a checkout of NVIDIA/tacotron2")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    wav, seconds = prepare(args.tts, args.tacotron2, args.out)
    print(f"{wav}: {len(CLIPS)} clips, {seconds:.1f} s")


if __name__ == "__main__":
    main()
