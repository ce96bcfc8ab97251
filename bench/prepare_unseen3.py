"""Build the third "unseen" set: conditions the first two (bench/prepare_unseen.py,
bench/prepare_unseen2.py) lack: Japanese and Korean, a switch from English into Japanese and
from Korean into English, a Japanese sentence quoted inside English, a digit code read out, a
halting speaker (Alvin Lucier's stutter, read against the clean text he wrote), non-native
(Indian) English, two speakers taking turns over a kitchen's noise, reverberant far-field
speech that is not AMI, speech over a podcast's music bed, and a long (15 min) recording whose
speech is sparse between long stretches of room noise and music. Held out like the other sets:
nothing is tuned on it; it is run to find failures and confirm fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- Picovoice/leopard (Apache-2.0), resources/audio_samples/test_{ja,ko}.wav and test.wav with
  their transcripts in resources/.test/test_data.json: a Japanese (5.4 s), a Korean (3.9 s) and
  an English (5.9 s, "Mr Quilter is the apostle of the middle classes ...") read sentence.
- alphacep/vosk-api (Apache-2.0): python/example/test.wav (8.3 s), CMU Sphinx's digit sample
  10001-90210-01803 ("one zero zero zero one nine oh two one oh zero one eight zero three";
  the reference writes each "oh" as the digit it stands for, and tests/wer.py spells a code
  written "1-0-0-0-1" digit by digit); and, at commit 580067b4,
  python/aligner/example/lucier.{wav,txt} (100.8 s): the opening of Alvin Lucier's "I am
  sitting in a room" in his own voice, with the score's text (he stutters; the text does not).
  The repository's licence; the recording's origin is not stated there.
- LCAV/pyroomacoustics (MIT), examples/input_samples: CMU ARCTIC prompts a0001-a0003 read by
  aew (a US male) and a0004-a0006 by axb (an Indian-English female, festvox's list of ARCTIC
  voices; the corpus is free for any use), texts from ARCTIC's prompt list; and
  doing_the_dishes.wav (95 s of kitchen noise from Google's Speech Commands, CC BY 4.0).
- speechbrain/speechbrain (Apache-2.0) and tyiannak/pyAudioAnalysis, as in prepare_unseen.py:
  the six TIMIT-prompt sentences, the noise and the salsa loop.
The room of `en_reverberant` is synthetic (decaying noise, RT60 0.9 s, the direct sound 8 dB
under the reverberation, a fixed seed): no real impulse response is among the checkouts.

    .venv/bin/python bench/prepare_unseen3.py SRC_DIR UNSEEN3_DIR

SRC_DIR holds the checkouts as leopard/, vosk-api/, pyroomacoustics/ (the files above, at
their paths), speechbrain/ and pyAudioAnalysis/. Writes NAME.wav (16 kHz mono), NAME.txt (the
reference) and NAME.lang (the spoken languages, in order) in UNSEEN3_DIR;
`bench/bench_unseen.py UNSEEN3_DIR` runs them.
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import SAMPLE_RATE, decode_all  # noqa: E402
from bench.prepare_unseen import (  # noqa: E402
    _MUSIC,
    _NOISE,
    SHORT,
    SWITCH,
    _mix,
    _sentences,
    _silence,
    build_from_command_line,
)

_LEOPARD = Path("leopard/resources")
_VOSK = Path("vosk-api/python")
_ARCTIC = Path("pyroomacoustics/examples/input_samples")
_PROMPTS = {
    "aew_a0001": "author of the danger trail philip steels etc",
    "aew_a0002": "not at this particular case tom apologized whittemore",
    "aew_a0003": "for the twentieth time that evening the two men shook hands",
    "axb_a0004": "lord but i'm glad to see you again phil",
    "axb_a0005": "will we ever forget it",
    "axb_a0006": "god bless em i hope i'll go on seeing them forever",
}
_TURNS = ("aew_a0001", "axb_a0004", "aew_a0002", "axb_a0005", "aew_a0003", "axb_a0006")
_DIGITS_TEXT = "one zero zero zero one nine zero two one zero zero one eight zero three"
_LONG_MINUTES = 15


def _leopard(src: Path) -> dict[str, tuple[np.ndarray, str]]:
    tests = json.loads((src / _LEOPARD / ".test/test_data.json").read_text(encoding="utf-8"))
    return {
        test["language"]: (
            decode_all(src / _LEOPARD / "audio_samples" / test["audio_file"]),
            test["transcript"],
        )
        for test in tests["tests"]["language_tests"]
        if test["language"] in ("en", "ja", "ko")
    }


def _arctic(src: Path, keys: tuple[str, ...]) -> list[tuple[np.ndarray, str]]:
    return [(decode_all(src / _ARCTIC / f"cmu_arctic_us_{key}.wav"), _PROMPTS[key]) for key in keys]


def _joined(parts: list[tuple[np.ndarray, str]], gap_seconds: float) -> tuple[np.ndarray, str]:
    gap = _silence(gap_seconds)
    audio = np.concatenate([piece for samples, _ in parts for piece in (samples, gap)])
    return audio, " ".join(text for _, text in parts)


def _reverberant(speech: np.ndarray, rt60: float = 0.9, direct_db: float = -8.0) -> np.ndarray:
    """Speech as a far microphone in a live room hears it: the direct sound plus exponentially
    decaying diffuse reverberation, and a faint noise floor."""
    rng = np.random.default_rng(9)
    length = int(rt60 * SAMPLE_RATE)
    decay = np.exp(-6.9 * np.arange(length) / length)  # -60 dB at rt60
    tail = rng.standard_normal(length) * decay
    tail[: int(0.003 * SAMPLE_RATE)] = 0.0  # the first reflection arrives after 3 ms
    tail *= 10 ** (-direct_db / 20) / np.sqrt(np.sum(tail**2))
    tail[0] = 1.0
    wet = np.fft.irfft(
        np.fft.rfft(speech, speech.size + length) * np.fft.rfft(tail, speech.size + length)
    )
    wet += 0.002 * rng.standard_normal(wet.size)
    return (0.5 * wet / np.max(np.abs(wet))).astype(np.float32)


def _music_bed(speech: np.ndarray, music: np.ndarray) -> np.ndarray:
    """A podcast's opening: 8 s of music alone, the voice over the music 18 dB under it, 5 s of
    music to close."""
    intro, outro = 8 * SAMPLE_RATE, 5 * SAMPLE_RATE
    bed = np.resize(music, intro + speech.size + outro).astype(np.float64)
    loud = np.sqrt(np.mean(speech**2))
    bed *= loud / np.sqrt(np.mean(bed**2))
    bed[intro : intro + speech.size] *= 10 ** (-18 / 20)
    bed[intro : intro + speech.size] += speech
    return (0.8 * bed / np.max(np.abs(bed))).astype(np.float32)


def _long(pieces: list[tuple[np.ndarray, str]], src: Path) -> tuple[np.ndarray, str]:
    """`_LONG_MINUTES` of audio in which the pieces are spread between long stretches of room
    noise (speechbrain's noise at -50 dBFS, 14 dB under the speech) and, once, a minute of
    quiet music: a recorder left running."""
    rng = np.random.default_rng(15)
    total = _LONG_MINUTES * 60 * SAMPLE_RATE
    room = np.resize(decode_all(src / _NOISE), total)
    room *= 0.003 / np.sqrt(np.mean(room**2))
    music = np.resize(decode_all(src / _MUSIC), 60 * SAMPLE_RATE) * 0.02
    speech = sum(samples.size for samples, _ in pieces)
    pause = (total - speech - music.size) // (len(pieces) + 2)
    audio, at = room.copy(), pause
    for i, (samples, _) in enumerate(pieces):
        audio[at : at + samples.size] += samples
        at += samples.size + pause + int(rng.integers(-5, 5) * SAMPLE_RATE)
        if i == len(pieces) // 2:
            audio[at - pause // 2 : at - pause // 2 + music.size] += music
            at += music.size
    return audio.astype(np.float32), " ".join(text for _, text in pieces)


def recordings(src: Path) -> dict[str, tuple[np.ndarray, str, str]]:
    """Each recording of the set: (samples, reference text, languages)."""
    spoken = _leopard(src)
    sentences = _sentences(src)
    english = _joined([sentences[key] for key in SWITCH], 0.4)
    digits = decode_all(src / _VOSK / "example/test.wav"), _DIGITS_TEXT
    lucier_text = (src / _VOSK / "aligner/example/lucier.txt").read_text(encoding="utf-8")
    lucier = decode_all(src / _VOSK / "aligner/example/lucier.wav"), lucier_text.strip()
    quoted = [sentences["spk1_snt2"], spoken["ja"], sentences["spk2_snt1"]]
    podcast = _joined([spoken["en"], english], 0.5)
    others = _joined([sentences[key] for key in SHORT], 0.4)
    accented = _joined(_arctic(src, ("axb_a0004", "axb_a0005", "axb_a0006")), 0.5)
    # Two speakers taking turns, one of them with an accent, over a kitchen's noise 5 dB under.
    turns = _joined(_arctic(src, _TURNS), 0.3)
    dishes = _mix(turns[0], decode_all(src / _ARCTIC / "doing_the_dishes.wav"), 5.0)
    built = {
        "en_accented": (*accented, "en"),
        "en_turns_over_dishes": (dishes, turns[1], "en"),
        "ja_reading": (*spoken["ja"], "ja"),
        "ko_reading": (*spoken["ko"], "ko"),
        "en_digits": (*digits, "en"),
        "en_lucier_halting": (*lucier, "en"),
        "en_then_ja": (*_joined([english, spoken["ja"]], 0.6), "en ja"),
        "ko_then_en": (*_joined([spoken["ko"], spoken["en"], english], 0.6), "ko en"),
        "en_quoting_ja": (*_joined(quoted, 0.3), "en ja en"),
        "en_reverberant": (_reverberant(english[0]), english[1], "en"),
        "en_podcast_intro": (_music_bed(podcast[0], decode_all(src / _MUSIC)), podcast[1], "en"),
        "en_long_sparse": (*_long([lucier, english, spoken["en"], digits, others], src), "en"),
    }
    return built


def main() -> None:
    build_from_command_line(recordings, __doc__)


if __name__ == "__main__":
    main()
