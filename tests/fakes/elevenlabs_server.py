"""A loopback HTTP server that speaks ElevenLabs' REST wire format, so backends are tested through
the real `elevenlabs` SDK (see WIRE_FORMATS.md §4).

It answers POST /v1/text-to-speech/{voice_id} and .../stream (real audio, encoded with PyAV in
the requested `output_format`, its length set by the text), GET /v2/voices (search, paged),
GET and DELETE /v1/voices/{voice_id}, POST /v1/voices/add (instant cloning, multipart `files`)
and GET /v1/models (a bare array); checks `xi-api-key`; records every request; and can be
scripted to fail or hang:

    with FakeElevenLabsServer() as server:
        client = ElevenLabs(api_key=server.api_key, base_url=server.url)
        server.script(status=429)            # the next request is refused
        server.chunk_delay = 0.1             # /stream sends its audio in paced pieces
        server.requires_verification = True  # new clones must be verified
        ...
        [clone] = server.requests_to("/v1/voices/add")
        assert [name for name, _ in clone.uploads] == ["files", "files"]
"""

import io
import itertools
import json
import re
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np

from . import server as base
from .server import FakeHTTPServer, RecordedRequest, Reply, UploadedFile

RACHEL = "21m00Tcm4TlvDq8ikWAM"
ADAM = "pNInz6obpgDQGcFmaJgB"
CHARLOTTE = "XB0fDUnXU5powFXDhCwa"

# Roughly how long ElevenLabs' voices take to say a character, at speed 1.0.
SECONDS_PER_CHAR = 0.06
TONE_HZ = 220.0

_ERROR_CODES = {
    400: ("invalid_request", "Invalid request."),
    401: ("invalid_api_key", "Invalid API key."),
    403: ("missing_permissions", "The API key is not allowed to do this."),
    404: ("not_found", "Not found."),
    429: ("too_many_concurrent_requests", "Too many concurrent requests for your plan."),
    500: ("internal_server_error", "An internal error occurred."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
}

_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "pcm": "audio/pcm",
    "wav": "audio/wav",
    "ulaw": "audio/basic",
    "alaw": "audio/basic",
}

# The output formats the API lists, and what each one is.
_FORMAT = re.compile(r"^(mp3|opus|pcm|wav|ulaw|alaw)_(\d+)(?:_(\d+))?$")
OUTPUT_FORMATS = {
    *(f"mp3_{rate}_{kbps}" for rate, kbps in [(22050, 32), (24000, 48)]),
    *(f"mp3_44100_{kbps}" for kbps in (32, 64, 96, 128, 192)),
    *(f"opus_48000_{kbps}" for kbps in (32, 64, 96, 128, 192)),
    *(f"{kind}_{rate}" for kind in ("pcm", "wav") for rate in (8000, 16000, 22050, 24000)),
    *(f"{kind}_{rate}" for kind in ("pcm", "wav") for rate in (32000, 44100, 48000)),
    "ulaw_8000",
    "alaw_8000",
}


def voice(voice_id: str, name: str, category: str = "premade", **fields) -> dict:
    """A voice as GET /v2/voices returns it."""
    return {
        "voice_id": voice_id,
        "name": name,
        "category": category,
        "labels": fields.pop("labels", {}),
        "description": fields.pop("description", None),
        "preview_url": f"https://storage.example/{voice_id}/preview.mp3",
        "settings": None,
        "samples": None,
        "fine_tuning": None,
        "available_for_tiers": [],
        "high_quality_base_model_ids": ["eleven_multilingual_v2"],
        **fields,
    }


DEFAULT_VOICES = [
    voice(
        RACHEL,
        "Rachel",
        labels={"accent": "american", "gender": "female", "use_case": "narration"},
        description="Calm young American woman.",
    ),
    voice(ADAM, "Adam", labels={"accent": "american", "gender": "male", "use_case": "narration"}),
    voice(
        CHARLOTTE,
        "Charlotte",
        labels={"accent": "swedish", "gender": "female"},
        verified_languages=[
            {"language": "en", "model_id": "eleven_multilingual_v2", "locale": "en-US"},
            {"language": "sv", "model_id": "eleven_multilingual_v2", "locale": None},
        ],
    ),
]

DEFAULT_MODELS = [
    {
        "model_id": "eleven_multilingual_v2",
        "name": "Eleven Multilingual v2",
        "can_do_text_to_speech": True,
        "can_do_voice_conversion": True,
        "languages": [{"language_id": "en", "name": "English"}],
    },
    {
        "model_id": "eleven_flash_v2_5",
        "name": "Eleven Flash v2.5",
        "can_do_text_to_speech": True,
        "languages": [{"language_id": "en", "name": "English"}],
    },
    {"model_id": "eleven_v3", "name": "Eleven v3", "can_do_text_to_speech": True},
]

