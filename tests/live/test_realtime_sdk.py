"""The official openai SDK (with websockets) against a running portal: a corpus recording
streamed at real speed gives delta and completed events with the expected words, and the
session is saved to the key owner's library."""

import asyncio
import base64
import time

import pytest
from openai import AsyncOpenAI

from apps.api.services import api_key_create
from apps.transcripts.models import Transcript
from tests.wer import wer

from .conftest import frames
from .server import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The longest wait for the next event before the test gives up.
EVENT_TIMEOUT = 60.0


@pytest.fixture
def server(settings, tmp_path):
    with Daphne(
        db_path=settings.DATABASES["default"]["NAME"],
        media_root=str(settings.MEDIA_ROOT),
        log=tmp_path / "daphne.log",
    ) as daphne:
        yield daphne


async def stream(url: str, key: str, pcm: bytes) -> list:
    client = AsyncOpenAI(base_url=f"{url}/v1", api_key=key)
    events = []
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        events.append(await conn.recv())
        await conn.session.update(session={"type": "transcription", "audio": {"input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
            "turn_detection": {"type": "server_vad"}}}})  # fmt: skip

        async def send():
            for frame in frames(pcm + bytes(48000)):  # a second of silence ends the last turn
                await conn.input_audio_buffer.append(audio=base64.b64encode(frame).decode())
                await asyncio.sleep(len(frame) / 48000)  # real speed, as a microphone

        sender = asyncio.create_task(send())
        waited = 0.0
        while not (sender.done() and every_turn_completed(events)):
            try:
                events.append(await asyncio.wait_for(conn.recv(), 0.5))
                waited = 0.0
            except TimeoutError:
                waited += 0.5
                assert waited < EVENT_TIMEOUT, [e.type for e in events]
        await sender
    return events


def every_turn_completed(events) -> bool:
    """Every turn the server heard has its transcript (none is in progress)."""
    count = {}
    for e in events:
        count[e.type] = count.get(e.type, 0) + 1
    started = count.get("input_audio_buffer.speech_started", 0)
    committed = count.get("input_audio_buffer.committed", 0)
    done = count.get("conversation.item.input_audio_transcription.completed", 0)
    return started > 0 and started == committed == done


def test_the_openai_sdk_transcribes_a_recording_streamed_in_real_time(
    server, alice, corpus, libri_pcm
):
    key = api_key_create(owner=alice, name="sdk")[1]
    events = asyncio.run(stream(server.url, key, libri_pcm))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["session.created", "session.updated"]
    assert events[0].session.type == "transcription"
    assert "input_audio_buffer.speech_started" in kinds
    assert "conversation.item.input_audio_transcription.delta" in kinds
    completed = [e for e in events if e.type.endswith("transcription.completed")]
    heard = " ".join(e.transcript for e in completed)
    assert wer((corpus / "libri_2412-153948-0000.txt").read_text(), heard) < 0.35

    # The server saves once it sees the socket close.
    transcript = wait_until(lambda: Transcript.objects.filter(owner=alice, status="done").first())
    assert transcript.duration == pytest.approx(len(libri_pcm) / 48000 + 1.0, abs=0.001)
    assert transcript.segments.count() == len([e for e in completed if e.transcript])


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")
