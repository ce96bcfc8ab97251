"""Build the fourth "unseen" set: conditions sets 1-3 (bench/prepare_unseen.py,
bench/prepare_unseen2.py, bench/prepare_unseen3.py) lack: Arabic (a right-to-left script, and
spoken Egyptian dialect, not a reading), a switch from English into Arabic and back, laughter
between sentences and on its own, a baby crying on its own and under speech (a child's voice,
though not a child speaking: no child's speech with its text was found), and applause before
and after a talk. Held out like the other sets: nothing is tuned on it; it is run to find
failures and confirm fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- ARBML/klaam (MIT), samples/demo.wav (10.1 s, stereo 44.1 kHz): a man speaking Egyptian
  Arabic, casually. The reference is the transcript printed by klaam's own wav2vec2 model in
  notebooks/demo.ipynb (one split word, "والل ه", joined): not a human transcript, so the
  Arabic WER says little; the file is there for the language, the script and the switches.
- lifeiteng/OmniSenseVoice (Apache-2.0), tests/data/{Laughter,Cry,Applause}.wav: 5 s each of
  laughter, a baby crying and applause, with no speech (the recordings' origin is not stated).
- speechbrain/speechbrain (Apache-2.0), as in prepare_unseen.py: the TIMIT-prompt sentences.

    .venv/bin/python bench/prepare_unseen4.py SRC_DIR UNSEEN4_DIR

SRC_DIR holds the checkouts as klaam/, OmniSenseVoice/ (the files above, at their paths) and
speechbrain/. Writes NAME.wav (16 kHz mono), NAME.txt (the reference; empty where nothing is
said) and NAME.lang (the spoken languages, in order) in UNSEEN4_DIR; `bench/bench_unseen.py
UNSEEN4_DIR` runs them.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import decode_all  # noqa: E402
from bench.prepare_unseen import (  # noqa: E402
    SHORT,
    SWITCH,
    _mix,
    _sentences,
    _silence,
    build_from_command_line,
)

_ARABIC = Path("klaam/samples/demo.wav")
_ARABIC_TEXT = (
    "أكل بتاعهو بيبقى مميز قوي عرفة إزاي ف والله إحنا كلنا كل يوم بنعمل حيلة عشان نسهب "
    "الشنطة بتاعته ناخد الأكن ورجع أ"
)
_SOUNDS = Path("OmniSenseVoice/tests/data")


def _joined(parts: list[tuple[np.ndarray, str]], gap_seconds: float) -> tuple[np.ndarray, str]:
    gap = _silence(gap_seconds)
    audio = np.concatenate([piece for samples, _ in parts for piece in (samples, gap)])
    return audio, " ".join(text for _, text in parts if text)


def _sound(src: Path, name: str) -> tuple[np.ndarray, str]:
    """A sound with nothing said in it, at its own level."""
    return decode_all(src / _SOUNDS / f"{name}.wav"), ""


def recordings(src: Path) -> dict[str, tuple[np.ndarray, str, str]]:
    """Each recording of the set: (samples, reference text, languages)."""
    sentences = _sentences(src)
    english = _joined([sentences[key] for key in SWITCH], 0.4)
    short = [sentences[key] for key in SHORT]
    arabic = decode_all(src / _ARABIC), _ARABIC_TEXT
    laughter, crying, applause = (_sound(src, name) for name in ("Laughter", "Cry", "Applause"))
    quiet = _silence(1.0), ""
    # Laughter between the sentences, as a listener laughs between a speaker's lines.
    laughing = _joined([short[0], laughter, short[1], short[2], laughter, short[3]], 0.3)
    # A baby crying in the room 5 dB under the speech, all the way through.
    over_crying = _mix(english[0], crying[0], 5.0)
    built = {
        "ar_egyptian": (*arabic, "ar"),
        "en_then_ar": (*_joined([english, arabic], 0.6), "en ar"),
        "ar_then_en": (*_joined([arabic, english], 0.6), "ar en"),
        "en_laughter_between": (*laughing, "en"),
        "laughter_only": (*_joined([quiet, laughter, quiet], 0.0), ""),
        "crying_only": (*_joined([quiet, crying, quiet], 0.0), ""),
        "en_over_crying": (over_crying, english[1], "en"),
        "en_between_applause": (*_joined([applause, english, applause], 0.5), "en"),
    }
    return built


def main() -> None:
    build_from_command_line(recordings, __doc__)


if __name__ == "__main__":
    main()
