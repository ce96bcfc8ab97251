"""A loopback server in the shape of the self-hosted `suno-api` proxy (WIRE_FORMATS.md §5.1):
`POST /api/generate` and `/api/custom_generate` answer with two clips, `GET /api/get?ids=`
moves each clip through submitted → streaming → complete (one step a poll), and the clip's
`audio_url` serves an mp3 of `clip_seconds`. A Bearer key is checked when one is set.

    with FakeSunoServer() as server:
        server.fail_clips = True     # clips end with status "error"
"""

import itertools
import json
from urllib.parse import parse_qs, urlsplit

from . import server as base
from .elevenlabs_server import encode_tone
from .server import FakeHTTPServer, RecordedRequest, Reply

_STEPS = ("submitted", "streaming", "complete")


class FakeSunoServer(FakeHTTPServer):
    def __init__(self, *, api_key: str = ""):
        super().__init__(api_key=api_key)
        self._httpd.RequestHandlerClass = _Handler
        self.clips: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.clip_seconds = 3.0
        self.fail_clips = False
        self._ids = itertools.count(1)

    def authorized(self, request: RecordedRequest) -> bool:
        if not self.api_key:
            return True
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str = "", headers: dict | None = None) -> Reply:
        return Reply.json({"error": message or f"HTTP {status}"}, status, headers)

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path in ("/api/generate", "/api/custom_generate"):
            return self._generate(request)
        if request.method == "GET" and request.path == "/api/get":
            return self._get(request)
        if request.method == "GET" and request.path.startswith("/audio/"):
            return Reply(body=encode_tone("mp3_44100_128", self.clip_seconds),
                         content_type="audio/mpeg")  # fmt: skip
        return self.error(404, f"No route for {request.method} {request.path}.")

    def _generate(self, request) -> Reply:
        body = request.json or {}
        custom = request.path == "/api/custom_generate"
        required = ("prompt", "tags", "title") if custom else ("prompt",)
        missing = [k for k in required if not body.get(k)]
        if missing:
            return self.error(400, f"Missing {', '.join(missing)}.")
        clips = []
        for _ in range(2):
            clip_id = f"clip-{next(self._ids)}"
            self.clips[clip_id] = {
                "id": clip_id,
                "title": body.get("title") or "Untitled",
                "tags": body.get("tags") or "",
                "prompt": body["prompt"],
                "model_name": "chirp-v3",
                "status": "submitted",
                "audio_url": "",
                "duration": "",
                "created_at": "2024-05-25T23:24:01.607Z",
            }
            self.polls[clip_id] = 0
            clips.append(dict(self.clips[clip_id]))
        return Reply.json(clips)

    def _get(self, request) -> Reply:
        ids = (request.query.get("ids") or [""])[0].split(",")
        answer = []
        for clip_id in ids:
            clip = self.clips.get(clip_id)
            if clip is None:
                continue
            self.polls[clip_id] += 1
            step = _STEPS[min(self.polls[clip_id], len(_STEPS) - 1)]
            clip["status"] = "error" if self.fail_clips and step == "complete" else step
            if clip["status"] == "complete":
                clip["audio_url"] = f"{self.url}/audio/{clip_id}.mp3"
            answer.append(dict(clip))
        return Reply(body=json.dumps(answer).encode())


class _Handler(base._Handler):
    """Keeps the query string (`ids`) on the recorded request."""

    def _handle(self) -> None:
        fake = self.server.fake
        recorded = base._parse(self.command, self.path, self.headers, base._read_body(self))
        recorded.query = parse_qs(urlsplit(self.path).query)
        reply = fake.answer(recorded)
        try:
            self._send(reply, request_id=f"req_fake_{len(fake.requests)}")
        except (BrokenPipeError, ConnectionResetError):
            return
