"""The OpenAI Realtime GA protocol for voice conversations (`/v1/realtime?model=gpt-realtime`):
the session the client configures, and the conversation engine's events as OpenAI server events.
Pure functions and a small state object; the consumer only moves frames.

OpenAI's realtime model names map to the configured conversation engine (the offline cascade
unless the admin chose the OpenAI relay); OpenAI's voice names map to library voices as in
`/v1/audio/speech`.
"""

import itertools
import time
import uuid
from dataclasses import dataclass, field

from apps.engines.conversation.base import (
    AudioDelta,
    ConversationError,
    ResponseDone,
    ResponseStarted,
    TranscriptDelta,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurn,
)

from .realtime_protocol import ProtocolError, error_event
from .speech import voice_for

REALTIME_MODELS = (
    "gpt-realtime", "gpt-realtime-2025-08-28", "gpt-realtime-mini", "gpt-realtime-mini-2025-10-06",
    "gpt-4o-realtime-preview", "gpt-4o-realtime-preview-2024-12-17",
    "gpt-4o-realtime-preview-2025-06-03", "gpt-4o-mini-realtime-preview",
    "gpt-4o-mini-realtime-preview-2024-12-17",
)  # fmt: skip
_PCM = {"type": "audio/pcm", "rate": 24000}
_VAD_TYPES = ("server_vad", "semantic_vad")
_SERVER_VAD = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
               "silence_duration_ms": 400, "idle_timeout_ms": None,
               "create_response": True, "interrupt_response": True}  # fmt: skip
_MODALITIES = (["audio"], ["text"])


@dataclass
class RealtimeSession:
    """What the client configured with session.update, and the state of the conversation."""

    model: str
    id: str = field(default_factory=lambda: "sess_" + uuid.uuid4().hex[:20])
    instructions: str = ""
    voice: str = "alloy"
    output_modalities: list[str] = field(default_factory=lambda: ["audio"])
    turn_detection: dict | None = field(default_factory=lambda: dict(_SERVER_VAD))
    started: bool = False  # the engine runs: turn detection and voice are fixed now
    previous_item: str | None = None
    _events: itertools.count = field(default_factory=lambda: itertools.count(1))

    def event_id(self) -> str:
        return f"event_{self.id[5:13]}_{next(self._events):05d}"

    @property
    def voice_id(self) -> str:
        """The library voice the assistant speaks with."""
        return voice_for("tts-1", self.voice)

    @property
    def audio_out(self) -> bool:
        return "audio" in self.output_modalities

    def description(self) -> dict:
        return {
            "type": "realtime",
            "object": "realtime.session",
            "id": self.id,
            "model": self.model,
            "expires_at": int(time.time()) + 7200,
            "output_modalities": self.output_modalities,
            "instructions": self.instructions,
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": None,
            "prompt": None,
            "include": None,
            "audio": {
                "input": {"format": _PCM, "transcription": None, "noise_reduction": None,
                          "turn_detection": self.turn_detection},
                "output": {"format": _PCM, "voice": self.voice, "speed": 1.0},
            },
        }  # fmt: skip


def model_validate(model: str | None) -> str:
    if model not in REALTIME_MODELS:
        raise ProtocolError(
            f"Unknown realtime model {model!r}; use one of {', '.join(REALTIME_MODELS)}.",
            code="invalid_model", param="model",
        )  # fmt: skip
    return model


