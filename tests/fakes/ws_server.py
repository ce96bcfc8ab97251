"""A loopback WebSocket server in a thread (websockets' sync server), the common ground of the
fake streaming providers: each subclass checks its auth header and speaks its wire format.
The fakes "hear" deterministically: one utterance per `utterance_seconds` of audio received,
whose text says its number, so tests can check what the relay did with it."""

import threading

from websockets.sync.server import serve


class FakeWebSocketServer:
    utterance_seconds = 1.0

    def __init__(self, *, api_key: str):
        self.api_key = api_key
        self.connections: list[dict] = []  # path and headers of each handshake
        self.received_bytes = 0
        self._server = serve(
            self._handle, "127.0.0.1", 0, max_size=None, process_request=self._check
        )
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _handle(self, ws) -> None:
        request = ws.request
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        self.connections.append({"path": request.path, "headers": headers})
        self.session(ws, request.path, headers)

    def _check(self, connection, request):
        """Refuse the handshake (HTTP 401) without the right key, as the providers do."""
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        if not self.authorized(headers):
            return connection.respond(401, "invalid api key\n")
        return None

    def authorized(self, headers: dict) -> bool:
        raise NotImplementedError

    def session(self, ws, path: str, headers: dict) -> None:
        raise NotImplementedError
