"""Build the speech-under-real-noise set (issue 9): read speech with references mixed with
recorded noise at several signal-to-noise ratios, with noise-only stretches where nobody speaks
(a lead-in, a pause in the middle, a tail), so that "no text" marks and words written over
noise alone can be counted. Two parts that share neither speech nor noise:

- `tuning/`: development speech (tests/long_recording.py, from the shared corpus; about 60 s a
  recording) under the noise of Google's Speech Commands data set (`_background_noise_`:
  doing the dishes, exercise bike, running tap, a man miaowing; CC BY 4.0, Pete Warden 2017),
  at 0, 5, 10 and 20 dB.
- `heldout/`: the held-out readings (HELDOUT_DIR: LJ Speech, public domain; Shakespeare's
  sonnets from LibriVox, public domain) under street recordings of thomasrosen/berlin_noise
  (CC BY 4.0, "Berlin Noise by Thomas Rosen"): a street with buses, a tram, people and music
  (0619B0AD, Potsdam, 2:15), cars and bikes (1CDCDA78, 2:27), a forest by a highway with birds
  (9a12b4b8, 1:46). Noise shorter than the reading is looped. Nothing is tuned on this part.
- `changing/`: noise that changes within a recording (tuning material, session 32): two
  development recordings back to back, the first under one Speech Commands noise 30 dB under
  the speech (a quiet room), the second under another 5 or 0 dB under it (a noisy street), each
  with its noise-only lead-in, pause and tail.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository): a checkout holding `data/_background_noise_/` of Speech Commands (e.g.
chaeyoung-lee/wids_tutorial, which ships it unchanged) as SRC_DIR/speech_commands, and
thomasrosen/berlin_noise as SRC_DIR/berlin_noise.

    .venv/bin/python bench/prepare_noisy.py SRC_DIR HELDOUT_DIR NOISY_DIR

Writes, per recording, NAME.wav (the mix), NAME.clean.wav (the speech alone, as placed in the
mix: where it is silent nobody speaks) and NAME.txt (the reference) under NOISY_DIR/tuning and
NOISY_DIR/heldout; `bench/bench_noisy.py NOISY_DIR --part tuning` runs them. The speech's
level is the power of its louder 40 % of 10 ms frames; the noise's, its power over the mix.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402
from tests import long_recording, media_factory  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
_COMMANDS = Path("speech_commands/data/_background_noise_")
_BERLIN = Path("berlin_noise/audio")
TUNING_NOISE = {
    "dishes": _COMMANDS / "doing_the_dishes.wav",
    "bike": _COMMANDS / "exercise_bike.wav",
    "tap": _COMMANDS / "running_tap.wav",
    "miaow": _COMMANDS / "dude_miaowing.wav",
}
HELDOUT_NOISE = {
    "street": _BERLIN / "0619B0AD-7F6A-4CAB-BCCB-ABE0D71F43A9.m4a",
    "cars": _BERLIN / "1CDCDA78-CA1D-449C-8294-E7C748BCAE99.m4a",
    "forest": _BERLIN / "9a12b4b8-6310-43c5-8e36-8d38f22275c8.m4a",
}
TUNING_SNR_DB = (0, 5, 10, 20)
# Every tuning noise at every ratio, each over another development recording (seed).
TUNING = [
    (noise, snr, 3 + len(TUNING_SNR_DB) * i + j)
    for i, noise in enumerate(TUNING_NOISE)
    for j, snr in enumerate(TUNING_SNR_DB)
]
# (reading, noise, ratio): each noise and reading at least once, from loud noise to faint.
HELDOUT = [
    ("ljspeech_heldout", "street", 5),
    ("ljspeech_heldout", "forest", 10),
    ("sonnets_heldout", "cars", 0),
    ("sonnets_heldout", "street", 20),
]
# (quiet noise, loud noise, seed of the first recording (the second's is the next), the loud
# noise's ratio in dB).
CHANGING = [
    ("bike", "dishes", 40, 5),
    ("tap", "miaow", 42, 5),
    ("dishes", "tap", 44, 0),
    ("miaow", "bike", 46, 0),
]
QUIET_SNR_DB = 30
LEAD_IN, PAUSE, TAIL = 6.0, 5.0, 4.0
_FRAME = SAMPLE_RATE // 100


def speech_power(clean: np.ndarray) -> float:
    frames = clean[: len(clean) // _FRAME * _FRAME].reshape(-1, _FRAME)
    power = np.mean(np.square(frames), axis=1)
    return float(np.mean(power[power > np.percentile(power, 60)]))


def quietest_cut(clean: np.ndarray, near: float) -> int:
    """The sample in the middle of the quietest 0.3 s within 10 s of second `near`: a pause
    between words, where noise alone can be put in."""
    hop, width = _FRAME, 30
    frames = clean[: len(clean) // hop * hop].reshape(-1, hop)
    power = np.convolve(np.mean(np.square(frames), axis=1), np.ones(width), mode="same")
    centre = int(near * 100)
    lo, hi = max(0, centre - 1000), min(len(power), centre + 1000)
    return (lo + int(np.argmin(power[lo:hi]))) * hop


def placed(clean: np.ndarray, cut: int) -> np.ndarray:
    """The speech with noise-only stretches around it and at `cut`."""
    silence = [np.zeros(int(s * SAMPLE_RATE), dtype=np.float32) for s in (LEAD_IN, PAUSE, TAIL)]
    return np.concatenate([silence[0], clean[:cut], silence[1], clean[cut:], silence[2]])


def looped(noise: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    start = int(rng.integers(0, max(1, len(noise) - length)))
    reps = int(np.ceil((start + length) / len(noise)))
    return np.tile(noise, reps)[start : start + length]


def mix(clean: np.ndarray, noise: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    added = looped(noise, len(clean), rng)
    scale = np.sqrt(speech_power(clean) / np.mean(np.square(added)) * 10 ** (-snr_db / 10))
    mixed = clean + added * scale
    return (mixed / max(1.0, np.abs(mixed).max() / 0.99)).astype(np.float32)


def write(folder: Path, name: str, clean: np.ndarray, mixed: np.ndarray, text: str) -> None:
    media_factory.write_wav(folder / f"{name}.wav", mixed)
    media_factory.write_wav(folder / f"{name}.clean.wav", clean)
    (folder / f"{name}.txt").write_text(text + "\n")


def build_tuning(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    noises = {name: decode_all(src / path) for name, path in TUNING_NOISE.items()}
    for noise, snr, seed in TUNING:
        clean, text = development_speech(out, seed)
        name = f"{noise}_{snr}db_s{seed}"
        write(out, name, clean, mix(clean, noises[noise], snr, seed), text)
        print(name, f"{len(clean) / SAMPLE_RATE:.0f} s")


def development_speech(out: Path, seed: int) -> tuple[np.ndarray, str]:
    """A development recording of about 60 s with its noise-only stretches, and its text."""
    raw = out / f"_speech_{seed}.wav"
    said = long_recording.build(raw, CORPUS, seconds=60, seed=seed)
    speech = decode_all(raw)
    raw.unlink()
    clean = placed(speech, quietest_cut(speech, len(speech) / SAMPLE_RATE / 2))
    return clean, long_recording.reference(said)


def build_changing(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    noises = {name: decode_all(src / path) for name, path in TUNING_NOISE.items()}
    for quiet, loud, seed, loud_db in CHANGING:
        first, first_text = development_speech(out, seed)
        second, second_text = development_speech(out, seed + 1)
        mixed = np.concatenate(
            [
                mix(first, noises[quiet], QUIET_SNR_DB, seed),
                mix(second, noises[loud], loud_db, seed + 1),
            ]
        )
        clean = np.concatenate([first, second])
        name = f"{quiet}_{QUIET_SNR_DB}db_then_{loud}_{loud_db}db_s{seed}"
        write(out, name, clean, mixed, f"{first_text} {second_text}")
        print(name, f"{len(clean) / SAMPLE_RATE:.0f} s")


def build_heldout(src: Path, heldout: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    noises = {name: decode_all(src / path) for name, path in HELDOUT_NOISE.items()}
    for i, (reading, noise, snr) in enumerate(HELDOUT):
        speech = decode_all(heldout / f"{reading}.wav")
        clean = placed(speech, quietest_cut(speech, len(speech) / SAMPLE_RATE / 2))
        text = " ".join((heldout / f"{reading}.txt").read_text().split())
        name = f"{reading.split('_')[0]}_{noise}_{snr}db"
        write(out, name, clean, mix(clean, noises[noise], snr, 100 + i), text)
        print(name, f"{len(clean) / SAMPLE_RATE:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("src", type=Path, help="SRC_DIR: speech_commands/, berlin_noise/")
    parser.add_argument("heldout", type=Path, help="HELDOUT_DIR: the held-out readings")
    parser.add_argument("out", type=Path, help="NOISY_DIR")
    args = parser.parse_args()
    build_tuning(args.src, args.out / "tuning")
    build_heldout(args.src, args.heldout, args.out / "heldout")
    build_changing(args.src, args.out / "changing")


if __name__ == "__main__":
    main()
