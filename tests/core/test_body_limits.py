"""Body limits on the real web server (Daphne on loopback): a body too big is refused while it
arrives, not after it was taken in full."""

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tests.speech.stack import REPO, free_port

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


@pytest.fixture
def server(tmp_path, settings):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "VOICEPORTAL_SQLITE_PATH": connection.settings_dict["NAME"],
        "VOICEPORTAL_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VOICEPORTAL_MAX_UPLOAD_BYTES": str(5 * MB),
        "VOICEPORTAL_BODY_IDLE_SECONDS": "1",
        "VOICEPORTAL_BODY_SECONDS": "3",
    }
    log = open(tmp_path / "daphne.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "voiceportal.asgi:application"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.kill()
        process.wait()


def _wait_for(port: int, process) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError("daphne exited")
        try:
            status, _ = _request(port, "GET", "/healthz", timeout=1)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("daphne did not start")


def _request(port, method, path, *, length=0, body=b"", headers="", timeout=5.0, whole=False):
    """Send the head and `body` (maybe less than `length`), then read the answer's status."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
            f"Content-Type: application/octet-stream\r\n{headers}\r\n"
        )
        s.sendall(head.encode())
        # Sent alongside: a server that stops reading blocks the sender, not the answer.
        sender = threading.Thread(target=_send_quietly, args=(s, body), daemon=True)
        sender.start()
        answer = s.recv(65536)
        while whole and (more := s.recv(65536)):  # until the server closes
            answer += more
    return int(answer.split(b" ", 2)[1]), answer


def _send_quietly(s, body: bytes) -> None:
    with contextlib.suppress(OSError):  # refused and closed: expected
        s.sendall(body)


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"Cookie: sessionid={client.cookies['sessionid'].value}\r\n"


def test_it_refuses_a_big_anonymous_post_before_taking_the_body(server):
    status, answer = _request(server, "POST", "/account/login/", length=100 * MB, body=b"x" * 65536)
    assert status == 413
    assert b"too large" in answer


def test_it_refuses_an_upload_over_the_cap_from_its_content_length(server, alice):
    cookie = _session_cookie(alice)
    status, _ = _request(
        server, "POST", "/transcripts/new/", length=300 * MB, body=b"x" * 65536, headers=cookie
    )
    assert status == 413


def test_a_client_waiting_for_100_continue_gets_the_refusal_alone(server):
    expect = "Expect: 100-continue\r\n"
    status, answer = _request(
        server, "POST", "/account/login/", length=100 * MB, headers=expect, whole=True
    )
    assert status == 413 and b"100 Continue" not in answer


def test_it_answers_a_lying_content_length_at_once(server):
    status, _ = _request(
        server, "POST", "/transcripts/new/", length=3_000_000_000, body=b"x" * 1024
    )
    assert status == 413


def test_it_refuses_an_upload_with_a_forged_session(server):
    cookie = "Cookie: sessionid=forged0000000000000000000000000000\r\n"
    status, _ = _request(
        server, "POST", "/transcripts/new/", length=4 * MB, body=b"x" * 4 * MB, headers=cookie
    )
    assert status == 413


def test_it_lets_a_signed_in_upload_under_the_cap_through(server, alice):
    cookie = _session_cookie(alice)
    status, _ = _request(
        server, "POST", "/transcripts/new/", length=4 * MB, body=b"x" * 4 * MB, headers=cookie
    )
    assert status == 403  # reached Django, whose CSRF check answers


def test_it_answers_408_when_the_body_stops_arriving(server):
    status, _ = _request(server, "POST", "/account/login/", length=1000, body=b"x" * 10)
    assert status == 408


# The ASGI layer, for servers that stream the body to the application (not Daphne).


def _drive(headers, chunks):
    import asyncio

    from django.core.asgi import get_asgi_application

    from voiceportal.body_limits import BodyLimitMiddleware

    sent, pending = [], list(chunks)

    async def receive():
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/account/login/", "headers": headers}
    scope |= {"query_string": b"", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    asyncio.run(BodyLimitMiddleware(get_asgi_application())(scope, receive, send))
    return sent[0]["status"], len(pending)


def test_the_asgi_layer_refuses_by_content_length_before_reading():
    status, unread = _drive([(b"content-length", str(100 * MB).encode())], [b"x" * MB] * 3)
    assert (status, unread) == (413, 3)


def test_the_asgi_layer_counts_a_chunked_body():
    status, unread = _drive([], [b"x" * (MB // 2)] * 6)
    assert status == 413
    assert unread == 3


def test_it_answers_408_to_a_body_that_trickles(server):
    with socket.create_connection(("127.0.0.1", server), timeout=10) as s:
        s.sendall(b"POST /account/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        answer = b""
        for _ in range(40):  # a byte every half second: never idle for long, never done
            s.sendall(b"x")
            readable, _, _ = select.select([s], [], [], 0.5)
            if readable:
                answer = s.recv(4096)
                break
    assert answer.startswith(b"HTTP/1.1 408")
