"""A fake of AssemblyAI's Universal-Streaming v3 socket (`/v3/ws`, WIRE_FORMATS.md §3.5), enough
for the official SDK: Begin, Turns (partial, end of turn, formatted), Termination."""

import json
import time
from urllib.parse import parse_qs, urlsplit

from .ws_server import FakeWebSocketServer


class FakeAssemblyAIStreamingServer(FakeWebSocketServer):
    def __init__(self, *, api_key: str = "aai-test-key", hang_up_after: int = 0):
        super().__init__(api_key=api_key)
        self.params: dict[str, str] = {}
        self.chunk_sizes: list[int] = []
        self.hang_up_after = hang_up_after  # bytes of audio; then the socket drops (0: never)

    @property
    def ws_host(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def authorized(self, headers: dict) -> bool:
        return headers.get("authorization") == self.api_key

    def session(self, ws, path, headers) -> None:
        url = urlsplit(path)
        self.params = {k: v[0] for k, v in parse_qs(url.query).items()}
        rate = int(self.params.get("sample_rate", "16000"))
        _Session(self, ws, rate).run()


class _Session:
    def __init__(self, server: FakeAssemblyAIStreamingServer, ws, rate: int):
        self.server, self.ws = server, ws
        self.bytes_per_second = rate * 2
        self.received = 0
        self.turn_start = 0  # bytes
        self.turns = 0

    def send(self, event: dict) -> None:
        self.ws.send(json.dumps(event))

    def run(self) -> None:
        self.send({"type": "Begin", "id": "fake-session", "expires_at": int(time.time()) + 600})
        for message in self.ws:
            if isinstance(message, bytes):
                self.server.chunk_sizes.append(len(message))
                self.server.received_bytes += len(message)
                self.received += len(message)
                if self.received - self.turn_start >= self.bytes_per_second:
                    self.turn()
                if self.server.hang_up_after and self.received >= self.server.hang_up_after:
                    self.ws.close(code=1011, reason="Internal error")  # the provider fell over
                    return
                continue
            kind = json.loads(message)["type"]
            if kind == "ForceEndpoint":
                self.turn()
            elif kind == "Terminate":
                self.turn()
                seconds = self.received / self.bytes_per_second
                self.send({"type": "Termination", "audio_duration_seconds": int(seconds),
                           "session_duration_seconds": int(seconds)})  # fmt: skip
                self.ws.close()
                return

    def turn(self) -> None:
        if self.received == self.turn_start:
            return
        start = self.turn_start * 1000 // self.bytes_per_second
        end = self.received * 1000 // self.bytes_per_second
        self.turn_start = self.received
        order = self.turns
        self.turns += 1
        texts = ["turn", f"number {order + 1}"]
        mid = (start + end) // 2

        def words(final_second: bool, formatted: bool) -> list[dict]:
            first = "Turn" if formatted else "turn"
            second = f"number {order + 1}." if formatted else texts[1]
            return [
                {"start": start, "end": mid, "text": first, "confidence": 0.9,
                 "word_is_final": True},
                {"start": mid, "end": end, "text": second, "confidence": 0.8,
                 "word_is_final": final_second},
            ]  # fmt: skip

        base = {"type": "Turn", "turn_order": order, "end_of_turn_confidence": 0.5}
        self.send({**base, "turn_is_formatted": False, "end_of_turn": False,
                   "transcript": " ".join(texts), "words": words(False, False)})  # fmt: skip
        self.send({**base, "turn_is_formatted": False, "end_of_turn": True,
                   "transcript": " ".join(texts), "words": words(True, False)})  # fmt: skip
        formatted = f"Turn number {order + 1}."
        self.send({**base, "turn_is_formatted": True, "end_of_turn": True,
                   "transcript": formatted, "words": words(True, True)})  # fmt: skip
