"""A threaded loopback HTTP server that records every request and can be scripted to fail or
hang: the common ground of the fake cloud providers (one subclass per provider's wire format).
"""

import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # names lower-cased
    fields: dict[str, list[str]] = field(default_factory=dict)  # multipart text parts
    files: dict[str, UploadedFile] = field(default_factory=dict)
    json: dict | None = None

    def value(self, name: str, default: str | None = None) -> str | None:
        """The first value of multipart field `name`."""
        values = self.fields.get(name)
        return values[0] if values else default


@dataclass
class Scripted:
    """A canned misbehaviour for the next matching request(s)."""

    status: int | None = None  # None: answer normally (after `delay`)
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: longer than the timeout is a hang
    path: str | None = None  # only requests to this path
    times: int = 1


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None  # sent one by one, for server-sent events

    @classmethod
    def json(cls, payload: dict, status: int = 200, headers: dict | None = None) -> "Reply":
        return cls(status, json.dumps(payload).encode(), headers=headers or {})

    @classmethod
    def sse(cls, events: list[dict | str]) -> "Reply":
        frames = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
        return cls(chunks=[frame.encode() for frame in frames], content_type="text/event-stream")


class FakeHTTPServer:
    """Subclasses implement `route` (the provider's endpoints), `error` (its error shape) and
    `authorized` (its auth header)."""

    base_path = ""

    def __init__(self, *, api_key: str):
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._scripted: list[Scripted] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self
        # A short poll keeps shutdown, once per test, quick.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give the SDK."""
        return f"http://127.0.0.1:{self._httpd.server_port}{self.base_path}"

    def start(self):
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers that are hanging on purpose
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def script(
        self,
        *,
        status: int | None = None,
        message: str = "",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests (to `path`, if given) after waiting `delay` seconds,
        with `status` in the provider's error shape when given, or else normally."""
        with self._lock:
            self._scripted.append(Scripted(status, message, headers or {}, delay, path, times))

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._take_scripted(request.path)
        if scripted:
            self._closing.wait(scripted.delay)
            if scripted.status:
                return self.error(scripted.status, scripted.message, scripted.headers)
        if not self.authorized(request):
            return self.error(401)
        return self.route(request)

    def authorized(self, request: RecordedRequest) -> bool:
        raise NotImplementedError

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def error(self, status: int, message: str = "", headers: dict | None = None) -> Reply:
        raise NotImplementedError

    def _take_scripted(self, path: str) -> Scripted | None:
        for scripted in self._scripted:
            if scripted.path in (None, path):
                scripted.times -= 1
                if scripted.times <= 0:
                    self._scripted.remove(scripted)
                return scripted
        return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeProvider/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format, *args) -> None:
        pass  # keeps test output quiet; `requests` is the log

    def _handle(self) -> None:
        fake = self.server.fake
        reply = fake.answer(_parse(self.command, self.path, self.headers, _read_body(self)))
        try:
            self._send(reply, request_id=f"req_fake_{len(fake.requests)}")
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a scripted hang), as real clients do

    def _send(self, reply: Reply, *, request_id: str) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("x-request-id", request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunks is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        # HTTP/1.0 without a length: closing the connection ends the stream.
        self.end_headers()
        for chunk in reply.chunks:
            self.wfile.write(chunk)
            self.wfile.flush()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    body = bytearray()
    while size := int(handler.rfile.readline().split(b";")[0].strip(), 16):
        body += handler.rfile.read(size)
        handler.rfile.readline()  # the CRLF after each chunk
    handler.rfile.readline()  # the CRLF after the last, empty chunk
    return bytes(body)


def _parse(method: str, raw_path: str, headers, body: bytes) -> RecordedRequest:
    lowered = {name.lower(): value for name, value in headers.items()}
    request = RecordedRequest(method, raw_path.split("?")[0], lowered)
    content_type = lowered.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        request.fields, request.files = _multipart(content_type, body)
    elif content_type.startswith("application/json") and body:
        request.json = json.loads(body)
    return request


def _multipart(content_type: str, body: bytes):
    """Text parts by name (a repeated name such as `timestamp_granularities[]` keeps every
    value), and file parts by name. Split by hand: the bytes of a file must stay exact."""
    boundary = _header_param(content_type, "boundary").encode()
    fields: dict[str, list[str]] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary)[1:-1]:
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        lines = (line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        part_headers = {name.lower(): value for name, value in lines}
        disposition = part_headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        filename = _header_param(disposition, "filename")
        if filename is not None:
            files[name] = UploadedFile(filename, part_headers.get("content-type", ""), data)
        else:
            fields.setdefault(name, []).append(data.decode())
    return fields, files


def _header_param(value: str, param: str) -> str | None:
    message = Message()
    message["content-type"] = value
    return message.get_param(param, header="content-type")
