"""Reading ElevenLabs music and sound-effect requests, and answering with the track's audio.

`POST /v1/music` takes `prompt` or `composition_plan`, `music_length_ms`, `force_instrumental`,
`seed` and `model_id`; `POST /v1/sound-generation` takes `text` and `duration_seconds`; both
take `output_format` in the query. ElevenLabs' model names choose the default engine; a MUSIC
or SOUND_EFFECTS alias as the model chooses that engine. Documented in docs/api.md.
"""

import asyncio
import json
import wave
from dataclasses import dataclass

import numpy as np
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from apps.engines.errors import ProviderError
from apps.engines.music import music_backends, sound_effects_backends
from apps.engines.music.audio import OutputFormat, encode, output_format_parse
from apps.engines.music.base import Section
from apps.music import services
from apps.music.models import Track

from .errors import ApiError

MUSIC_MODELS = ("music_v1", "music_v2", "music_v2_5")
EFFECT_MODELS = ("eleven_text_to_sound_v2", "eleven_text_to_sound_v3")
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
# Without music_length_ms ElevenLabs lets the model choose; the arranger needs a length.
DEFAULT_MUSIC_MS = 30_000
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ApiMusicRequest:
    prompt: str
    seconds: float
    instrumental: bool
    lyrics: str
    sections: tuple[Section, ...]
    seed: int | None
    engine: str
    output: OutputFormat


@dataclass(frozen=True)
class ApiEffectRequest:
    text: str
    seconds: float | None
    engine: str
    output: OutputFormat


def _invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(422, message, param=param, code="invalid_request")


