"""ElevenLabs music and sound effects, through the official `elevenlabs` SDK (2.x).

A prompt goes as `prompt` with `music_length_ms`; sections or lyrics go as a composition plan
(`music_v1`'s `MusicPrompt`) with `respect_sections_durations`. The mp3 ElevenLabs sends is
kept as it is, and decoded for the waveform, the WAV file and the API's other formats.
`music.compose` rather than `compose_detailed`: the SDK's wrapper of the latter (2.78) drops
`seed` and `respect_sections_durations` without a word.
"""

from functools import cached_property

import httpx
from elevenlabs.core import ApiError

from ..cloud import DEFAULT_MAX_RETRIES, elevenlabs_error
from ..errors import ErrorKind, ProviderError
from .audio import decode
from .base import (
    AudioResult,
    MusicBackend,
    MusicRequest,
    SoundEffectRequest,
    SoundEffectsBackend,
)

# A song takes ElevenLabs a minute or more to make; a sound effect a few seconds.
DEFAULT_MUSIC_TIMEOUT = 600.0
DEFAULT_EFFECTS_TIMEOUT = 120.0
OUTPUT_FORMAT = "mp3_44100_128"
MUSIC_MODELS = ("music_v1", "music_v2", "music_v2_5")
SDK_ERRORS = (ApiError, httpx.HTTPError)


class _ElevenLabsClient:
    def __init__(self, *, api_key: str = "", base_url: str | None = None, timeout: float,
                 max_retries: int = DEFAULT_MAX_RETRIES):  # fmt: skip
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries

    @cached_property
    def client(self):
        from elevenlabs.client import ElevenLabs

        # The key is always passed: the SDK's default is read from the environment at import.
        return ElevenLabs(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout)

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (set ELEVENLABS_API_KEY)"

    def _call(self, method, **params) -> bytes:
        if not self.api_key:
            raise ProviderError(
                "ElevenLabs has no API key configured.", kind=ErrorKind.AUTHENTICATION
            )
        try:
            return b"".join(
                method(**params, request_options={"max_retries": self.max_retries})
            )  # fmt: skip
        except SDK_ERRORS as exc:
            raise elevenlabs_error(exc) from exc


def _result(data: bytes, *, understood: str, title: str) -> AudioResult:
    samples, rate = decode(data)
    return AudioResult(
        samples=samples,
        sample_rate=rate,
        encoded=data,
        encoded_format="mp3",
        understood=understood,
        title=title,
    )


class ElevenLabsMusic(_ElevenLabsClient, MusicBackend):
    label = "ElevenLabs Music (cloud)"
    supports_lyrics = True
    supports_sections = True
    supports_seed = True
    description = "ElevenLabs' music model: songs with vocals or instrumentals, made in the cloud."

    def __init__(self, *, alias: str, model: str = "music_v1", **options):
        options.setdefault("timeout", DEFAULT_MUSIC_TIMEOUT)
        client_options = {k: options.pop(k) for k in list(options) if k in _CLIENT_OPTIONS}
        _ElevenLabsClient.__init__(self, **client_options)
        MusicBackend.__init__(self, alias=alias, **options)
        self.model = model

    def compose(self, request: MusicRequest, *, progress=None) -> AudioResult:
        self.check(request)
        params = {"output_format": OUTPUT_FORMAT, "model_id": self.model}
        if request.sections or request.lyrics:
            params |= {
                "composition_plan": self.plan(request),
                "respect_sections_durations": bool(request.sections),
            }
        else:
            params |= {"prompt": request.prompt, "music_length_ms": round(request.seconds * 1000)}
        params["force_instrumental"] = request.instrumental and not request.lyrics
        if request.seed is not None:
            params["seed"] = request.seed
        data = self._call(self.client.music.compose, **params)
        return _result(data, understood=f"ElevenLabs {self.model}", title="")

    def plan(self, request: MusicRequest):
        """A composition plan: the prompt as the global style, the sections (or one section for
        the whole song) with the lyrics' lines spread over them."""
        from elevenlabs import MusicPrompt, SongSection

        sections = request.sections or ()
        names = [s.name for s in sections] or ["Song"]
        lengths = [round(s.seconds * 1000) for s in sections] or [round(request.seconds * 1000)]
        lines = [line for line in request.lyrics.splitlines() if line.strip()]
        per = -(-len(lines) // len(names)) if lines else 0
        return MusicPrompt(
            positive_global_styles=[request.prompt.strip()],
            negative_global_styles=[],
            sections=[
                SongSection(
                    section_name=name,
                    positive_local_styles=[],
                    negative_local_styles=[],
                    duration_ms=length,
                    lines=lines[i * per : (i + 1) * per],
                )
                for i, (name, length) in enumerate(zip(names, lengths, strict=True))
            ],
        )


class ElevenLabsSoundEffects(_ElevenLabsClient, SoundEffectsBackend):
    label = "ElevenLabs sound effects (cloud)"
    description = "ElevenLabs' sound-effects model, in the cloud."

    def __init__(self, *, alias: str, model: str = "", **options):
        options.setdefault("timeout", DEFAULT_EFFECTS_TIMEOUT)
        client_options = {k: options.pop(k) for k in list(options) if k in _CLIENT_OPTIONS}
        _ElevenLabsClient.__init__(self, **client_options)
        SoundEffectsBackend.__init__(self, alias=alias, **options)
        self.model = model

    def generate(self, request: SoundEffectRequest) -> AudioResult:
        self.check(request)
        params = {"text": request.text, "output_format": OUTPUT_FORMAT}
        if request.seconds is not None:
            params["duration_seconds"] = request.seconds
        if self.model:
            params["model_id"] = self.model
        data = self._call(self.client.text_to_sound_effects.convert, **params)
        return _result(data, understood="ElevenLabs sound effects", title="")


_CLIENT_OPTIONS = {"api_key", "base_url", "timeout", "max_retries"}
