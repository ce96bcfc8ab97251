"""The offline cascade on a spoken question: the turn is transcribed, the packaged model answers
sensibly, the answer is spoken sentence by sentence; speaking over it cancels it at once."""

import asyncio

import pytest

from apps.engines.conversation.base import (
    AudioDelta,
    ConversationConfig,
    ResponseDone,
    ResponseStarted,
    TranscriptDelta,
    UserSpeechStarted,
    UserTurn,
)
from apps.engines.conversation.cascade import CascadeBackend, _heard_text
from tests.live.conftest import frames, run_async

SILENCE = bytes(48_000)  # one second


def cascade() -> CascadeBackend:
    return CascadeBackend(alias="cascade", stt="local", stt_model="tiny.en", llm="local",
                          tts="piper", temperature=0.0, max_tokens=60)  # fmt: skip


async def until(session, predicate, *, timeout: float = 60.0) -> list:
    seen = []
    events = session.events()
    async with asyncio.timeout(timeout):
        async for event in events:
            seen.append(event)
            if predicate(event):
                return seen
    return seen


async def say(session, pcm: bytes) -> None:
    for frame in frames(pcm + SILENCE):
        await session.send(frame)


@run_async
async def test_a_spoken_question_gets_a_spoken_sensible_answer(spoken_question):
    session = await cascade().open(ConversationConfig())
    try:
        await say(session, spoken_question)
        events = await until(session, lambda e: isinstance(e, ResponseDone))
    finally:
        await session.close()
    (turn,) = [e for e in events if isinstance(e, UserTurn)]
    assert "france" in turn.text.lower() and len(turn.audio) > 48_000
    done = events[-1]
    assert done.status == "completed"
    assert "paris" in done.text.lower()
    spoken = b"".join(e.pcm for e in events if isinstance(e, AudioDelta))
    assert spoken == done.audio and len(spoken) > 24_000  # more than half a second
    assert "".join(e.text for e in events if isinstance(e, TranscriptDelta)).strip() == done.text


@run_async
async def test_speaking_over_the_answer_cancels_it(spoken_question):
    session = await cascade().open(ConversationConfig())
    try:
        await session.add_text("Tell me a long story about a dragon.")
        await session.respond()
        await until(session, lambda e: isinstance(e, AudioDelta))
        await say(session, spoken_question)  # the user speaks over the story
        events = await until(session, lambda e: isinstance(e, ResponseDone))
        cancelled = events[-1]
        assert cancelled.status == "cancelled"
        started = next(i for i, e in enumerate(events) if isinstance(e, UserSpeechStarted))
        assert started < len(events) - 1  # cancelled because the user spoke
        # The interrupted reply is remembered as far as the listener heard it (here: nothing).
        await session.truncate(cancelled.item_id, 0)
        assert cancelled.item_id not in [i for i, _ in session.history]
        # The second question is answered in turn.
        rest = await until(session, lambda e: isinstance(e, ResponseDone))
        assert isinstance(rest[-1], ResponseDone) and rest[-1].status == "completed"
        assert any(isinstance(e, ResponseStarted) for e in rest)
    finally:
        await session.close()


@run_async
async def test_a_typed_turn_is_answered_when_asked(spoken_question):
    session = await cascade().open(ConversationConfig(instructions="Answer in one sentence."))
    try:
        await session.add_text("How many legs does a dog have?")
        await session.respond()
        events = await until(session, lambda e: isinstance(e, ResponseDone))
    finally:
        await session.close()
    assert events[-1].status == "completed" and (
        "four" in events[-1].text.lower() or "4" in events[-1].text
    )


@pytest.mark.parametrize(
    ("heard", "expected"),
    [(0, ""), (100, "One two."), (150, "One two. Three"), (400, "One two. Three four.")],
)
def test_truncation_keeps_the_words_heard(heard, expected):
    assert _heard_text(["One two.", " Three four."], [0, 100, 200], heard) == expected