def session_update(session: RealtimeSession, event: dict) -> None:
    """Apply a session.update; ProtocolError for what the portal cannot do."""
    config = event.get("session")
    if not isinstance(config, dict) or config.get("type", "realtime") != "realtime":
        raise ProtocolError('This endpoint takes session.type "realtime".',
                            code="invalid_value", param="session.type")  # fmt: skip
    changes: dict = {}
    if "instructions" in config:
        if not isinstance(config["instructions"], str):
            raise ProtocolError("instructions must be a string.", code="invalid_value",
                                param="session.instructions")  # fmt: skip
        changes["instructions"] = config["instructions"]
    if "output_modalities" in config:
        if config["output_modalities"] not in _MODALITIES:
            raise ProtocolError(
                'output_modalities is ["audio"] or ["text"].',
                code="invalid_value",
                param="session.output_modalities",
            )
        changes["output_modalities"] = list(config["output_modalities"])
    audio = config.get("audio") or {}
    audio_in, audio_out = audio.get("input") or {}, audio.get("output") or {}
    for where, fmt in (("input", audio_in.get("format")), ("output", audio_out.get("format"))):
        if fmt is not None and (fmt.get("type"), fmt.get("rate", 24000)) != ("audio/pcm", 24000):
            raise ProtocolError("Only audio/pcm at 24000 Hz is supported.", code="invalid_value",
                                param=f"session.audio.{where}.format")  # fmt: skip
    if "turn_detection" in audio_in:
        changes["turn_detection"] = _turn_detection(audio_in["turn_detection"])
    if "voice" in audio_out:
        changes["voice"] = _voice(audio_out["voice"])
    fixed = {"turn_detection", "voice"} & changes.keys()
    if session.started and any(getattr(session, k) != changes[k] for k in fixed):
        raise ProtocolError("Turn detection and voice cannot change once the conversation has "
                            "started.", code="session_started", param="session.audio")  # fmt: skip
    for name, value in changes.items():
        setattr(session, name, value)


