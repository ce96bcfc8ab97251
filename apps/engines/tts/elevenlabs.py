"""ElevenLabs text-to-speech, through the `elevenlabs` 2.x SDK.

Voices are the account's own (premade, cloned, from the library), listed with `voices.search`
and cached for a short while. ElevenLabs streams mp3, Ogg Opus and raw PCM, which pass straight
through; wav, flac and aac are encoded here from its 24 kHz PCM as it streams in.
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import httpx
from elevenlabs import VoiceSettings
from elevenlabs.client import ElevenLabs
from elevenlabs.core import ApiError

from ..cloud import DEFAULT_MAX_RETRIES, elevenlabs_error
from ..errors import ErrorKind, ProviderError
from .base import (
    VOICE_SETTINGS,
    AudioChunk,
    ModelInfo,
    SpeechRequest,
    TextToSpeechBackend,
    VoiceInfo,
)
from .remote import check_text, encode_pcm, pcm_chunks

# Speech starts within a second or two; a minute without a byte means the request is stuck.
DEFAULT_TIMEOUT = 60.0
# The account's voices change only when someone adds or removes one.
DEFAULT_VOICES_TTL = 300.0
# A voice id missing from the cache may have been cloned a moment ago: the list is fetched again,
# but not more often than this, so a stream of bad ids cannot hammer the API.
_REFETCH_AFTER = 2.0
_PAGE_SIZE = 100
_MAX_PAGES = 20

PCM_RATE = 24_000
# The portal's formats that ElevenLabs streams itself, and as what. 24 kHz PCM matches what the
# portal's (and OpenAI's) "pcm" means; 44.1 kHz PCM would need a Pro plan.
OUTPUT_FORMATS = {"mp3": "mp3_44100_128", "opus": "opus_48000_64", "pcm": f"pcm_{PCM_RATE}"}


@dataclass(frozen=True)
class ElevenLabsModel(ModelInfo):
    # Takes `language_code` to force a language (multilingual v2 refuses it).
    language_code: bool = False


MODELS = (
    ElevenLabsModel(
        "eleven_multilingual_v2",
        "Eleven Multilingual v2",
        max_chars=10_000,
        description="The most lifelike and stable; 29 languages.",
    ),
    ElevenLabsModel(
        "eleven_flash_v2_5",
        "Eleven Flash v2.5",
        fast=True,
        max_chars=40_000,
        language_code=True,
        description="Low latency at half the price; 32 languages.",
    ),
    ElevenLabsModel(
        "eleven_v3",
        "Eleven v3",
        max_chars=5_000,
        language_code=True,
        description="The most expressive; follows audio tags such as [whispers] in the text.",
    ),
)


# What the SDK raises: ApiError for any non-2xx reply (or one it cannot parse), httpx's errors
# for the connection, also while audio streams in.
SDK_ERRORS = (ApiError, httpx.HTTPError)


def make_client(*, api_key: str, base_url: str | None, timeout: float) -> ElevenLabs:
    """An SDK client. The key is always passed: the SDK's own default is read from the
    environment once, when it is imported."""
    return ElevenLabs(api_key=api_key, base_url=base_url, timeout=timeout)


class ElevenLabsTextToSpeech(TextToSpeechBackend):
    """ElevenLabs' speech API: the whole text goes in one request and the audio streams back.

    Voice ids are ElevenLabs' (a voice's name is accepted too). Any language is passed on: the
    model decides what it can speak, and models with `language_code` are told which one to use.
    """

    label = "ElevenLabs (cloud)"
    speed_range = (0.7, 1.2)  # what voice_settings.speed accepts
    voice_settings_honoured = frozenset(VOICE_SETTINGS)
    native_formats = frozenset(OUTPUT_FORMATS)

    def __init__(
        self,
        *,
        alias: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        model: str = "eleven_multilingual_v2",
        voices_ttl: float = DEFAULT_VOICES_TTL,
        voice_settings: dict | None = None,
        max_chars: int = 40_000,
        **options,
    ):
        super().__init__(alias=alias, max_chars=max_chars, **options)
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.model = model
        self.voices_ttl = voices_ttl
        # stability, similarity_boost, style, use_speaker_boost: the voice's own when unset.
        self.voice_settings = dict(voice_settings or {})
        self._voices: list[VoiceInfo] | None = None
        self._voices_at = 0.0
        self._voices_lock = threading.Lock()

    @property
    def voice_settings_defaults(self) -> dict[str, float]:
        """ElevenLabs' documented defaults, or those configured for this account."""
        defaults = {"stability": 0.5, "similarity_boost": 0.75, "style": 0.0}
        configured = {k: v for k, v in self.voice_settings.items() if k in defaults}
        return defaults | configured

    @cached_property
    def client(self) -> ElevenLabs:
        return make_client(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout)

    def configuration_problem(self) -> str | None:
        if not self.api_key:
            return "no API key (set ELEVENLABS_API_KEY)"
        if self.model not in {m.name for m in MODELS}:
            return (
                f"unknown model {self.model!r} (choose one of {', '.join(m.name for m in MODELS)})"
            )
        return None

    def models(self) -> list[ModelInfo]:
        return sorted(MODELS, key=lambda m: m.name != self.model)

    def voices(self) -> list[VoiceInfo]:
        """The account's voices, fetched again once `voices_ttl` seconds have passed."""
        return self._cached_voices(max_age=self.voices_ttl)

    @property
    def default_voice(self) -> str:
        return self._default_voice or next((v.id for v in self.voices()), "")

    def resolve_voice(self, voice_id: str) -> VoiceInfo | None:
        voice_id = voice_id or self.default_voice
        voice = _find(self.voices(), voice_id)
        if voice is None and time.monotonic() - self._voices_at > _REFETCH_AFTER:
            voice = _find(self._cached_voices(max_age=0), voice_id)
        return voice

    def resolve_language(self, voice: VoiceInfo, requested: str) -> str:
        return requested.lower().replace("_", "-")

    def synthesize_encoded(self, request: SpeechRequest) -> Iterator[bytes]:
        params = self._params(request)
        if request.format in OUTPUT_FORMATS:
            yield from self._stream(params, OUTPUT_FORMATS[request.format])
            return
        pcm = self._stream(params, OUTPUT_FORMATS["pcm"])
        yield from encode_pcm(
            pcm, sample_rate=PCM_RATE, text=params["text"], audio_format=request.format
        )

    def synthesize_pcm(self, request: SpeechRequest) -> Iterator[AudioChunk]:
        params = self._params(request)
        pcm = self._stream(params, OUTPUT_FORMATS["pcm"])
        yield from pcm_chunks(pcm, sample_rate=PCM_RATE, text=params["text"])

    def _params(self, request: SpeechRequest) -> dict:
        """The arguments of `text_to_speech.stream`; INVALID_INPUT for a request it cannot take."""
        if not self.api_key:
            raise ProviderError(
                "ElevenLabs has no API key configured.", kind=ErrorKind.AUTHENTICATION
            )
        model = self.resolve_model(request.model)
        if not isinstance(model, ElevenLabsModel):
            raise ProviderError(
                f"Unknown model {request.model!r}; choose one of "
                f"{', '.join(m.name for m in MODELS)}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        if request.instructions:
            raise ProviderError(
                "ElevenLabs takes no instructions; with eleven_v3, put audio tags such as "
                "[whispers] in the text.",
                kind=ErrorKind.INVALID_INPUT,
            )
        voice, language = self.check(request)
        params = {
            "voice_id": voice.id,
            "text": check_text(request.text, max_chars=min(self.max_chars, model.max_chars)),
            "model_id": model.name,
        }
        if language and model.language_code:
            params["language_code"] = language.split("-")[0]
        settings = dict(self.voice_settings) | request.voice_settings.as_dict()
        if request.speed != 1.0:
            settings["speed"] = min(max(request.speed, self.speed_range[0]), self.speed_range[1])
        if settings:
            params["voice_settings"] = VoiceSettings(**settings)
        return params

    def _stream(self, params: dict, output_format: str) -> Iterator[bytes]:
        try:
            yield from self.client.text_to_speech.stream(
                **params, output_format=output_format, request_options=self._request_options
            )
        except SDK_ERRORS as exc:
            raise elevenlabs_error(exc) from exc

    @property
    def _request_options(self) -> dict:
        return {"max_retries": self.max_retries}

    def _cached_voices(self, *, max_age: float) -> list[VoiceInfo]:
        with self._voices_lock:
            if self._voices is None or time.monotonic() - self._voices_at >= max_age:
                try:
                    self._voices = self._fetch_voices()
                except SDK_ERRORS as exc:
                    raise elevenlabs_error(exc) from exc
                self._voices_at = time.monotonic()
            return list(self._voices)

    def _fetch_voices(self) -> list[VoiceInfo]:
        voices: list[VoiceInfo] = []
        token = None
        for _page in range(_MAX_PAGES):
            page = self.client.voices.search(
                page_size=_PAGE_SIZE,
                next_page_token=token,
                request_options=self._request_options,
            )
            voices.extend(_voice_info(v, self.alias) for v in page.voices)
            token = page.next_page_token
            if not page.has_more or not token:
                break
        return voices


def _find(voices: list[VoiceInfo], wanted: str) -> VoiceInfo | None:
    """The voice with id `wanted`, else the first whose name is `wanted` in any case."""
    by_name = (v for v in voices if v.name.casefold() == wanted.casefold())
    return next((v for v in voices if v.id == wanted), None) or next(by_name, None)


def _voice_info(voice, alias: str) -> VoiceInfo:
    labels = voice.labels or {}
    languages = []
    for verified in voice.verified_languages or []:
        code = (verified.locale or verified.language or "").lower().replace("_", "-")
        if code and code not in languages:
            languages.append(code)
    return VoiceInfo(
        id=voice.voice_id,
        name=voice.name or voice.voice_id,
        engine=alias,
        languages=tuple(languages),
        gender=labels.get("gender", "") if labels.get("gender") in ("female", "male") else "",
        style=labels.get("use_case") or labels.get("descriptive") or (voice.category or ""),
        description=voice.description or labels.get("description") or "",
    )
