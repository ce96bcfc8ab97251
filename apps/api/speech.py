"""Reading an OpenAI speech request, with OpenAI's model and voice names mapped to local voices.

The table is documented in docs/api.md. A voice that is not one of OpenAI's names is taken as a
voice id of the portal's voice library ("piper:joe", "kokoro:jf_alpha+jm_kumo", a custom
"voice_<hex>", also as {"id": ...}); such an id names its engine, whatever the model.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from apps.engines.tts import tts_backends
from apps.engines.tts.base import InvalidVoiceSettings, VoiceSettings
from apps.speech import services
from apps.speech.models import Generation
from apps.voices.selectors import stock_id

from .errors import ApiError
from .models import ApiKey
from .services import api_key_add_usage

# OpenAI's speech models: tts-1-hd asks for the better (slower) engine, the others for the fast
# one. All are deprecated by OpenAI, but clients still send them.
FAST, HD = "fast", "hd"
SPEECH_MODELS = {
    "tts-1": FAST,
    "gpt-4o-mini-tts": FAST,
    "gpt-4o-mini-tts-2025-03-20": FAST,
    "gpt-4o-mini-tts-2025-12-15": FAST,
    "tts-1-hd": HD,
}

# OpenAI voice: (gender as usually heard, voice for the fast models, voice for tts-1-hd).
# Piper bundles one (male) voice, so female voices are Kokoro's whatever the model.
OPENAI_VOICES = {
    "alloy": ("neutral", "piper:joe", "kokoro:jf_alpha"),
    "ash": ("male", "piper:joe", "kokoro:jm_kumo"),
    "ballad": ("male", "piper:joe", "kokoro:jm_kumo"),
    "cedar": ("male", "piper:joe", "kokoro:jm_kumo"),
    "coral": ("female", "kokoro:jf_alpha", "kokoro:jf_alpha"),
    "echo": ("male", "piper:joe", "kokoro:jm_kumo"),
    "fable": ("neutral", "piper:joe", "kokoro:jf_gongitsune"),
    "marin": ("female", "kokoro:jf_alpha", "kokoro:jf_alpha"),
    "nova": ("female", "kokoro:jf_nezumi", "kokoro:jf_nezumi"),
    "onyx": ("male", "piper:joe", "kokoro:jm_kumo"),
    "sage": ("female", "kokoro:jf_gongitsune", "kokoro:jf_gongitsune"),
    "shimmer": ("female", "kokoro:jf_tebukuro", "kokoro:jf_tebukuro"),
    "verse": ("male", "piper:joe", "kokoro:jm_kumo"),
}
STREAM_FORMATS = ("audio", "sse")


@dataclass(frozen=True)
class ApiSpeechRequest:
    model: str
    text: str
    voice_id: str  # a voice library id; empty: the default voice
    response_format: str
    speed: float
    instructions: str
    stream_format: str
    language: str = ""  # not OpenAI's; sent through extra_body for multilingual voices
    # Not OpenAI's: ElevenLabs' voice_settings, sent through extra_body.
    voice_settings: VoiceSettings = VoiceSettings()


def parse_request(body: bytes) -> ApiSpeechRequest:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The body must be JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    model = _string(data, "model")
    if not model:
        raise ApiError(400, "You must provide a model parameter.", param="model")
    if model not in SPEECH_MODELS and model not in tts_backends:
        raise ApiError(
            400,
            f"Unknown model {model!r}; use one of {', '.join(model_names())}.",
            param="model",
            code="model_not_found",
        )
    stream_format = _string(data, "stream_format") or "audio"
    if stream_format not in STREAM_FORMATS:
        raise ApiError(400, "stream_format must be 'audio' or 'sse'.", param="stream_format")
    return ApiSpeechRequest(
        model=model,
        text=_string(data, "input"),
        voice_id=voice_for(model, _voice(data)),
        response_format=_string(data, "response_format") or "mp3",
        speed=_speed(data),
        instructions=_string(data, "instructions"),
        stream_format=stream_format,
        language=_string(data, "language"),
        voice_settings=_voice_settings(data),
    )


def _string(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string.", param=name)
    return value


def _voice(data: dict) -> str:
    voice = data.get("voice")
    if isinstance(voice, dict):  # a custom voice as the SDK sends it: {"id": "voice_..."}
        voice = voice.get("id")
    if not isinstance(voice, str) or not voice.strip():
        raise ApiError(400, 'You must provide a voice: a name or {"id": ...}.', param="voice")
    return voice.strip()


def _voice_settings(data: dict) -> VoiceSettings:
    try:
        return VoiceSettings.parse(data.get("voice_settings"))
    except InvalidVoiceSettings as exc:
        raise ApiError(400, exc.message, param=exc.param) from None


def _speed(data: dict) -> float:
    """`speed`, or ElevenLabs' voice_settings.speed where only that is given."""
    settings = data.get("voice_settings")
    default = settings.get("speed", 1.0) if isinstance(settings, dict) else 1.0
    speed = data.get("speed", default)
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ApiError(400, "speed must be a number.", param="speed")
    return float(speed)


def voice_for(model: str, voice: str) -> str:
    """The voice library id for OpenAI's `voice` name under `model` (other names as they are)."""
    if voice not in OPENAI_VOICES:
        return voice
    gender, fast, hd = OPENAI_VOICES[voice]
    if model in tts_backends:  # a local engine named as the model: its voice of that gender
        return _engine_voice(model, gender)
    wanted = hd if SPEECH_MODELS[model] == HD else fast
    engine = wanted.partition(":")[0]
    # Where that engine is not configured, the default one speaks.
    return wanted if engine in tts_backends else _engine_voice(tts_backends.default_alias, gender)


def _engine_voice(alias: str, gender: str) -> str:
    backend = tts_backends[alias]
    voices = backend.voices()
    voice = next((v for v in voices if v.gender == gender), None)
    return stock_id(alias, voice.id if voice else backend.default_voice)


def model_names() -> list[str]:
    return [*SPEECH_MODELS, *tts_backends.aliases()]


# The request's fields as ValidationError keys of generation_create.
_PARAMS = {"text": "input", "format": "response_format"}


def create_generation(key: ApiKey, parsed: ApiSpeechRequest) -> Generation:
    try:
        generation = services.generation_create(
            owner=key.owner,
            text=parsed.text,
            voice_id=parsed.voice_id,
            language=parsed.language,
            speed=parsed.speed,
            audio_format=parsed.response_format,
            instructions=parsed.instructions,
            model=parsed.model,
            source=Generation.Source.API,
            voice_settings=parsed.voice_settings,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApiError(400, " ".join(messages), param=_PARAMS.get(field, field)) from None
    api_key_add_usage(key=key, characters=len(generation.text))
    return generation


def usage(generation: Generation) -> dict:
    """Token counts in OpenAI's shape, estimated: ~4 characters a text token, and audio tokens
    at OpenAI's rate for its speech output (about 20 a second)."""
    input_tokens = max(1, round(len(generation.text) / 4))
    output_tokens = round(generation.duration * 20)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