# (assumed) Only these models take `language_code`; the others refuse it.
_LANGUAGE_CODE_MODELS = {"eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"}


@dataclass
class ElevenLabsRequest(RecordedRequest):
    """A recorded request with its query string, and every file part in order (the generic
    `files` keeps one per name, while clone samples all share the name `files`)."""

    query: dict[str, list[str]] = field(default_factory=dict)
    uploads: list[tuple[str, UploadedFile]] = field(default_factory=list)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class FakeElevenLabsServer(FakeHTTPServer):
    """The fake API. Change `voices` and `models` to change what it lists; `requests` holds
    what the SDK sent."""

    def __init__(self, *, api_key: str = "xi-test-key"):
        super().__init__(api_key=api_key)
        self._httpd.RequestHandlerClass = _Handler
        self.voices = json.loads(json.dumps(DEFAULT_VOICES))
        self.models = json.loads(json.dumps(DEFAULT_MODELS))
        self.requires_verification = False
        self.quota_exceeded = False  # text-to-speech answers ElevenLabs' 401 quota_exceeded
        self.chunk_delay = 0.0  # seconds between the pieces of a /stream reply
        self.stream_pieces = 8
        self._clone_ids = itertools.count(1)

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("xi-api-key") == self.api_key

    def route(self, request: RecordedRequest) -> Reply:
        for (method, pattern), endpoint in _ROUTES.items():
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                return endpoint(self, request, *match.groups())
        return self.error(404, f"No route for {request.method} {request.path}.")

    def error(
        self, status: int, message: str = "", headers: dict | None = None, *, code: str = ""
    ) -> Reply:
        """ElevenLabs' error body: FastAPI's list for a 422, else {"detail": {"status": code,
        "message": message}}, `code` being ElevenLabs' name for the failure."""
        if status == 422:
            detail = [
                {"loc": ["body"], "msg": message or "Invalid request.", "type": "value_error"}
            ]
            return Reply.json({"detail": detail}, status, headers)
        default_code, default_message = _ERROR_CODES.get(status, ("error", "Error."))
        detail = {"status": code or default_code, "message": message or default_message}
        return Reply.json({"detail": detail}, status, headers)

    def voice(self, voice_id: str) -> dict | None:
        return next((v for v in self.voices if v["voice_id"] == voice_id), None)


# --- Endpoints -----------------------------------------------------------------------------


def _text_to_speech(
    server: FakeElevenLabsServer, request: ElevenLabsRequest, voice_id: str, stream: str | None
) -> Reply:
    body = request.json or {}
    output_format = request.param("output_format", "mp3_44100_128")
    model_id = body.get("model_id") or "eleven_multilingual_v2"
    problem = _speech_problem(server, voice_id, body, model_id, output_format)
    if problem:
        return problem
    speed = float((body.get("voice_settings") or {}).get("speed") or 1.0)
    seconds = min(30.0, max(0.3, len(body["text"]) * SECONDS_PER_CHAR / speed))
    audio = encode_tone(output_format, seconds)
    content_type = _CONTENT_TYPES[output_format.split("_")[0]]
    if stream and server.chunk_delay:
        return Reply(chunks=_paced(audio, server), content_type=content_type)
    return Reply(body=audio, content_type=content_type)


def _speech_problem(server, voice_id, body, model_id, output_format) -> Reply | None:
    if server.quota_exceeded:
        return server.error(
            401,
            "This request exceeds your quota of 10000. You have 12 credits remaining.",
            code="quota_exceeded",
        )
    if not isinstance(body.get("text"), str) or not body["text"].strip():
        return server.error(422, "Field required: text.")
    if output_format not in OUTPUT_FORMATS:
        return server.error(422, f"Invalid output_format {output_format!r}.")
    if server.voice(voice_id) is None:
        return server.error(
            404, f"A voice with voice_id {voice_id} was not found.", code="voice_not_found"
        )
    if not any(m["model_id"] == model_id for m in server.models):
        return server.error(400, f"Model {model_id!r} does not exist.", code="model_not_found")
    if body.get("language_code") and model_id not in _LANGUAGE_CODE_MODELS:
        return server.error(
            400,
            f"Model {model_id!r} does not support language_code.",
            code="unsupported_language",
        )
    return None


