"""Live tests: corpus audio as the PCM16 24 kHz frames browsers send, and sockets opened
through the real ASGI stack (Origin and session checks included)."""

import functools
import json
from pathlib import Path

import av
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.test import Client

from tests.sockets import Communicator as WebsocketCommunicator

FRAME_BYTES = 2400 * 2  # 100 ms of PCM16 at 24 kHz
ORIGIN = b"http://localhost"


def pcm24(path: Path) -> bytes:
    """The recording as PCM16 24 kHz mono, the wire format of the live socket."""
    out = bytearray()
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=24000)
        for frame in container.decode(audio=0):
            for chunk in resampler.resample(frame):
                out += bytes(chunk.planes[0])[: chunk.samples * 2]
    return bytes(out)


def frames(pcm: bytes, size: int = FRAME_BYTES):
    for i in range(0, len(pcm), size):
        yield pcm[i : i + size]


@pytest.fixture(scope="session")
def jfk_pcm(corpus) -> bytes:
    return pcm24(corpus / "jfk.flac")


@pytest.fixture(scope="session")
def libri_pcm(corpus) -> bytes:
    """Two long sentences (7.7 s and 3.2 s): partials come even on a busy machine."""
    return pcm24(corpus / "libri_2412-153948-0000.flac")


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    return f"{cookie.key}={cookie.value}".encode()


@pytest.fixture
def alice_cookie(alice) -> bytes:
    return session_cookie(alice)


@pytest.fixture
def bob_cookie(bob) -> bytes:
    return session_cookie(bob)


def live_socket(cookie=None, *, query: str = "", origin: bytes = ORIGIN) -> WebsocketCommunicator:
    from voiceportal.asgi import application

    headers = (
        [(b"origin", origin), (b"host", b"localhost")] if origin else [(b"host", b"localhost")]
    )
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/live/?{query}", headers=headers)


async def events_until(ws: WebsocketCommunicator, kind: str, *, timeout: float = 120) -> list[dict]:
    """Every event up to and including the first of `kind`."""
    seen = []
    while True:
        event = json.loads(await ws.receive_from(timeout=timeout))
        seen.append(event)
        if event["type"] == kind:
            return seen


def run_async(test):
    """Run an async test function (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return async_to_sync(test)(*args, **kwargs)

    return wrapper
