"""A fake of OpenAI's Realtime conversation socket (`/v1/realtime?model=gpt-realtime`, GA
protocol), enough for the official SDK and the portal's relay engine. It "hears" one user turn
per `utterance_seconds` of audio ("Utterance number N."), and answers every response with
`reply_deltas` pieces of transcript and audio, looking for a response.cancel between pieces."""

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

from .ws_server import FakeWebSocketServer

REPLY = ("Hello", " there.", " How", " can", " I", " help", " you", " today?")


class FakeOpenAIRealtimeConversationServer(FakeWebSocketServer):
    reply_deltas = REPLY
    delta_bytes = 4800  # 100 ms of PCM16 24 kHz per piece

    def __init__(self, *, api_key: str = "sk-test-123"):
        super().__init__(api_key=api_key)
        self.client_events: list[dict] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def authorized(self, headers: dict) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def received(self, kind: str, timeout: float = 5.0) -> bool:
        """Whether a client event of this type arrived, waiting for it a while: the client's
        last sends may still be on their way when the client has closed its side."""
        deadline = time.monotonic() + timeout
        while not any(e["type"] == kind for e in self.client_events):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def session(self, ws, path, headers) -> None:
        url = urlsplit(path)
        if url.path != "/v1/realtime" or not parse_qs(url.query).get("model"):
            ws.close(4000, "conversation sessions only")
            return
        _Session(self, ws).run()


class _Session:
    def __init__(self, server: FakeOpenAIRealtimeConversationServer, ws):
        self.server, self.ws = server, ws
        self.count = 0
        self.buffered = self.received = 0
        self.vad: dict | None = {"type": "server_vad", "create_response": True}
        self.backlog: list[dict] = []

    def send(self, event: dict) -> None:
        self.count += 1
        self.ws.send(json.dumps({"event_id": f"event_{self.count}", **event}))

    def run(self) -> None:
        session = {"type": "realtime", "object": "realtime.session", "id": "sess_fake",
                   "model": "gpt-realtime", "output_modalities": ["audio"]}  # fmt: skip
        self.send({"type": "session.created", "session": session})
        while True:
            if self.backlog:
                event = self.backlog.pop(0)
            else:
                try:
                    event = json.loads(self.ws.recv())
                except Exception:  # the client went away
                    return
                self.server.client_events.append(event)
            self.handle(event, session)

    def handle(self, event: dict, session: dict) -> None:
        kind = event["type"]
        if kind == "session.update":
            self.vad = event["session"]["audio"]["input"].get("turn_detection")
            self.send({"type": "session.updated", "session": session})
        elif kind == "input_audio_buffer.append":
            self.append(len(base64.b64decode(event["audio"])))
        elif kind == "conversation.item.create":
            item = {**event["item"], "object": "realtime.item", "status": "completed"}
            self.send({"type": "conversation.item.added", "previous_item_id": None, "item": item})
        elif kind == "response.create":
            self.respond()
        elif kind == "conversation.item.truncate":
            self.send({"type": "conversation.item.truncated", "item_id": event["item_id"],
                       "content_index": 0, "audio_end_ms": event["audio_end_ms"]})  # fmt: skip

    def append(self, size: int) -> None:
        self.received += size
        self.buffered += size
        if self.vad and self.buffered >= 48000 * self.server.utterance_seconds:
            self.turn()

    def turn(self) -> None:
        item = f"item_user_{self.count}"
        start, end = int((self.received - self.buffered) / 48), int(self.received / 48)
        self.buffered = 0
        self.send({"type": "input_audio_buffer.speech_started", "audio_start_ms": start,
                   "item_id": item})  # fmt: skip
        self.send({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end,
                   "item_id": item})  # fmt: skip
        self.send({"type": "input_audio_buffer.committed", "previous_item_id": None,
                   "item_id": item})  # fmt: skip
        self.send({"type": "conversation.item.input_audio_transcription.completed",
                   "item_id": item, "content_index": 0, "transcript": "Utterance number 1.",
                   "usage": {"type": "duration", "seconds": (end - start) / 1000}})  # fmt: skip
        if self.vad.get("create_response"):
            self.respond()

    def respond(self) -> None:
        response_id, item_id = f"resp_{self.count}", f"item_reply_{self.count}"
        where = {"response_id": response_id, "item_id": item_id, "output_index": 0,
                 "content_index": 0}  # fmt: skip
        self.send({"type": "response.created", "response": {
            "id": response_id, "object": "realtime.response", "status": "in_progress",
            "output": []}})  # fmt: skip
        item = {"id": item_id, "type": "message", "object": "realtime.item", "role": "assistant",
                "status": "in_progress", "content": []}  # fmt: skip
        self.send({"type": "response.output_item.added", "response_id": response_id,
                   "output_index": 0, "item": item})  # fmt: skip
        status = "completed"
        for delta in self.server.reply_deltas:
            self.send({"type": "response.output_audio_transcript.delta", **where, "delta": delta})
            audio = base64.b64encode(bytes(self.server.delta_bytes)).decode()
            self.send({"type": "response.output_audio.delta", **where, "delta": audio})
            if self.cancelled():
                status = "cancelled"
                break
        self.send({"type": "response.done", "response": {
            "id": response_id, "object": "realtime.response", "status": status,
            "output": [{**item, "status": "completed"}]}})  # fmt: skip

    def cancelled(self) -> bool:
        """Whether the client cancelled meanwhile (other events wait their turn)."""
        try:
            event = json.loads(self.ws.recv(timeout=0.02))
        except TimeoutError:
            return False
        self.server.client_events.append(event)
        if event["type"] == "response.cancel":
            return True
        self.backlog.append(event)
        return False
