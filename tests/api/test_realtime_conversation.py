"""/v1/realtime?model=gpt-realtime: a voice conversation with the offline cascade, driven by the
official openai SDK against a running portal (spoken and typed turns, barge-in, truncation), and
bad input answered with OpenAI-shaped errors through the real ASGI stack."""

import asyncio
import base64
import json

import pytest
from openai import AsyncOpenAI

from apps.api.services import api_key_create
from apps.conversation.models import Conversation
from tests.live.conftest import frames, run_async
from tests.sockets import Communicator as WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

SILENCE = bytes(48_000)


@pytest.fixture
def alice_key(alice) -> str:
    return api_key_create(owner=alice, name="test")[1]


async def until(conn, kind: str, seen: list, *, timeout: float = 60.0):
    """Events up to the first of `kind` (appended to `seen`); that event."""
    async with asyncio.timeout(timeout):
        while True:
            event = await conn.recv()
            seen.append(event)
            if event.type == kind:
                return event


async def say(conn, pcm: bytes) -> None:
    for frame in frames(pcm + SILENCE, size=9600):
        await conn.input_audio_buffer.append(audio=base64.b64encode(frame).decode())


def message(text: str) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def converse(url: str, key: str, question: bytes) -> dict:
    client = AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    found = {}
    async with client.realtime.connect(model="gpt-realtime") as conn:
        found["created"] = await conn.recv()
        await conn.session.update(session={
            "type": "realtime", "output_modalities": ["audio"],
            "instructions": "You are a helpful voice assistant. Answer in one short sentence.",
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                "turn_detection": {"type": "server_vad",
                                                   "interrupt_response": True}},
                      "output": {"voice": "alloy"}},
        })  # fmt: skip
        found["updated"] = await conn.recv()

        # A spoken question, answered aloud.
        spoken: list = []
        await say(conn, question)
        found["spoken_done"] = await until(conn, "response.done", spoken)
        found["spoken"] = spoken

        # A typed turn.
        typed: list = []
        await conn.conversation.item.create(item=message("How many legs does a dog have?"))
        await conn.response.create()
        found["typed_done"] = await until(conn, "response.done", typed)
        found["typed"] = typed

        # Barge-in: the user speaks over a long answer.
        barge: list = []
        await conn.conversation.item.create(item=message("Tell me a long story about a dragon."))
        await conn.response.create()
        await until(conn, "response.output_audio.delta", barge)
        await say(conn, question)
        found["barge_done"] = await until(conn, "response.done", barge)
        found["barge"] = barge
        item_id = found["barge_done"].response.output[0].id
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=200)
        found["truncated"] = await until(conn, "conversation.item.truncated", barge)

        # New instructions for the rest of the conversation.
        await conn.session.update(session={"type": "realtime", "instructions": "Be a pirate."})
        found["reinstructed"] = await until(conn, "session.updated", [])

        # A bad event: an error, and the session goes on.
        await conn.send({"type": "conversation.item.create", "item": {"type": "nonsense"}})
        found["error"] = await until(conn, "error", [])
    return found


