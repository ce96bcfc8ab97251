"""A fake of OpenAI's realtime transcription socket (`/v1/realtime?intent=transcription`, GA
protocol, WIRE_FORMATS.md §2.4), enough for the official SDK and the portal's relay."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

from .ws_server import FakeWebSocketServer


class FakeOpenAIRealtimeServer(FakeWebSocketServer):
    def __init__(self, *, api_key: str = "sk-test-123"):
        super().__init__(api_key=api_key)
        self.client_events: list[dict] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def authorized(self, headers: dict) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def session(self, ws, path, headers) -> None:
        url = urlsplit(path)
        if url.path != "/v1/realtime" or parse_qs(url.query).get("intent") != ["transcription"]:
            ws.close(4000, "transcription sessions only")
            return
        _Session(self, ws).run()


class _Session:
    def __init__(self, server: FakeOpenAIRealtimeServer, ws):
        self.server, self.ws = server, ws
        self.events = 0
        self.items = 0
        self.buffered = 0  # bytes since the last commit
        self.received = 0
        self.vad = True

    def send(self, event: dict) -> None:
        self.events += 1
        self.ws.send(json.dumps({"event_id": f"event_{self.events}", **event}))

    def run(self) -> None:
        session = {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": "sess_fake",
            "expires_at": 0,
            "audio": {"input": {}},
            "include": None,
        }
        self.send({"type": "session.created", "session": session})  # fmt: skip
        for message in self.ws:
            event = json.loads(message)
            self.server.client_events.append(event)
            kind = event["type"]
            if kind == "session.update":
                audio_in = event["session"]["audio"]["input"]
                self.vad = audio_in.get("turn_detection") is not None
                self.send({"type": "session.updated", "session": session})
            elif kind == "input_audio_buffer.append":
                self.append(len(base64.b64decode(event["audio"])))
            elif kind == "input_audio_buffer.commit":
                self.commit()

    def append(self, size: int) -> None:
        self.received += size
        self.server.received_bytes += size
        self.buffered += size
        if self.vad and self.buffered >= 48000 * self.server.utterance_seconds:
            self.commit()

    def commit(self) -> None:
        if not self.buffered:
            self.send({"type": "error", "error": {"type": "invalid_request_error",
                       "code": "input_audio_buffer_commit_empty", "message": "buffer empty",
                       "param": None, "event_id": None}})  # fmt: skip
            return
        item = f"item_{self.items:03d}"
        start_ms = int((self.received - self.buffered) / 48)
        end_ms = int(self.received / 48)
        self.items += 1
        self.buffered = 0
        if self.vad:
            self.send({"type": "input_audio_buffer.speech_started", "audio_start_ms": start_ms,
                       "item_id": item})  # fmt: skip
            self.send({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms,
                       "item_id": item})  # fmt: skip
        self.send({"type": "input_audio_buffer.committed", "previous_item_id": None,
                   "item_id": item})  # fmt: skip
        text = f"Utterance number {self.items}."
        for delta in ("Utterance", f" number {self.items}."):
            self.send({"type": "conversation.item.input_audio_transcription.delta",
                       "item_id": item, "content_index": 0, "delta": delta})  # fmt: skip
        usage = {"type": "duration", "seconds": (end_ms - start_ms) / 1000}
        self.send({"type": "conversation.item.input_audio_transcription.completed",
                   "item_id": item, "content_index": 0, "transcript": text,
                   "usage": usage})  # fmt: skip