def _paced(audio: bytes, server: FakeElevenLabsServer) -> Iterator[bytes]:
    """The audio in `stream_pieces` pieces with `chunk_delay` before each, as a model that is
    still speaking sends it."""
    size = -(-len(audio) // server.stream_pieces)
    for start in range(0, len(audio), size):
        time.sleep(server.chunk_delay)
        yield audio[start : start + size]


def _search_voices(server: FakeElevenLabsServer, request: ElevenLabsRequest) -> Reply:
    wanted = (request.param("search") or "").casefold()
    voices = [v for v in server.voices if wanted in v["name"].casefold()]
    size = int(request.param("page_size", "10"))
    start = int(request.param("next_page_token") or 0)
    page = voices[start : start + size]
    has_more = start + size < len(voices)
    return Reply.json(
        {
            "voices": page,
            "has_more": has_more,
            "total_count": len(voices),
            "next_page_token": str(start + size) if has_more else None,
        }
    )


def _get_voice(server: FakeElevenLabsServer, request: ElevenLabsRequest, voice_id: str) -> Reply:
    found = server.voice(voice_id)
    if found is None:
        return server.error(404, f"A voice with voice_id {voice_id} was not found.")
    return Reply.json(found)


def _delete_voice(server: FakeElevenLabsServer, request: ElevenLabsRequest, voice_id: str) -> Reply:
    found = server.voice(voice_id)
    if found is None:
        return server.error(
            404, f"A voice with voice_id {voice_id} was not found.", code="voice_not_found"
        )
    server.voices.remove(found)
    return Reply.json({"status": "ok"})


def _add_voice(server: FakeElevenLabsServer, request: ElevenLabsRequest) -> Reply:
    name = request.value("name")
    samples = [upload for part, upload in request.uploads if part == "files"]
    if not name:
        return server.error(422, "Field required: name.")
    if not samples or not all(s.size for s in samples):
        return server.error(400, "Upload at least one non-empty sample.", code="invalid_files")
    labels = json.loads(request.value("labels", "null"))  # omitted labels arrive as "null"
    voice_id = f"cl0nedVoice{next(server._clone_ids):09d}"
    server.voices.append(
        voice(
            voice_id,
            name,
            "cloned",
            labels=labels or {},
            description=request.value("description"),
        )
    )
    return Reply.json({"voice_id": voice_id, "requires_verification": server.requires_verification})


def _models(server: FakeElevenLabsServer, request: ElevenLabsRequest) -> Reply:
    return Reply(body=json.dumps(server.models).encode())


_ROUTES = {
    ("POST", r"/v1/text-to-speech/([^/]+)(/stream)?"): _text_to_speech,
    ("GET", r"/v2/voices"): _search_voices,
    ("GET", r"/v1/voices/([^/]+)"): _get_voice,
    ("DELETE", r"/v1/voices/([^/]+)"): _delete_voice,
    ("POST", r"/v1/voices/add"): _add_voice,
    ("GET", r"/v1/models"): _models,
}


# --- Audio ---------------------------------------------------------------------------------


def encode_tone(output_format: str, seconds: float) -> bytes:
    """A quiet tone of `seconds`, mono, in one of ElevenLabs' output formats."""
    kind, rate, kbps = _FORMAT.fullmatch(output_format).groups()
    rate = int(rate)
    t = np.arange(int(seconds * rate)) / rate
    samples = np.round(0.3 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype("<i2")
    if kind == "pcm":
        return samples.tobytes()
    if kind == "wav":
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(samples.tobytes())
        return out.getvalue()
    muxer, codec = {
        "mp3": ("mp3", "libmp3lame"),
        "opus": ("ogg", "libopus"),
        "ulaw": ("mulaw", "pcm_mulaw"),
        "alaw": ("alaw", "pcm_alaw"),
    }[kind]
    return _encode(samples, rate, muxer, codec, int(kbps or 0) * 1000)


def _encode(samples: np.ndarray, rate: int, muxer: str, codec: str, bit_rate: int) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=muxer) as media:
        stream = media.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            media.mux(packet)
    return out.getvalue()


# --- Wire ----------------------------------------------------------------------------------


class _Handler(base._Handler):
    """The generic handler, keeping what ElevenLabs' requests need beyond it: the query string
    (output_format) and repeated file parts (clone samples)."""

    def _handle(self) -> None:
        fake = self.server.fake
        body = base._read_body(self)
        recorded = base._parse(self.command, self.path, self.headers, body)
        request = ElevenLabsRequest(
            **vars(recorded),
            query=parse_qs(urlsplit(self.path).query),
            uploads=_file_parts(recorded.headers.get("content-type", ""), body),
        )
        reply = fake.answer(request)
        try:
            self._send(reply, request_id=f"req_fake_{len(fake.requests)}")
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a scripted hang), as real clients do


def _file_parts(content_type: str, body: bytes) -> list[tuple[str, UploadedFile]]:
    if not content_type.startswith("multipart/form-data"):
        return []
    boundary = base._header_param(content_type, "boundary").encode()
    parts = []
    for part in body.split(b"--" + boundary)[1:-1]:
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        lines = (line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        headers = {name.lower(): value for name, value in lines}
        disposition = headers.get("content-disposition", "")
        filename = base._header_param(disposition, "filename")
        if filename is not None:
            name = base._header_param(disposition, "name")
            data = data.removesuffix(b"\r\n")
            upload = UploadedFile(filename, headers.get("content-type", ""), data)
            parts.append((name, upload))
    return parts
