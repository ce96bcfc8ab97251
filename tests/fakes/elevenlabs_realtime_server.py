"""A fake of ElevenLabs' Scribe realtime socket (`/v1/speech-to-text/realtime`, WIRE_FORMATS.md
§4.5b), enough for the official SDK's `speech_to_text.realtime.connect`."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

from .ws_server import FakeWebSocketServer


class FakeElevenLabsRealtimeServer(FakeWebSocketServer):
    def __init__(self, *, api_key: str = "xi-test-key"):
        super().__init__(api_key=api_key)
        self.params: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def authorized(self, headers: dict) -> bool:
        return headers.get("xi-api-key") == self.api_key

    def session(self, ws, path, headers) -> None:
        self.params = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        _Session(self, ws, vad=self.params.get("commit_strategy") == "vad").run()


class _Session:
    def __init__(self, server: FakeElevenLabsRealtimeServer, ws, *, vad: bool):
        self.server, self.ws, self.vad = server, ws, vad
        self.received = self.committed = 0  # bytes
        self.count = 0

    def send(self, event: dict) -> None:
        self.ws.send(json.dumps(event))

    def run(self) -> None:
        self.send({"message_type": "session_started", "session_id": "fake", "config": {}})
        for message in self.ws:
            chunk = json.loads(message)
            size = len(base64.b64decode(chunk.get("audio_base_64") or ""))
            self.server.received_bytes += size
            self.received += size
            if size and self.received - self.committed >= 24000:
                self.send({"message_type": "partial_transcript", "text": "segment"})
            if chunk.get("commit") or (self.vad and self.received - self.committed >= 48000):
                self.commit()

    def commit(self) -> None:
        if self.received == self.committed:
            return
        start, end = self.committed / 48000, self.received / 48000
        self.committed = self.received
        self.count += 1
        text = f"Segment {self.count}."
        mid = (start + end) / 2
        words = [{"text": "Segment", "start": start, "end": mid, "type": "word"},
                 {"text": " ", "start": mid, "end": mid, "type": "spacing"},
                 {"text": f"{self.count}.", "start": mid, "end": end, "type": "word"}]  # fmt: skip
        self.send({"message_type": "committed_transcript", "text": text})
        self.send({"message_type": "committed_transcript_with_timestamps", "text": text,
                   "language_code": "en", "words": words})  # fmt: skip
