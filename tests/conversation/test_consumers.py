"""The conversation page's socket through the real ASGI stack: a typed turn is answered with the
assistant's words and its PCM16 audio as binary frames, and both turns are saved."""

import json

import pytest
from channels.db import database_sync_to_async

from apps.conversation import services
from tests.live.conftest import run_async, session_cookie
from tests.sockets import Communicator as WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


def conversation_socket(cookie: bytes, pk) -> WebsocketCommunicator:
    from voiceportal.asgi import application

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    return WebsocketCommunicator(application, f"/ws/conversation/{pk}/", headers=headers)


@run_async
async def test_a_typed_turn_is_answered_aloud_and_saved(alice):
    conversation = await database_sync_to_async(services.conversation_create)(
        owner=alice, instructions="You are a helpful assistant. Answer in one short sentence.",
        voice_id="piper:joe",
    )  # fmt: skip
    ws = conversation_socket(await database_sync_to_async(session_cookie)(alice), conversation.pk)
    connected, _ = await ws.connect()
    assert connected
    assert json.loads(await ws.receive_from(timeout=30))["type"] == "ready"
    await ws.send_to(
        text_data=json.dumps({"type": "text", "text": "What is the capital of France?"})
    )
    events, audio = [], bytearray()
    while not events or events[-1]["type"] != "response_done":
        message = await ws.receive_output(timeout=60)
        if message.get("bytes") is not None:
            audio += message["bytes"]
        else:
            events.append(json.loads(message["text"]))
    await ws.send_to(text_data="not json")
    assert json.loads(await ws.receive_from(timeout=30))["code"] == "invalid_event"
    await ws.disconnect()

    kinds = [e["type"] for e in events]
    assert kinds[0] == "user" and "response_started" in kinds and "assistant_delta" in kinds
    done = events[-1]
    assert done["status"] == "completed" and "paris" in done["text"].lower()
    assert len(audio) > 24_000 and len(audio) % 2 == 0
    turns = await database_sync_to_async(lambda: list(conversation.turns.all()))()
    assert [(t.role, bool(t.audio)) for t in turns] == [("user", False), ("assistant", True)]
    assert turns[1].audio.size == 44 + len(audio)  # the WAV holds exactly what was sent


@run_async
async def test_a_user_over_the_limit_of_open_conversations_is_told_so(alice, settings):
    settings.VOICEPORTAL_CONVERSATION_MAX_SESSIONS = 0
    conversation = await database_sync_to_async(services.conversation_create)(owner=alice)
    ws = conversation_socket(await database_sync_to_async(session_cookie)(alice), conversation.pk)
    await ws.connect()
    error = json.loads(await ws.receive_from(timeout=30))
    assert (error["type"], error["code"]) == ("error", "rate_limited")
    assert (await ws.receive_output(timeout=30))["type"] == "websocket.close"


@run_async
async def test_a_conversation_left_idle_is_ended(alice, settings):
    settings.VOICEPORTAL_CONVERSATION_IDLE_SECONDS = 0.3
    conversation = await database_sync_to_async(services.conversation_create)(owner=alice)
    ws = conversation_socket(await database_sync_to_async(session_cookie)(alice), conversation.pk)
    await ws.connect()
    assert json.loads(await ws.receive_from(timeout=30))["type"] == "ready"
    error = json.loads(await ws.receive_from(timeout=30))
    assert (error["type"], error["code"]) == ("error", "idle")
    assert (await ws.receive_output(timeout=30))["type"] == "websocket.close"
