"""/v1/realtime?intent=transcription through the real ASGI stack: the key check, the OpenAI
event shapes, and bad input answered with OpenAI-shaped errors while the session goes on."""

import base64
import json

import pytest
from channels.db import database_sync_to_async

from apps.api.services import api_key_create
from apps.transcripts.models import Transcript
from tests.sockets import Communicator as WebsocketCommunicator
from tests.wer import wer

from .conftest import frames, run_async

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice_key(alice) -> str:
    return api_key_create(owner=alice, name="test")[1]


def realtime_socket(key: str | None, query: str = "intent=transcription"):
    from voiceportal.asgi import application

    headers = [(b"host", b"localhost")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return WebsocketCommunicator(application, f"/v1/realtime?{query}", headers=headers)


async def receive(ws, timeout=60) -> dict:
    return json.loads(await ws.receive_from(timeout=timeout))


async def until(ws, kind: str) -> list[dict]:
    seen = []
    while (event := await receive(ws, timeout=120))["type"] != kind:
        seen.append(event)
    return [*seen, event]


def append(pcm: bytes) -> str:
    return json.dumps(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
    )


@run_async
async def test_it_refuses_sockets_without_a_key():
    connected, _ = await realtime_socket(None).connect()
    assert not connected


@run_async
async def test_it_refuses_a_wrong_key(alice_key):
    connected, _ = await realtime_socket("vp-not-a-key").connect()
    assert not connected


@run_async
async def test_a_transcription_session_gives_deltas_and_completed(
    alice, alice_key, jfk_pcm, corpus
):
    ws = realtime_socket(alice_key)
    assert (await ws.connect())[0]
    created = await receive(ws)
    assert created["type"] == "session.created"
    assert created["session"]["type"] == "transcription"
    update = {"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
        "turn_detection": None}}}}  # fmt: skip
    await ws.send_to(text_data=json.dumps(update))
    updated = await receive(ws)
    assert updated["type"] == "session.updated"
    assert updated["session"]["audio"]["input"]["turn_detection"] is None
    for frame in frames(jfk_pcm, 24000):
        await ws.send_to(text_data=append(frame))
    await ws.send_to(text_data=json.dumps({"type": "input_audio_buffer.commit"}))
    events = await until(ws, "conversation.item.input_audio_transcription.completed")
    kinds = [e["type"] for e in events]
    assert "input_audio_buffer.speech_started" not in kinds  # manual commit: no VAD events
    assert kinds.index("input_audio_buffer.committed") < kinds.index("conversation.item.added")
    completed = events[-1]
    assert completed["usage"]["type"] == "duration"
    assert wer((corpus / "jfk.txt").read_text(), completed["transcript"]) < 0.35
    assert all(e["event_id"] for e in events)
    await ws.disconnect(timeout=30)

    transcript = await database_sync_to_async(Transcript.objects.get)(owner=alice)
    assert transcript.source == "api"
    assert transcript.duration == pytest.approx(len(jfk_pcm) / 48000, abs=0.001)


@run_async
async def test_bad_events_get_openai_errors_and_the_session_goes_on(alice_key):
    ws = realtime_socket(alice_key)
    await ws.connect()
    await receive(ws)
    bad = [
        ("{oops", "invalid_json"),
        (json.dumps({"type": "response.create"}), "invalid_event"),
        (json.dumps([1, 2]), "invalid_event"),
        (json.dumps({"type": "input_audio_buffer.append", "audio": "***"}), "invalid_value"),
        (json.dumps({"type": "input_audio_buffer.append", "audio": "AA=="}), "invalid_value"),
        (json.dumps({"type": "session.update", "session": {"type": "realtime"}}), "invalid_value"),
        (json.dumps({"type": "session.update", "session": {"type": "transcription", "audio": {
            "input": {"transcription": {"model": "no-such-model"}}}}}), "invalid_model"),
    ]  # fmt: skip
    for text, code in bad:
        await ws.send_to(text_data=text)
        error = await receive(ws)
        assert error["type"] == "error", text
        assert error["error"]["code"] == code, text
        assert set(error["error"]) == {"type", "code", "message", "param", "event_id"}
    await ws.send_to(bytes_data=b"\x00\x00")
    assert (await receive(ws))["error"]["code"] == "invalid_json"
    await ws.send_to(text_data=append(b"\x00" * 4800))
    await ws.send_to(text_data=json.dumps({"type": "input_audio_buffer.clear"}))
    assert (await receive(ws))["type"] == "input_audio_buffer.cleared"
    await ws.disconnect(timeout=30)


@run_async
async def test_it_refuses_an_unknown_intent(alice_key):
    # Without an intent the socket is a conversation (tests/api/test_realtime_conversation.py).
    ws = realtime_socket(alice_key, query="intent=translation")
    await ws.connect()
    error = await receive(ws)
    assert error["error"]["code"] == "invalid_intent"


@run_async
async def test_a_socket_that_never_sends_audio_is_closed(alice_key, settings):
    settings.VOICEPORTAL_LIVE_IDLE_SECONDS = 0
    ws = realtime_socket(alice_key)
    await ws.connect()
    assert (await receive(ws))["type"] == "session.created"
    error = await receive(ws)
    assert error["error"]["code"] == "idle"
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4408}
