"""Build the fifth "unseen" set: conditions sets 1-4 (bench/prepare_unseen.py ...
bench/prepare_unseen4.py) lack: a real telephone-band (8 kHz) recording, English spoken fast by
a non-native speaker, an Indic script (Telugu, six speakers) and a switch from English into it,
Hindi and a switch English > Hindi > English, a language Whisper was not trained on (Scottish
Gaelic), spoken Danish and read Finnish, two speakers talking over each other, a whisper, and a
voice raised and sped up as a child's is (built: no child speaking with a text was found).
Held out like the other sets: nothing is tuned on it; it is run to find failures and confirm
fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- joinly-ai/joinly (MIT), tests/data/speech_audio/OSR_us_000_0034_8k.wav and its text in
  test_samples.json: ten Harvard sentences (list 72) read by an American woman, recorded at
  8 kHz (36 s), from the Open Speech Repository (voiptroubleshooter.com), whose recordings are
  offered free for testing.
- ReadAlongs/OpenSamples: anchors-needed/anchors-needed.{mp3,txt} (CC BY 4.0, National
  Research Council Canada): 96 s of English read fast by a non-native speaker, with parts
  "spoken too fast" and a text that "sort-of" matches the audio (its own words); dan/ap_dan
  (CC BY 4.0): a self-introduction in Danish by a non-native speaker (37 s); fin/ (CC BY 4.0,
  David Huggins-Daines; Eino Leino's poem, public domain): a Finnish reading (81 s);
  gla/udhr-gla (the repository's licence: "all open and free to reproduce"; the speaker is not
  stated): article 1 of the Universal Declaration of Human Rights in Scottish Gaelic (11 s).
- notAI-tech/IndicASR (GPL-3.0), samples/telugu/*.16k.wav with the "expected" column of its
  README: six speakers, one Telugu sentence each (2-8 s).
- speechbrain/speechbrain (Apache-2.0), as in prepare_unseen.py: the TIMIT-prompt sentences.
- espeak-ng (GPL-3.0, installed with the system, not a Python package): the Hindi sentences and
  the whisper are synthetic (voices "hi" and "en+whisper"); no real Hindi with its text was
  found under an open licence among the checkouts (docs/benchmarks.md, session 32).

    .venv/bin/python bench/prepare_unseen5.py SRC_DIR UNSEEN5_DIR

SRC_DIR holds the checkouts as joinly/, OpenSamples/, IndicASR/ and speechbrain/ (the files
above at their paths). Writes NAME.wav (16 kHz mono), NAME.txt (the reference) and NAME.lang
(the spoken languages, in order) in UNSEEN5_DIR; `bench/bench_unseen.py UNSEEN5_DIR` runs them.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402
from bench.prepare_unseen import SWITCH, _sentences, build_from_command_line  # noqa: E402
from bench.prepare_unseen4 import _joined  # noqa: E402

_PHONE = Path("joinly/tests/data/speech_audio")
_SAMPLES = Path("OpenSamples")
_FINNISH = "fin/hyvä on hiihtäjän hiihdellä"
_TELUGU = Path("IndicASR/samples/telugu")
# The "expected" column of IndicASR's README (its "prediction" column is the model's output).
_TELUGU_TEXT = {
    "hari": "ఈ సినిమా తర్వాత నిర్మాతలు రూటు మార్చే ఆలోచనలో ఉన్నారు",
    "harsha": "నేను ఇప్పుడు గడ్డి కొడుతున్నాను",
    "indra": "నేను భారత దేశంలో ఉన్నాను",
    "praneeth": "నా పేరు ప్రణీత్ బేదపూడి",
    "ramana": "భారత దేశము నా మాతృ భూమి భారతీయులంతా నా సోదరీ సోదరులు",
    "sai_krishna": "నా పేరు సాయి కృష్ణ",
}
# The first is a Common Voice Hindi prompt; the others are everyday sentences.
_HINDI = (
    "इंडिया टुडे ग्रुप ने प्रधानमंत्री को श्वेत पत्र सौंपा",
    "आज मौसम बहुत अच्छा है और हम शाम को पार्क में घूमने जाएंगे",
    "मेरा नाम राहुल है और मैं दिल्ली में रहता हूँ",
)
_WHISPERED = (
    "the birch canoe slid on the smooth planks",
    "glue the sheet to the dark blue background",
    "it is easy to tell the depth of a well",
)


def _espeak(voice: str, text: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "said.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
        return decode_all(path)


def _said(voice: str, texts: tuple[str, ...]) -> tuple[np.ndarray, str]:
    return _joined([(_espeak(voice, text), text) for text in texts], 0.5)


def _sped_up(samples: np.ndarray, factor: float) -> np.ndarray:
    """Played `factor` times faster: pitch and formants raised by `factor` (a shorter vocal
    tract and a higher voice, as a child's), the words `factor` times quicker."""
    positions = np.arange(0, samples.size - 1, factor)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def _talking_over(parts: list[tuple[np.ndarray, str]], overlap: float) -> tuple[np.ndarray, str]:
    """Each part starting `overlap` seconds before the one before it ends (two people
    interrupting each other in turn)."""
    step = int(overlap * SAMPLE_RATE)
    starts = np.cumsum([0] + [samples.size - step for samples, _ in parts[:-1]])
    audio = np.zeros(int(starts[-1]) + parts[-1][0].size, dtype=np.float32)
    for start, (samples, _) in zip(starts, parts, strict=True):
        audio[start : start + samples.size] += samples
    audio /= max(1.0, float(np.max(np.abs(audio))))
    return audio, " ".join(text for _, text in parts)


def _readalongs(src: Path, stem: str, audio: str) -> tuple[np.ndarray, str]:
    text = (src / _SAMPLES / f"{stem}.txt").read_text(encoding="utf-8")
    return decode_all(src / _SAMPLES / f"{stem}.{audio}"), " ".join(text.split())


def recordings(src: Path) -> dict[str, tuple[np.ndarray, str, str]]:
    """Each recording of the set: (samples, reference text, languages)."""
    sentences = _sentences(src)
    english = [sentences[key] for key in SWITCH]
    phone_text = json.loads((src / _PHONE / "test_samples.json").read_text(encoding="utf-8"))
    phone = decode_all(src / _PHONE / "OSR_us_000_0034_8k.wav"), phone_text[0]["transcription"]
    telugu = [(decode_all(src / _TELUGU / f"{n}.16k.wav"), t) for n, t in _TELUGU_TEXT.items()]
    hindi = _said("hi", _HINDI)
    first_hindi = _said("hi", _HINDI[:1])
    child = _joined([(_sped_up(samples, 1.3), text) for samples, text in english], 0.4)
    return {
        "en_phone_8k": (*phone, "en"),
        "en_fast_non_native": (*_readalongs(src, "anchors-needed/anchors-needed", "mp3"), "en"),
        "da_spoken": (*_readalongs(src, "dan/ap_dan", "wav"), "da"),
        "fi_reading": (*_readalongs(src, _FINNISH, "wav"), "fi"),
        "gd_udhr": (*_readalongs(src, "gla/udhr-gla", "mp3"), "gd"),
        "te_reading": (*telugu[4], "te"),
        "te_six_voices": (*_joined(telugu, 0.5), "te"),
        "en_then_te": (*_joined([_joined(english, 0.4), _joined(telugu, 0.5)], 0.6), "en te"),
        "hi_synthetic": (*hindi, "hi"),
        "en_hi_en": (*_joined([english[0], first_hindi, english[1]], 0.4), "en hi en"),
        "en_talking_over": (*_talking_over(english, 0.6), "en"),
        "en_whisper_synthetic": (*_said("en+whisper", _WHISPERED), "en"),
        "en_child_like_fast": (*child, "en"),
    }


def main() -> None:
    build_from_command_line(recordings, __doc__)


if __name__ == "__main__":
    main()
