"""The page socket for job updates (/ws/jobs/) through the real ASGI stack: only a signed-in
user's page may listen. That it hears its user's jobs and no one else's, across processes, is
tested with Redis in tests/scale/test_channels.py."""

import pytest
from asgiref.sync import async_to_sync

from tests.live.conftest import ORIGIN, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _socket(cookie=None):
    from tests.sockets import Communicator as WebsocketCommunicator
    from voiceportal.asgi import application

    headers = [(b"origin", ORIGIN), (b"host", b"localhost")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/jobs/", headers=headers)


async def _connects(ws) -> tuple[bool, int | None]:
    connected, code = await ws.connect()
    if connected:
        await ws.disconnect()
    return connected, code


def test_it_refuses_anonymous_sockets():
    assert async_to_sync(_connects)(_socket()) == (False, 4401)


def test_it_accepts_a_signed_in_users_socket(alice):
    assert async_to_sync(_connects)(_socket(session_cookie(alice)))[0]