def _turn_detection(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in _VAD_TYPES:
        raise ProtocolError("turn_detection takes server_vad, semantic_vad or null.",
                            code="invalid_value",
                            param="session.audio.input.turn_detection")  # fmt: skip
    # semantic_vad is served by the same end-pointing (silence after speech).
    return {**_SERVER_VAD, **value}


def _voice(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise ProtocolError("voice is a name or {\"id\": ...}.", code="invalid_value",
                            param="session.audio.output.voice")  # fmt: skip
    return value


def item_text(event: dict) -> tuple[str, str]:
    """The role and text of a conversation.item.create's message."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        raise ProtocolError("Only message items are supported.", code="invalid_value",
                            param="item.type")  # fmt: skip
    role = item.get("role")
    if role not in ("user", "assistant", "system"):
        raise ProtocolError("role is user, assistant or system.", code="invalid_value",
                            param="item.role")  # fmt: skip
    parts = item.get("content")
    if not isinstance(parts, list):
        raise ProtocolError("content must be a list.", code="invalid_value", param="item.content")
    texts = [
        p.get("text")
        for p in parts
        if isinstance(p, dict) and p.get("type") in ("input_text", "text", "output_text")
    ]
    text = " ".join(t for t in texts if isinstance(t, str)).strip()
    if not text:
        raise ProtocolError("The portal takes text content (input_text) in items.",
                            code="invalid_value", param="item.content")  # fmt: skip
    return role, text


def item_added(session: RealtimeSession, item_id: str, role: str, text: str) -> list[dict]:
    kind = "input_text" if role != "assistant" else "output_text"
    item = _message(item_id, role, [{"type": kind, "text": text}])
    events = [{"type": "conversation.item.added", "previous_item_id": session.previous_item,
               "item": item},
              {"type": "conversation.item.done", "previous_item_id": session.previous_item,
               "item": item}]  # fmt: skip
    session.previous_item = item_id
    return events


def server_events(session: RealtimeSession, event) -> list[dict]:
    """OpenAI server events for one engine event."""
    vad = session.turn_detection is not None
    match event:
        case UserSpeechStarted() if vad:
            return [{"type": "input_audio_buffer.speech_started",
                     "audio_start_ms": int(event.at * 1000), "item_id": event.item_id}]  # fmt: skip
        case UserSpeechStopped():
            return _committed(session, event, vad)
        case UserTurn(spoken=True):
            return [{"type": "conversation.item.input_audio_transcription.completed",
                     "item_id": event.item_id, "content_index": 0, "transcript": event.text,
                     "usage": {"type": "duration",
                               "seconds": round(len(event.audio) / 48000, 3)}}]  # fmt: skip
        case ResponseStarted():
            return _response_created(session, event)
        case AudioDelta() if session.audio_out:
            return [{"type": "response.output_audio.delta", **_where(event),
                     "delta": _b64(event.pcm)}]  # fmt: skip
        case TranscriptDelta():
            kind = ("response.output_audio_transcript.delta" if session.audio_out
                    else "response.output_text.delta")  # fmt: skip
            return [{"type": kind, **_where(event), "delta": event.text}]
        case ResponseDone():
            return _response_done(session, event)
        case ConversationError():
            return [error_event(event.message, code=event.kind, kind="server_error")]
    return []


def _committed(session, event: UserSpeechStopped, vad: bool) -> list[dict]:
    events = []
    if vad:
        events.append({"type": "input_audio_buffer.speech_stopped",
                       "audio_end_ms": int(event.at * 1000), "item_id": event.item_id})  # fmt: skip
    previous = session.previous_item
    events.append({"type": "input_audio_buffer.committed", "previous_item_id": previous,
                   "item_id": event.item_id})  # fmt: skip
    item = _message(event.item_id, "user", [{"type": "input_audio", "transcript": None}])
    events.append({"type": "conversation.item.added", "previous_item_id": session.previous_item,
                   "item": item})  # fmt: skip
    session.previous_item = event.item_id
    return events


def _response_created(session, event: ResponseStarted) -> list[dict]:
    response = _response(session, event.response_id, "in_progress", [])
    item = _message(event.item_id, "assistant", [], status="in_progress")
    part = _part(session, "")
    return [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "response_id": event.response_id,
         "output_index": 0, "item": item},
        {"type": "conversation.item.added", "previous_item_id": session.previous_item,
         "item": item},
        {"type": "response.content_part.added", "response_id": event.response_id,
         "item_id": event.item_id, "output_index": 0, "content_index": 0, "part": part},
    ]  # fmt: skip


def _response_done(session, event: ResponseDone) -> list[dict]:
    status = "completed" if event.status == "completed" else event.status
    where = {"response_id": event.response_id, "item_id": event.item_id, "output_index": 0,
             "content_index": 0}  # fmt: skip
    part = _part(session, event.text)
    item = _message(event.item_id, "assistant", [part],
                    status="completed" if status == "completed" else "incomplete")  # fmt: skip
    events = []
    if session.audio_out:
        events += [{"type": "response.output_audio.done", **where},
                   {"type": "response.output_audio_transcript.done", **where,
                    "transcript": event.text}]  # fmt: skip
    else:
        events.append({"type": "response.output_text.done", **where, "text": event.text})
    events += [
        {"type": "response.content_part.done", **where, "part": part},
        {"type": "response.output_item.done", "response_id": event.response_id,
         "output_index": 0, "item": item},
        {"type": "conversation.item.done", "previous_item_id": session.previous_item,
         "item": item},
        {"type": "response.done",
         "response": _response(session, event.response_id, status, [item])},
    ]  # fmt: skip
    session.previous_item = event.item_id
    return events


def _response(session, response_id: str, status: str, output: list) -> dict:
    details = {"type": "cancelled", "reason": "turn_detected"} if status == "cancelled" else None
    return {"object": "realtime.response", "id": response_id, "status": status,
            "status_details": details, "output": output, "conversation_id": session.id,
            "output_modalities": session.output_modalities, "max_output_tokens": "inf",
            "audio": {"output": {"format": _PCM, "voice": session.voice}},
            "usage": None, "metadata": None}  # fmt: skip


def _message(item_id: str, role: str, content: list, *, status: str = "completed") -> dict:
    return {"id": item_id, "type": "message", "object": "realtime.item", "status": status,
            "role": role, "content": content}  # fmt: skip


def _part(session, text: str) -> dict:
    if session.audio_out:
        return {"type": "output_audio", "transcript": text}
    return {"type": "output_text", "text": text}


def _where(event) -> dict:
    return {"response_id": event.response_id, "item_id": event.item_id, "output_index": 0,
            "content_index": 0}  # fmt: skip


def _b64(pcm: bytes) -> str:
    import base64

    return base64.b64encode(pcm).decode()