def test_the_openai_sdk_holds_a_voice_conversation(
    portal_server, alice, alice_key, spoken_question
):
    found = asyncio.run(converse(portal_server.url, alice_key, spoken_question))
    assert found["created"].session.type == "realtime"
    assert found["updated"].session.audio.output.voice == "alloy"

    spoken = found["spoken"]
    kinds = [e.type for e in spoken]
    assert kinds.index("input_audio_buffer.speech_started") < kinds.index(
        "input_audio_buffer.speech_stopped") < kinds.index("response.created")  # fmt: skip
    (heard,) = [e for e in spoken if e.type.endswith("input_audio_transcription.completed")]
    assert "france" in heard.transcript.lower()
    audio = b"".join(base64.b64decode(e.delta) for e in spoken
                     if e.type == "response.output_audio.delta")  # fmt: skip
    assert len(audio) > 24_000  # over half a second of PCM16 24 kHz
    said = "".join(e.delta for e in spoken if e.type == "response.output_audio_transcript.delta")
    assert "paris" in said.lower()
    assert found["spoken_done"].response.status == "completed"

    typed = found["typed"]
    assert any(e.type == "response.output_audio.delta" for e in typed)
    answer = found["typed_done"].response.output[0].content[0].transcript
    assert "four" in answer.lower() or "4" in answer

    assert found["barge_done"].response.status == "cancelled"
    assert any(e.type == "input_audio_buffer.speech_started" for e in found["barge"])
    assert found["error"].error.code == "invalid_value"

    assert found["reinstructed"].session.instructions == "Be a pirate."
    conversation = Conversation.objects.get(owner=alice)
    assert conversation.source == "api" and conversation.title.lower().startswith("what")
    assert conversation.instructions == "Be a pirate."
    turns = list(conversation.turns.all())
    assert [t.role for t in turns[:4]] == ["user", "assistant", "user", "assistant"]
    assert turns[0].audio and turns[1].audio and not turns[2].audio
    assert "paris" in turns[1].text.lower()
    interrupted = next(t for t in turns if t.interrupted)
    assert len(interrupted.text.split()) <= 3  # 200 ms heard: a word or two at most


def realtime_socket(key: str | None, query: str = "model=gpt-realtime"):
    from voiceportal.asgi import application

    headers = [(b"host", b"localhost")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return WebsocketCommunicator(application, f"/v1/realtime?{query}", headers=headers)


async def receive(ws) -> dict:
    return json.loads(await ws.receive_from(timeout=30))


@run_async
async def test_bad_events_are_answered_with_errors_and_the_session_goes_on(alice_key):
    ws = realtime_socket(alice_key)
    await ws.connect()
    assert (await receive(ws))["type"] == "session.created"
    bad = [
        ({"type": "session.update", "session": {"type": "transcription"}}, "invalid_value"),
        (
            {
                "type": "session.update",
                "session": {"audio": {"input": {"format": {"type": "audio/pcmu"}}}},
            },
            "invalid_value",
        ),  # fmt: skip
        (
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "user", "content": []},
            },
            "invalid_value",
        ),  # fmt: skip
        (
            {"type": "conversation.item.truncate", "item_id": "item_x", "audio_end_ms": 5},
            "item_not_found",
        ),  # fmt: skip
        ({"type": "response.frobnicate"}, "invalid_event"),
    ]
    for event, code in bad:
        await ws.send_to(text_data=json.dumps(event))
        answer = await receive(ws)
        assert (answer["type"], answer["error"]["code"]) == ("error", code), event
    await ws.send_to(text_data=json.dumps({"type": "session.update", "session": {
        "type": "realtime", "instructions": "Be brief."}}))  # fmt: skip
    updated = await receive(ws)
    assert updated["session"]["instructions"] == "Be brief."
    await ws.disconnect()


@run_async
async def test_an_unknown_model_or_a_missing_key_is_refused(alice_key):
    ws = realtime_socket(alice_key, query="model=gpt-5-turbo-ultra")
    await ws.connect()
    assert (await receive(ws))["error"]["code"] == "invalid_model"
    connected, _ = await realtime_socket(None).connect()
    assert not connected


@run_async
async def test_a_voice_the_user_may_not_use_is_an_error(alice_key):
    ws = realtime_socket(alice_key)
    await ws.connect()
    await receive(ws)
    await ws.send_to(text_data=json.dumps({"type": "session.update", "session": {
        "audio": {"output": {"voice": "voice_" + "0" * 32}}}}))  # fmt: skip
    await receive(ws)
    await ws.send_to(text_data=json.dumps({"type": "response.create"}))
    error = await receive(ws)
    assert error["type"] == "error" and "voice" in error["error"]["message"]
    assert not await Conversation.objects.filter().aexists()
