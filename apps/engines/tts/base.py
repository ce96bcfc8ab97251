"""The text-to-speech contract every engine implements."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..errors import ErrorKind, ProviderError
from .phonemes import Lexicon
from .text import short_first, split_sentences

AudioFormat = Literal["mp3", "wav", "opus", "flac", "aac", "pcm"]
AUDIO_FORMATS: tuple[str, ...] = ("mp3", "wav", "opus", "flac", "aac", "pcm")

# OpenAI's accepted range; an engine that cannot go as far clamps into its own `speed_range`.
MIN_SPEED, MAX_SPEED = 0.25, 4.0
# OpenAI's input limit, and so what its clients expect.
DEFAULT_MAX_CHARS = 4096


VOICE_SETTINGS = ("stability", "similarity_boost", "style")


class InvalidVoiceSettings(ValueError):
    """A voice setting out of range; `param` names it as a client sent it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param, self.message = param, message


@dataclass(frozen=True)
class VoiceSettings:
    """ElevenLabs' per-request voice settings, each from 0 to 1; None: the voice's own.

    stability: how alike two readings are (Piper: less sampling noise; 1 reads a text the same
    every time). similarity_boost: how close a custom voice stays to its samples (a matched
    voice: how much of the reshaping is applied). style: how expressive (ElevenLabs only).
    An engine honours those in its `voice_settings_honoured` and ignores the others.
    """

    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None

    @classmethod
    def parse(cls, data) -> "VoiceSettings":
        """From a JSON object (None or {}: the voice's own). Raises InvalidVoiceSettings."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidVoiceSettings("voice_settings", "voice_settings must be an object.")
        values = {}
        for name in VOICE_SETTINGS:
            value = data.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise InvalidVoiceSettings(
                    f"voice_settings.{name}", f"voice_settings.{name} must be a number from 0 to 1."
                )
            values[name] = float(value)
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        """The settings given, by name."""
        return {n: getattr(self, n) for n in VOICE_SETTINGS if getattr(self, n) is not None}


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: str = ""  # empty: the engine's default voice
    language: str = ""  # empty: the voice's own language
    speed: float = 1.0
    format: AudioFormat = "mp3"
    instructions: str = ""  # how to speak (tone, emotion); only where supports_instructions
    model: str = ""  # one of the engine's `models()`; empty: its default (ignored without models)
    voice_settings: VoiceSettings = VoiceSettings()
    # Speak a long first sentence in two (the engine's `first_chunk_chars`); off for the later
    # pieces of a long reading, whose first audio is long gone (a cut can be heard).
    short_first: bool = True
    # Words said from the IPA phonemes given (a pronunciation dictionary's phoneme entries);
    # only engines that `supports_phonemes` are given any (the others get respellings).
    lexicon: Lexicon = ()
    # With short_first, the engine may also give that first piece's audio in several chunks,
    # its first words first (`speak_first`). Off where each chunk is reshaped on its own (a
    # matched voice), which needs chunks that end where the text does.
    first_audio_in_pieces: bool = True


@dataclass(frozen=True)
class ModelInfo:
    """One of the models an engine offers (cloud engines have several; local ones none)."""

    name: str
    label: str
    # Follows `SpeechRequest.instructions` (the engine's flag says whether any model does).
    supports_instructions: bool = False
    # Returns audio sooner, at some cost in quality.
    fast: bool = False
    max_chars: int = DEFAULT_MAX_CHARS
    description: str = ""


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    engine: str  # the backend alias
    languages: tuple[str, ...] = ()  # lower-case codes such as "en-us"; first is the main one
    gender: str = ""  # "female", "male" or "" when unknown
    style: str = ""
    description: str = ""
    preview_text: str = ""
    # The speaker's own language where it is not the one spoken ("ja": a Japanese speaker
    # reading English). Such a voice has an accent; a custom voice is matched to it only when
    # no native voice of the language exists.
    accent: str = ""

    def speaks(self, language: str) -> bool:
        """Whether the voice speaks `language` ("en" finds "en-us")."""
        primary = language.split("-")[0]
        return any(code.split("-")[0] == primary for code in self.languages)

    def is_native(self, language: str) -> bool:
        return self.speaks(language) and (
            not self.accent or self.accent.split("-")[0] == language.split("-")[0]
        )


@dataclass(frozen=True)
class AudioChunk:
    """Mono PCM for one piece of the text (a sentence), playable on its own."""

    samples: np.ndarray = field(compare=False)  # float32 in [-1, 1] or int16
    sample_rate: int
    text: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def as_float32(self) -> np.ndarray:
        if self.samples.dtype == np.int16:
            return self.samples.astype(np.float32) / 32768.0
        return np.asarray(self.samples, dtype=np.float32)


class TextToSpeechBackend:
    """Base class for engines. Subclasses set the flags and implement `voices` and `speak`.

    `synthesize_pcm` checks the request, splits the text into sentences and yields one
    `AudioChunk` per sentence as soon as it is ready, so playback can start early. Engines that
    take the whole text at once (cloud APIs) override `synthesize_pcm` instead of `speak`, and
    `synthesize_encoded` too when the provider sends encoded audio.
    Everything raises `ProviderError`; a bad request is `ErrorKind.INVALID_INPUT`, raised at the
    first `next()` before any audio (call `check(request)` to find out before streaming starts).
    """

    label = "Text-to-speech engine"
    # Follows `SpeechRequest.instructions`; others ignore it.
    supports_instructions = False
    # Yields audio before the whole text is done.
    supports_streaming = True
    # Follows `SpeechRequest.speed` (clamped into `speed_range`).
    supports_speed = True
    # The VoiceSettings fields the engine follows; `speak` then takes them as `settings=`.
    voice_settings_honoured: frozenset[str] = frozenset()
    # Where the voice's own reading sits on each honoured setting's 0-1 scale (the studio's
    # sliders start there).
    voice_settings_defaults: dict[str, float] = {}
    speed_range = (MIN_SPEED, MAX_SPEED)
    # Language codes the engine can speak; empty means whatever each voice lists.
    languages: tuple[str, ...] = ()
    # True when the engine runs on this machine (and so only in worker processes).
    runs_locally = False
    # Formats `synthesize_encoded` passes through from the provider as it sends them, untouched
    # (cloud engines). Every other format is encoded here from PCM.
    native_formats: frozenset[str] = frozenset()
    # Says `SpeechRequest.lexicon`'s words from their phonemes; `speak` then takes `lexicon=`.
    supports_phonemes = False
    # Seconds of a reading's first words that `speak_first` asks for as a chunk of their own
    # (`speak` then takes `first_seconds=`); 0: engines that cannot, or where it is turned off.
    first_audio_seconds: float = 0.0

    def __init__(
        self,
        *,
        alias: str,
        default_voice: str = "",
        max_chars: int = DEFAULT_MAX_CHARS,
        first_chunk_chars: int = 0,
        first_chunk_clause_only: bool = False,
        **options,
    ):
        self.alias = alias
        self._default_voice = default_voice
        self.max_chars = max_chars
        # A first sentence longer than this is spoken in two pieces (0: never), so that a slow
        # engine's first audio comes after a few words.
        self.first_chunk_chars = first_chunk_chars
        # Cut that sentence only at a clause break (a comma...), never between other words.
        self.first_chunk_clause_only = first_chunk_clause_only
        self.options = options

    def voices(self) -> list[VoiceInfo]:
        raise NotImplementedError

    def models(self) -> list[ModelInfo]:
        """The engine's models, its default first; empty for an engine without a choice."""
        return []

    def resolve_model(self, name: str) -> ModelInfo | None:
        """The model called `name` (the default for an empty name), or None."""
        models = self.models()
        name = name or (models[0].name if models else "")
        return next((m for m in models if m.name == name), None)

    @property
    def default_voice(self) -> str:
        return self._default_voice or self.voices()[0].id

    def resolve_voice(self, voice_id: str) -> VoiceInfo | None:
        """The voice called `voice_id` (the default for an empty id), or None."""
        voice_id = voice_id or self.default_voice
        return next((v for v in self.voices() if v.id == voice_id), None)

    def synthesize_pcm(self, request: SpeechRequest) -> Iterator[AudioChunk]:
        voice, language = self.check(request)
        speed = min(max(request.speed, self.speed_range[0]), self.speed_range[1])
        sentences = split_sentences(request.text, language=language, max_chars=self.max_chars)
        extra = {"settings": request.voice_settings} if self.voice_settings_honoured else {}
        if self.supports_phonemes and request.lexicon:
            extra["lexicon"] = request.lexicon
        pieces = self.first_cut(sentences) if request.short_first else sentences
        for n, sentence in enumerate(pieces):
            first = n == 0 and request.short_first and request.first_audio_in_pieces
            speak = self.speak_first if first else self.speak
            yield from speak(sentence, voice=voice, language=language, speed=speed, **extra)

    def first_cut(self, sentences: list[str]) -> list[str]:
        """The pieces `synthesize_pcm` speaks one by one: `sentences`, the first perhaps cut
        in two (see `first_chunk_chars`)."""
        return short_first(
            sentences, self.first_chunk_chars, clause_only=self.first_chunk_clause_only
        )

    def speak(
        self, sentence: str, *, voice: VoiceInfo, language: str, speed: float
    ) -> Iterator[AudioChunk]:
        """Audio for one sentence (usually one chunk)."""
        raise NotImplementedError

    def speak_first(self, sentence: str, **kwargs) -> Iterator[AudioChunk]:
        """Audio for the first piece of a reading, which someone waits for: `speak`, with its
        first `first_audio_seconds` as a chunk of their own where the engine can give them
        sooner (Piper, Kokoro). Every chunk carries the whole piece's text."""
        if self.first_audio_seconds:
            return self.speak(sentence, first_seconds=self.first_audio_seconds, **kwargs)
        return self.speak(sentence, **kwargs)

    def synthesize_encoded(self, request: SpeechRequest) -> Iterator[bytes]:
        """The audio in `request.format`, in pieces as they become ready (never empty).

        This default encodes `synthesize_pcm` (mono, 24 kHz; see encode.py). Cloud engines
        override it to pass the provider's bytes through for `native_formats`. Like
        `synthesize_pcm`, it is lazy: errors, a bad request included, come with the first piece.
        """
        from .encode import encode_stream  # encode.py imports this module

        return encode_stream(self.synthesize_pcm(request), request.format)

    def check(self, request: SpeechRequest) -> tuple[VoiceInfo, str]:
        """Raise INVALID_INPUT for a request this engine cannot honour; else the voice and the
        language to speak."""
        if request.format not in AUDIO_FORMATS:
            raise ProviderError(
                f"Unknown format {request.format!r}; choose one of {', '.join(AUDIO_FORMATS)}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        if not MIN_SPEED <= request.speed <= MAX_SPEED:
            raise ProviderError(
                f"Speed must be between {MIN_SPEED} and {MAX_SPEED}.", kind=ErrorKind.INVALID_INPUT
            )
        voice = self.resolve_voice(request.voice)
        if voice is None:
            raise ProviderError(
                f"The engine {self.alias!r} has no voice {request.voice!r}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        return voice, self.resolve_language(voice, request.language)

    def resolve_language(self, voice: VoiceInfo, requested: str) -> str:
        """The voice's code for `requested` ("en" finds "en-us"); its main language if empty."""
        codes = voice.languages or self.languages
        if not requested:
            return codes[0] if codes else "en"
        requested = requested.lower().replace("_", "-")
        if requested in codes:
            return requested
        primary = requested.split("-")[0]
        for code in codes:
            if code.split("-")[0] == primary:
                return code
        raise ProviderError(
            f"The voice {voice.id!r} does not speak {requested!r} (it speaks {', '.join(codes)}).",
            kind=ErrorKind.INVALID_INPUT,
        )
