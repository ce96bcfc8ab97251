"""The OpenAI Realtime GA protocol for transcription sessions (`/v1/realtime?intent=transcription`):
the session the client configures, and the portal's live events as OpenAI server events.
Pure functions and a small state object; the consumer only moves frames."""

import base64
import binascii
import itertools
import time
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from apps.engines.stt.streaming.base import (
    Final,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamError,
)

from .transcription_models import transcription_model_resolve

DEFAULT_MODEL = "whisper-1"
_SERVER_VAD = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
               "silence_duration_ms": 400, "idle_timeout_ms": None,
               "create_response": False, "interrupt_response": False}  # fmt: skip
# OpenAI's cap on one append event's audio.
MAX_APPEND_BYTES = 15 * 1024 * 1024


class ProtocolError(Exception):
    """A client event the portal refuses; becomes an `error` event and the session goes on."""

    def __init__(self, message: str, *, code: str, param: str | None = None,
                 event_id: str | None = None):  # fmt: skip
        super().__init__(message)
        self.message, self.code, self.param, self.event_id = message, code, param, event_id


@dataclass
class TranscriptionSession:
    """What the client configured with session.update, and the ids handed out so far."""

    id: str = field(default_factory=lambda: "sess_" + uuid.uuid4().hex[:20])
    model: str = DEFAULT_MODEL
    language: str = ""
    prompt: str = ""
    turn_detection: dict | None = field(default_factory=lambda: dict(_SERVER_VAD))
    started: bool = False  # audio arrived: the configuration is fixed now
    _events: itertools.count = field(default_factory=lambda: itertools.count(1))
    emitted: dict[int, str] = field(default_factory=dict)  # utterance → text sent as deltas
    previous_item: str | None = None

    def event_id(self) -> str:
        return f"event_{self.id[5:13]}_{next(self._events):05d}"

    def item_id(self, utterance: int) -> str:
        return f"item_{self.id[5:13]}_{utterance:04d}"

    def description(self) -> dict:
        transcription = {"model": self.model, "language": self.language or None,
                         "prompt": self.prompt}  # fmt: skip
        return {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": self.id,
            "expires_at": int(time.time()) + 7200,
            "audio": {"input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": transcription,
                "noise_reduction": None,
                "turn_detection": self.turn_detection,
            }},
            "include": None,
        }  # fmt: skip


def session_update(session: TranscriptionSession, event: dict) -> None:
    """Apply a session.update; ProtocolError for what the portal cannot do."""
    config = event.get("session")
    if not isinstance(config, dict) or config.get("type", "transcription") != "transcription":
        raise ProtocolError('This endpoint takes session.type "transcription".',
                            code="invalid_value", param="session.type")  # fmt: skip
    audio_in = (config.get("audio") or {}).get("input") or {}
    if not isinstance(audio_in, dict):
        raise ProtocolError("session.audio.input must be an object.", code="invalid_value",
                            param="session.audio.input")  # fmt: skip
    fmt = audio_in.get("format")
    if fmt is not None and (fmt.get("type"), fmt.get("rate", 24000)) != ("audio/pcm", 24000):
        raise ProtocolError("Only audio/pcm at 24000 Hz is supported.", code="invalid_value",
                            param="session.audio.input.format")  # fmt: skip
    changes = _transcription_changes(audio_in.get("transcription"))
    if "turn_detection" in audio_in:
        changes["turn_detection"] = _turn_detection(audio_in["turn_detection"])
    if session.started and changes:
        raise ProtocolError("The transcription settings cannot change once audio has arrived.",
                            code="session_started", param="session.audio.input")  # fmt: skip
    for name, value in changes.items():
        setattr(session, name, value)


def _transcription_changes(transcription) -> dict:
    if transcription is None:
        return {}
    model = transcription.get("model") or DEFAULT_MODEL
    try:
        transcription_model_resolve(model, endpoint="realtime")
    except ValidationError as exc:
        message = exc.message_dict["model"][0]
        raise ProtocolError(message, code="invalid_model",
                            param="session.audio.input.transcription.model") from exc  # fmt: skip
    return {"model": model, "language": transcription.get("language") or "",
            "prompt": transcription.get("prompt") or ""}  # fmt: skip


