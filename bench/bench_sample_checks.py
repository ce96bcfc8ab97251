""" "One speaker throughout" on real recordings: how often a recording of two people passes
(false pass) and how often one person's recording fails (false fail), before and after the
CAM++ two-voices check (issue 15).

Recordings, all one channel:
- one person: each AMI speaker's stretches where nobody else talks (at least 4 s), and the
  shared corpus's single-speaker recordings (LibriSpeech, LibriVox, Eagle, VCTK, Common Voice-like
  prompts in four languages, JFK 1961);
- two people: two speakers of one AMI meeting where each has 3 s alone, in order; two speakers
  of different meetings taking 3 s turns (10 s each, "same" when both are men or both women);
  and the corpus's dialogues (pyannote's sample, faster-whisper's stereo file mixed down,
  Picovoice's three speakers).
"tune" rows use only AMI training excerpts (trn*): the threshold was set on them; "held" rows
never served to set it.

    python bench/prepare_ami_excerpts.py pyannote-audio/tests/data /tmp/ami
    python bench/bench_sample_checks.py /tmp/ami [--before] [--json out.json]

--before also runs the check this one replaced (the speaker analysis's turns, ~10x slower).
"""

import argparse
import itertools
import json
import os
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SR = 16_000
ONE_SPEAKER = [
    "jfk.flac",
    "librivox_sns_0870.wav",
    "librivox_sns_0890.wav",
    "eagle_spk1_utt1.wav",
    "eagle_spk1_utt2.wav",
    "eagle_spk1_test.wav",
    "eagle_spk2_test.wav",
    "libri_2412-153948-0000.flac",
    "libri_2412-153948-0001.flac",
    "rtvc_1320.mp3",
    "rtvc_3575.mp3",
    "rtvc_6829.mp3",
    "rtvc_8230.mp3",
    "rtvc_p240.mp3",
    "rtvc_p260.mp3",
    "cheetah_en.wav",
    "cheetah_fr.wav",
    "cheetah_it.wav",
    "cheetah_pt.wav",
]
DIALOGUES = ["sample.wav", "stereo_diarization.wav", "falcon_3spk.wav"]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    import django

    django.setup()


def alone(audio: np.ndarray, rttm: Path) -> dict[str, np.ndarray]:
    """Each speaker's audio while nobody else talks."""
    rows = [line.split() for line in rttm.read_text().splitlines() if line.strip()]
    who = sorted({r[7] for r in rows})
    talking = np.zeros((len(who), len(audio)), dtype=bool)
    for r in rows:
        start, end = int(float(r[3]) * SR), int((float(r[3]) + float(r[4])) * SR)
        talking[who.index(r[7]), start:end] = True
    only = talking.sum(axis=0) == 1
    return {name: talking[i] & only for i, name in enumerate(who)}


def sex(speaker: str) -> str:
    return unicodedata.normalize("NFD", speaker)[0]  # AMI ids: MEE068 a man, FEE078 a woman


def recordings(ami: Path) -> list[tuple[str, str, str, np.ndarray]]:
    """(kind "one"/"two", split "tune"/"held", name, 16 kHz mono audio)."""
    from apps.engines.voice.embed import load_audio

    out, pool = [], []
    for wav in sorted(ami.glob("ami_*.wav")):
        split = "tune" if "trn" in wav.stem else "held"
        audio = load_audio(wav)
        masks = alone(audio, wav.with_suffix(".rttm"))
        for speaker, mask in masks.items():
            if mask.sum() >= 4 * SR:
                out.append(("one", split, f"{wav.stem}:{speaker}", audio[mask]))
                pool.append((wav.stem, speaker, audio[mask], split))
        for a, b in itertools.combinations(masks, 2):
            if min(masks[a].sum(), masks[b].sum()) >= 3 * SR:
                kind = "same" if sex(a) == sex(b) else "mixed"
                mix = audio[masks[a] | masks[b]]
                out.append(("two", split, f"{wav.stem}:{a}+{b}:{kind}", mix))
    for (m1, s1, a1, p1), (m2, s2, a2, p2) in itertools.combinations(pool, 2):
        if s1 == s2 or m1 == m2:
            continue
        step = 3 * SR
        turns = [x for i in range(0, 10 * SR, step) for x in (a1[i : i + step], a2[i : i + step])]
        kind = "same" if sex(s1) == sex(s2) else "mixed"
        split = "tune" if p1 == p2 == "tune" else "held"
        out.append(("two", split, f"{m1}:{s1}~{m2}:{s2}:{kind}", np.concatenate(turns)))
    out += [("one", "held", n, load_audio(CORPUS / n)) for n in ONE_SPEAKER]
    out += [("two", "held", n, load_audio(CORPUS / n)) for n in DIALOGUES]
    return out


def measure(audio: np.ndarray, before: bool) -> dict:
    from apps.voices import sample_checks as sc

    speech = sc.preprocess(audio)
    row = {"stretches_pass": True, "two_voices": 1.0}
    if len(speech) >= sc.MIN_SPEECH_SECONDS * SR:
        stretch = sc._one_speaker_check(sc.partial_embeddings(speech))
        row["stretches_pass"] = stretch.level == sc.Level.OK
        row["two_voices"] = round(sc.two_voices(speech)[0], 4)
        if before and row["stretches_pass"]:
            row["turn_speakers"] = turn_speakers(audio)
    return row


def turn_speakers(audio: np.ndarray) -> int:
    """The check this one replaced: how many people the speaker analysis hears (two seconds of
    their own each)."""
    from apps.engines.analysis.diarization import diarize_audio
    from apps.engines.analysis.embedding import default_embedder

    return len({t.speaker for t in diarize_audio(audio, embedder=default_embedder()).turns})


def summary(rows: list[dict]) -> None:
    from apps.voices.sample_checks import TWO_VOICES_BELOW

    rules = {
        "after": lambda r: r["stretches_pass"] and r["two_voices"] >= TWO_VOICES_BELOW,
        "stretches only": lambda r: r["stretches_pass"],
    }
    if all("turn_speakers" in r or not r["stretches_pass"] for r in rows):
        rules["before"] = lambda r: r["stretches_pass"] and r.get("turn_speakers", 1) < 2
    for name, passes in rules.items():
        parts = []
        for split in ("tune", "held"):
            one = [r for r in rows if r["kind"] == "one" and r["split"] == split]
            two = [r for r in rows if r["kind"] == "two" and r["split"] == split]
            same = [r for r in two if ":same" in r["name"]]
            parts.append(
                f"{split}: false fail {sum(not passes(r) for r in one)}/{len(one)}, "
                f"false pass {sum(passes(r) for r in two)}/{len(two)} "
                f"(same sex {sum(passes(r) for r in same)}/{len(same)})"
            )
        print(f"{name:>15}: " + "; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ami", type=Path, help="prepare_ami_excerpts.py's output folder")
    parser.add_argument("--before", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    setup_django()
    rows = []
    for kind, split, name, audio in recordings(args.ami):
        started = time.perf_counter()
        row = {"kind": kind, "split": split, "name": name, **measure(audio, args.before)}
        row["seconds"] = round(time.perf_counter() - started, 2)
        rows.append(row)
        print(row, flush=True)
    summary(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
