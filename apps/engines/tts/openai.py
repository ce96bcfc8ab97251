"""OpenAI's hosted text-to-speech (gpt-4o-mini-tts, tts-1, tts-1-hd), through the `openai` SDK.

The API speaks every format the portal offers, so `synthesize_encoded` passes its bytes through
as they arrive; `synthesize_pcm` asks for raw PCM (24 kHz, 16-bit, mono) and cuts it into chunks.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import httpx2
import openai

from ..cloud import DEFAULT_MAX_RETRIES, openai_client, openai_error
from ..errors import ErrorKind, ProviderError
from ..stt.languages import LANGUAGES
from .base import (
    AUDIO_FORMATS,
    AudioChunk,
    ModelInfo,
    SpeechRequest,
    TextToSpeechBackend,
    VoiceInfo,
)
from .remote import check_text, pcm_chunks

# Speech starts within a second or two; a minute without a byte means the request is stuck.
DEFAULT_TIMEOUT = 60.0
PCM_RATE = 24_000  # what response_format="pcm" returns

# (docs) tts-1 and tts-1-hd know the original voices; the newer ones are gpt-4o-mini-tts only.
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
ALL_VOICES = (*CLASSIC_VOICES, "ballad", "verse", "marin", "cedar")


@dataclass(frozen=True)
class OpenAISpeechModel(ModelInfo):
    voices: tuple[str, ...] = ALL_VOICES


MODELS = (
    OpenAISpeechModel(
        "gpt-4o-mini-tts",
        "GPT-4o mini TTS (OpenAI)",
        supports_instructions=True,
        description="Follows instructions on tone and style; all voices.",
    ),
    OpenAISpeechModel(
        "tts-1", "TTS-1 (OpenAI)", fast=True, voices=CLASSIC_VOICES, description="Low latency."
    ),
    OpenAISpeechModel(
        "tts-1-hd", "TTS-1 HD (OpenAI)", voices=CLASSIC_VOICES, description="Higher quality."
    ),
)

_NEWER = "Only with gpt-4o-mini-tts."
# Genders as OpenAI's voice samples are usually heard; "" where they are not clear-cut.
_VOICES = (
    ("marin", "Marin", "female", "Natural and expressive; recommended. " + _NEWER),
    ("cedar", "Cedar", "male", "Natural and expressive; recommended. " + _NEWER),
    ("alloy", "Alloy", "", "Neutral and balanced."),
    ("ash", "Ash", "male", "Clear and articulate."),
    ("ballad", "Ballad", "male", "Warm and melodic. " + _NEWER),
    ("coral", "Coral", "female", "Bright and friendly."),
    ("echo", "Echo", "male", "Calm and even."),
    ("fable", "Fable", "", "Expressive, British-sounding storyteller."),
    ("nova", "Nova", "female", "Energetic and clear."),
    ("onyx", "Onyx", "male", "Deep and authoritative."),
    ("sage", "Sage", "female", "Calm and thoughtful."),
    ("shimmer", "Shimmer", "female", "Soft and gentle."),
    ("verse", "Verse", "male", "Versatile and expressive. " + _NEWER),
)


class OpenAITextToSpeech(TextToSpeechBackend):
    """OpenAI's speech API: the whole text goes in one request and the audio streams back.

    `supports_instructions` holds for gpt-4o-mini-tts only (see `models()`); other models refuse
    a request with instructions rather than ignore them.
    """

    label = "OpenAI (cloud)"
    supports_instructions = True
    # The models follow Whisper's languages; the text itself says which one to speak.
    languages = tuple(LANGUAGES)
    native_formats = frozenset(AUDIO_FORMATS)

    def __init__(
        self,
        *,
        alias: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        model: str = "gpt-4o-mini-tts",
        default_voice: str = "marin",
        **options,
    ):
        super().__init__(alias=alias, default_voice=default_voice, **options)
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.model = model

    @cached_property
    def client(self) -> openai.OpenAI:
        return openai_client(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def configuration_problem(self) -> str | None:
        if not self.api_key:
            return "no API key (set OPENAI_API_KEY)"
        if self.model not in {m.name for m in MODELS}:
            return (
                f"unknown model {self.model!r} (choose one of {', '.join(m.name for m in MODELS)})"
            )
        return None

    def models(self) -> list[ModelInfo]:
        # The configured default first.
        return sorted(MODELS, key=lambda m: m.name != self.model)

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(id, name, self.alias, gender=gender, description=description)
            for id, name, gender, description in _VOICES
        ]

    def synthesize_encoded(self, request: SpeechRequest) -> Iterator[bytes]:
        params = self._params(request)
        try:
            with self.client.audio.speech.with_streaming_response.create(**params) as response:
                # No chunk size: each piece is handed on as soon as it arrives.
                yield from response.iter_bytes()
        except openai.OpenAIError as exc:
            raise openai_error(exc) from exc
        # The SDK wraps failures to connect, not those while the body streams in.
        except httpx2.TimeoutException as exc:
            raise ProviderError("OpenAI stopped sending audio.", kind=ErrorKind.TIMEOUT) from exc
        except httpx2.TransportError as exc:
            raise ProviderError(
                f"The connection to OpenAI broke: {exc}", kind=ErrorKind.UNAVAILABLE
            ) from exc

    def synthesize_pcm(self, request: SpeechRequest) -> Iterator[AudioChunk]:
        data = self.synthesize_encoded(replace(request, format="pcm"))
        yield from pcm_chunks(data, sample_rate=PCM_RATE, text=request.text.strip())

    def _params(self, request: SpeechRequest) -> dict:
        """The speech API's arguments; INVALID_INPUT for what the chosen model cannot do."""
        if not self.api_key:
            raise ProviderError("OpenAI has no API key configured.", kind=ErrorKind.AUTHENTICATION)
        model = self.resolve_model(request.model)
        if not isinstance(model, OpenAISpeechModel):
            raise ProviderError(
                f"Unknown model {request.model!r}; choose one of "
                f"{', '.join(m.name for m in MODELS)}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        voice_id = request.voice or (
            self.default_voice if self.default_voice in model.voices else model.voices[0]
        )
        voice, _language = self.check(replace(request, voice=voice_id))
        if voice.id not in model.voices:
            raise ProviderError(
                f"{model.name} has no voice {voice.id!r}; it speaks {', '.join(model.voices)}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        if request.instructions and not model.supports_instructions:
            raise ProviderError(
                f"{model.name} does not take instructions; use gpt-4o-mini-tts.",
                kind=ErrorKind.INVALID_INPUT,
            )
        params = {
            "model": model.name,
            "voice": voice.id,
            "input": check_text(request.text, max_chars=min(self.max_chars, model.max_chars)),
            "response_format": request.format,
        }
        if request.instructions:
            params["instructions"] = request.instructions
        if request.speed != 1.0:
            params["speed"] = request.speed
        return params