def _turn_detection(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") != "server_vad":
        raise ProtocolError("turn_detection takes server_vad or null.", code="invalid_value",
                            param="session.audio.input.turn_detection")  # fmt: skip
    return {**_SERVER_VAD, **value}


def decode_audio(event: dict) -> bytes:
    audio = event.get("audio")
    if not isinstance(audio, str):
        raise ProtocolError("audio must be a base64 string.", code="invalid_value", param="audio")
    if len(audio) > MAX_APPEND_BYTES * 4 // 3 + 4:
        raise ProtocolError("One append carries at most 15 MiB of audio.", code="invalid_value",
                            param="audio")  # fmt: skip
    try:
        pcm = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("audio is not valid base64.", code="invalid_value",
                            param="audio") from exc  # fmt: skip
    if len(pcm) % 2:
        raise ProtocolError("audio/pcm is 16-bit: an even number of bytes.",
                            code="invalid_value", param="audio")  # fmt: skip
    return pcm


def server_events(session: TranscriptionSession, event) -> list[dict]:
    """OpenAI server events for one live event (none for what OpenAI has no event for)."""
    vad = session.turn_detection is not None
    match event:
        case SpeechStarted() if vad:
            return [{"type": "input_audio_buffer.speech_started",
                     "audio_start_ms": int(event.at * 1000),
                     "item_id": session.item_id(event.utterance)}]  # fmt: skip
        case SpeechStopped():
            return _committed(session, event, vad)
        case Partial():
            return _delta(session, event.utterance, event.stable)
        case Final():
            return _completed(session, event)
        case StreamError():
            return [error_event(event.message, code=event.kind, kind="server_error")]
    return []


def _committed(session, event: SpeechStopped, vad: bool) -> list[dict]:
    item = session.item_id(event.utterance)
    events = []
    if vad:
        events.append({"type": "input_audio_buffer.speech_stopped",
                       "audio_end_ms": int(event.at * 1000), "item_id": item})  # fmt: skip
    events.append({"type": "input_audio_buffer.committed",
                   "previous_item_id": session.previous_item, "item_id": item})  # fmt: skip
    events.append({"type": "conversation.item.added", "previous_item_id": session.previous_item,
                   "item": {"id": item, "type": "message", "object": "realtime.item",
                            "status": "completed", "role": "user",
                            "content": [{"type": "input_audio", "transcript": None}]}})  # fmt: skip
    session.previous_item = item
    return events


def _delta(session, utterance: int, text: str) -> list[dict]:
    """Deltas only ever add: they carry what became stable since the last one."""
    sent = session.emitted.get(utterance, "")
    if not text.startswith(sent) or len(text) == len(sent):
        return []
    delta = text[len(sent) :]
    session.emitted[utterance] = text
    item = session.item_id(utterance)
    return [{"type": "conversation.item.input_audio_transcription.delta",
             "item_id": item, "content_index": 0, "delta": delta}]  # fmt: skip


def _completed(session, event: Final) -> list[dict]:
    text = event.segment.text.strip()
    events = _delta(session, event.utterance, text)
    session.emitted.pop(event.utterance, None)
    seconds = round(event.segment.end - event.segment.start, 3)
    usage = {"type": "duration", "seconds": seconds}
    events.append({"type": "conversation.item.input_audio_transcription.completed",
                   "item_id": session.item_id(event.utterance), "content_index": 0,
                   "transcript": text, "usage": usage})  # fmt: skip
    return events


def error_event(message: str, *, code: str, kind: str = "invalid_request_error",
                param: str | None = None, event_id: str | None = None) -> dict:  # fmt: skip
    return {"type": "error", "error": {"type": kind, "code": code, "message": message,
                                       "param": param, "event_id": event_id}}  # fmt: skip
