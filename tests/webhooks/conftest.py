import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers with the statuses it
    is given, in turn (the last one repeats)."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.statuses[min(len(receiver.requests), len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?from=tests"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def _private_targets_allowed(settings):
    """The receiver is on loopback: allowed here; one test turns it off again."""
    settings.VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def queued(settings):
    """Tasks are kept, not run: each test runs the job and the deliveries itself."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": django_settings.TASKS["default"]["QUEUES"],
        }
    }
    from django_tasks import default_task_backend

    return default_task_backend


@pytest.fixture
def fake_default(settings):
    settings.SPEECH_TO_TEXT_DEFAULT = "fake"
