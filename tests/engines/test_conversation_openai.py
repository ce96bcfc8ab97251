"""The OpenAI Realtime conversation relay, driven through the official SDK against a loopback
fake of OpenAI's socket: the session is configured as the portal asks, spoken and typed turns
are answered with audio and transcript, a cancel ends the reply, and a bad key is refused."""

import asyncio

import pytest

from apps.engines.conversation.base import (
    AudioDelta,
    ConversationConfig,
    ResponseDone,
    ResponseStarted,
    UserSpeechStarted,
    UserTurn,
)
from apps.engines.conversation.openai import OpenAIRealtimeConversation
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.llm.base import ChatMessage
from tests.fakes.openai_realtime_conversation_server import (
    REPLY,
    FakeOpenAIRealtimeConversationServer,
)
from tests.live.conftest import run_async


@pytest.fixture
def server():
    with FakeOpenAIRealtimeConversationServer() as server:
        yield server


def relay(server, key=None) -> OpenAIRealtimeConversation:
    return OpenAIRealtimeConversation(alias="openai", api_key=key or server.api_key,
                                      websocket_base_url=server.ws_url)  # fmt: skip


async def until_done(session) -> list:
    seen = []
    async with asyncio.timeout(10):
        async for event in session.events():
            seen.append(event)
            if isinstance(event, ResponseDone):
                return seen
    return seen


@run_async
async def test_a_spoken_turn_is_heard_and_answered_aloud(server):
    history = (ChatMessage("user", "Hi"), ChatMessage("assistant", "Hello!"))
    config = ConversationConfig(instructions="Be brief.", voice="cedar", history=history)
    session = await relay(server).open(config)
    try:
        await session.send(bytes(48_000))
        events = await until_done(session)
    finally:
        await session.close()
    update = next(e for e in server.client_events if e["type"] == "session.update")["session"]
    assert update["type"] == "realtime" and update["instructions"] == "Be brief."
    assert update["audio"]["output"]["voice"] == "cedar"
    vad = update["audio"]["input"]["turn_detection"]
    assert vad["type"] == "semantic_vad" and vad["interrupt_response"] is True
    created = [e["item"] for e in server.client_events if e["type"] == "conversation.item.create"]
    assert [i["role"] for i in created] == ["user", "assistant"]
    assert isinstance(events[0], UserSpeechStarted)
    (turn,) = [e for e in events if isinstance(e, UserTurn)]
    assert turn.text == "Utterance number 1." and len(turn.audio) == 48_000
    done = events[-1]
    assert (done.status, done.text) == ("completed", "".join(REPLY).strip())
    assert done.audio == b"".join(e.pcm for e in events if isinstance(e, AudioDelta))


@run_async
async def test_a_typed_turn_is_answered_and_a_cancel_ends_the_reply(server):
    server.reply_deltas = REPLY * 50  # long enough to be cancelled
    session = await relay(server).open(ConversationConfig())
    try:
        await session.add_text("Tell me a story.")
        await session.respond()
        async with asyncio.timeout(10):
            async for event in session.events():
                if isinstance(event, ResponseStarted):
                    break
        await session.cancel()
        events = await until_done(session)
        done = events[-1]
        assert done.status == "cancelled" and 0 < len(done.audio) < 4800 * len(REPLY) * 50
        heard = await session.truncate(done.item_id, 100)
        assert heard == "Hello"
    finally:
        await session.close()
    assert server.received("response.cancel") and server.received("conversation.item.truncate")


@run_async
async def test_a_wrong_key_is_an_authentication_error(server):
    with pytest.raises(ProviderError) as caught:
        await relay(server, key="sk-wrong").open(ConversationConfig())
    assert caught.value.kind == ErrorKind.AUTHENTICATION