def _body(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise _invalid("The body must be JSON.") from None
    if not isinstance(data, dict):
        raise _invalid("The body must be a JSON object.")
    return data


def _output(query) -> OutputFormat:
    try:
        return output_format_parse(query.get("output_format") or DEFAULT_OUTPUT_FORMAT)
    except ProviderError as exc:
        raise _invalid(exc.message, "output_format") from None


def _typed(data: dict, name: str, types: tuple, label: str):
    """`data[name]` if it is one of `types` (JSON true is no number here), None if absent."""
    value = data.get(name)
    if value is None:
        return None
    wrong_bool = isinstance(value, bool) and bool not in types
    if wrong_bool or not isinstance(value, types):
        raise _invalid(f"{name} must be {label}.", name)
    return value


def _engine(model: str | None, *, names: tuple[str, ...], handler) -> str:
    if model is None or model in names:
        return handler.default_alias
    if model in handler:
        return model
    raise _invalid(f"Unknown model_id {model!r}; use one of {', '.join(names)}.", "model_id")


def parse_music(raw: bytes, query) -> ApiMusicRequest:
    data = _body(raw)
    output = _output(query)
    prompt = _typed(data, "prompt", (str,), "a string")
    plan = _typed(data, "composition_plan", (dict,), "an object")
    if (prompt is None) == (plan is None):
        raise _invalid("Send either prompt or composition_plan.", "prompt")
    length_ms = _typed(data, "music_length_ms", (int,), "a whole number of milliseconds")
    seed = _typed(data, "seed", (int,), "a whole number")
    instrumental = _typed(data, "force_instrumental", (bool,), "true or false")
    model = _typed(data, "model_id", (str,), "a string")
    lyrics, sections = "", ()
    if plan is not None:
        prompt, lyrics, sections = _plan(plan)
    seconds = (length_ms if length_ms is not None else DEFAULT_MUSIC_MS) / 1000
    return ApiMusicRequest(
        prompt=prompt,
        seconds=seconds,
        instrumental=bool(instrumental) or not lyrics,
        lyrics=lyrics,
        sections=sections,
        seed=seed,
        engine=_engine(model, names=MUSIC_MODELS, handler=music_backends),
        output=output,
    )


def _plan(plan: dict) -> tuple[str, str, tuple[Section, ...]]:
    """ElevenLabs' composition plan as a prompt (the global styles), lyrics (every section's
    lines) and sections."""
    styles = plan.get("positive_global_styles")
    raw_sections = plan.get("sections")
    if not isinstance(styles, list) or not isinstance(raw_sections, list) or not raw_sections:
        raise _invalid(
            "composition_plan needs positive_global_styles and a list of sections.",
            "composition_plan",
        )
    sections, lines = [], []
    for s in raw_sections:
        ok = isinstance(s, dict) and isinstance(s.get("section_name"), str)
        if not ok or not isinstance(s.get("duration_ms"), int):
            raise _invalid("Each section needs section_name and duration_ms.", "composition_plan")
        sections.append(Section(s["section_name"], s["duration_ms"] / 1000))
        lines += [str(line) for line in s.get("lines") or []]
    prompt = ", ".join(str(style) for style in styles)
    return prompt, "\n".join(lines), tuple(sections)


def parse_effect(raw: bytes, query) -> ApiEffectRequest:
    data = _body(raw)
    output = _output(query)
    text = _typed(data, "text", (str,), "a string")
    if text is None:
        raise _invalid("text is required.", "text")
    seconds = _typed(data, "duration_seconds", (int, float), "a number of seconds")
    _typed(data, "prompt_influence", (int, float), "a number")
    _typed(data, "loop", (bool,), "true or false")
    model = _typed(data, "model_id", (str,), "a string")
    return ApiEffectRequest(
        text=text,
        seconds=float(seconds) if seconds is not None else None,
        engine=_engine(model, names=EFFECT_MODELS, handler=sound_effects_backends),
        output=output,
    )


# The services' fields as the request names them.
_MUSIC_PARAMS = {"prompt": "prompt", "seconds": "music_length_ms", "lyrics": "composition_plan",
                 "sections": "composition_plan", "seed": "seed", "engine": "model_id"}  # fmt: skip
_EFFECT_PARAMS = {"prompt": "text", "seconds": "duration_seconds", "engine": "model_id"}


def create_music(user: User, parsed: ApiMusicRequest) -> Track:
    try:
        return services.track_create(
            owner=user,
            prompt=parsed.prompt,
            seconds=parsed.seconds,
            instrumental=parsed.instrumental,
            lyrics=parsed.lyrics,
            sections=parsed.sections,
            seed=parsed.seed,
            engine=parsed.engine,
            source=Track.Source.API,
        )
    except ValidationError as exc:
        raise _from_validation(exc, _MUSIC_PARAMS) from None


def create_effect(user: User, parsed: ApiEffectRequest) -> Track:
    try:
        return services.effect_create(
            owner=user,
            text=parsed.text,
            seconds=parsed.seconds,
            engine=parsed.engine,
            source=Track.Source.API,
        )
    except ValidationError as exc:
        raise _from_validation(exc, _EFFECT_PARAMS) from None


def _from_validation(exc: ValidationError, params: dict) -> ApiError:
    field, messages = next(iter(exc.message_dict.items()))
    return _invalid(" ".join(messages), params.get(field, field))


async def wait_for(track: Track) -> Track:
    """Poll until the worker has finished the track; a client that goes away cancels it."""
    try:
        while True:
            await track.arefresh_from_db()
            if track.is_finished:
                break
            await asyncio.sleep(POLL_SECONDS)
    except asyncio.CancelledError:
        await sync_to_async(services.track_cancel)(track=track)
        raise
    if track.status == Track.Status.FAILED:
        raise ApiError.from_job(track.error, track.error_kind)
    if track.status != Track.Status.DONE:
        raise ApiError(500, "The track was cancelled.", code="cancelled")
    return track


def audio_bytes(track: Track, output: OutputFormat) -> bytes:
    """The finished track in the asked-for format, from its WAV."""
    with track.audio.storage.open(track.audio.name, "rb") as f, wave.open(f, "rb") as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = (pcm.reshape(-1, channels) / 32768.0).astype(np.float32)
    return encode(samples, rate, output)
