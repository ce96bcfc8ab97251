"""Cloud streaming engines, relayed through their official SDKs to local fake servers that speak
each wire protocol: the provider's partial and final events become the portal's."""

import asyncio

import pytest

from apps.engines.stt.streaming.assemblyai import AssemblyAIStreaming
from apps.engines.stt.streaming.base import (
    Final,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamError,
)
from apps.engines.stt.streaming.elevenlabs import ElevenLabsRealtimeStreaming
from apps.engines.stt.streaming.openai import OpenAIRealtimeStreaming
from tests.fakes.assemblyai_streaming_server import FakeAssemblyAIStreamingServer
from tests.fakes.elevenlabs_realtime_server import FakeElevenLabsRealtimeServer
from tests.fakes.openai_realtime_server import FakeOpenAIRealtimeServer

SECOND = bytes(48000)  # one second of PCM16 24 kHz silence
HALF = bytes(24000)


async def run(backend, config: StreamConfig, audio: bytes, *, commit=False) -> list:
    session = await backend.open(config)
    events = []

    async def read():
        async for event in session.events():
            events.append(event)

    reader = asyncio.create_task(read())
    for i in range(0, len(audio), 4800):
        await session.send(audio[i : i + 4800])
    if commit:
        await session.commit()
    await session.finish()
    await asyncio.wait_for(reader, 30)
    await session.close()
    return events


@pytest.fixture
def openai_fake():
    with FakeOpenAIRealtimeServer() as server:
        yield server


def openai_backend(server, key="sk-test-123"):
    return OpenAIRealtimeStreaming(
        alias="openai", api_key=key, base_url="http://127.0.0.1:1/v1",
        websocket_base_url=server.ws_url,
    )  # fmt: skip


def test_openai_relay_maps_vad_turns_to_partials_and_finals(openai_fake):
    config = StreamConfig(model="gpt-4o-mini-transcribe", language="en", offset=10.0)
    events = asyncio.run(run(openai_backend(openai_fake), config, SECOND * 2 + HALF))
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.segment.text for f in finals] == [
        " Utterance number 1.", " Utterance number 2.", " Utterance number 3."]  # fmt: skip
    assert [(f.segment.start, f.segment.end) for f in finals] == [
        (10.0, 11.0), (11.0, 12.0), (12.0, 12.5)]  # fmt: skip
    assert [f.utterance for f in finals] == [0, 1, 2]
    partials = [e for e in events if isinstance(e, Partial) and e.utterance == 0]
    assert [p.text for p in partials] == ["Utterance", "Utterance number 1."]
    assert any(isinstance(e, SpeechStarted) for e in events)
    assert any(isinstance(e, SpeechStopped) for e in events)
    assert openai_fake.received_bytes == len(SECOND) * 2 + len(HALF)
    update = openai_fake.client_events[0]
    assert update["session"]["audio"]["input"]["transcription"]["model"] == (
        "gpt-4o-mini-transcribe")  # fmt: skip
    headers = openai_fake.connections[0]["headers"]
    assert headers["authorization"] == "Bearer sk-test-123"


def test_openai_relay_commits_by_hand_without_turn_detection(openai_fake):
    config = StreamConfig(model="whisper-1", turn_detection=False)
    events = asyncio.run(run(openai_backend(openai_fake), config, SECOND * 3, commit=True))
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.segment.text for f in finals] == [" Utterance number 1."]
    assert not any(isinstance(e, SpeechStarted) for e in events)
    assert not any(isinstance(e, StreamError) for e in events)


def test_openai_relay_reports_a_rejected_key(openai_fake):
    from apps.engines.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        asyncio.run(run(openai_backend(openai_fake, key="sk-wrong"), StreamConfig(), SECOND))
    assert caught.value.kind == "authentication"


@pytest.fixture
def assemblyai_fake():
    with FakeAssemblyAIStreamingServer() as server:
        yield server


def assemblyai_backend(server, key="aai-test-key"):
    return AssemblyAIStreaming(alias="assemblyai", api_key=key, api_host=server.ws_host)


def test_assemblyai_relay_maps_turns_to_partials_and_finals(assemblyai_fake):
    config = StreamConfig(model="universal-streaming-english", offset=5.0)
    events = asyncio.run(run(assemblyai_backend(assemblyai_fake), config, SECOND * 2 + HALF))
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.segment.text for f in finals] == [
        " Turn number 1.", " Turn number 2.", " Turn number 3."]  # fmt: skip
    assert [(f.segment.start, f.segment.end) for f in finals] == [
        (5.0, 6.0), (6.0, 7.0), (7.0, 7.5)]  # fmt: skip
    assert [w.word for w in finals[0].segment.words] == [" Turn", " number 1."]
    partial = next(e for e in events if isinstance(e, Partial))
    assert (partial.text, partial.stable) == ("turn number 1", "turn")
    assert assemblyai_fake.params["sample_rate"] == "24000"
    assert assemblyai_fake.params["encoding"] == "pcm_s16le"
    assert assemblyai_fake.received_bytes == len(SECOND) * 2 + len(HALF)
    # Chunks within AssemblyAI's 50–1000 ms.
    assert all(2400 <= size <= 48000 for size in assemblyai_fake.chunk_sizes)


def test_assemblyai_relay_reports_a_rejected_key(assemblyai_fake):
    from apps.engines.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        asyncio.run(run(assemblyai_backend(assemblyai_fake, key="wrong"), StreamConfig(), SECOND))
    assert caught.value.kind == "authentication"


@pytest.fixture
def elevenlabs_fake():
    with FakeElevenLabsRealtimeServer() as server:
        yield server


def elevenlabs_backend(server, key="xi-test-key"):
    return ElevenLabsRealtimeStreaming(alias="elevenlabs", api_key=key, base_url=server.base_url)


def test_elevenlabs_relay_maps_commits_to_finals(elevenlabs_fake):
    config = StreamConfig(language="en", offset=1.0)
    events = asyncio.run(run(elevenlabs_backend(elevenlabs_fake), config, SECOND * 2 + HALF))
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.segment.text for f in finals] == [" Segment 1.", " Segment 2.", " Segment 3."]
    assert [(f.segment.start, f.segment.end) for f in finals] == [
        (1.0, 2.0), (2.0, 3.0), (3.0, 3.5)]  # fmt: skip
    assert [w.word for w in finals[0].segment.words] == [" Segment", " 1."]
    assert any(isinstance(e, Partial) and e.text == "segment" for e in events)
    assert elevenlabs_fake.params["audio_format"] == "pcm_24000"
    assert elevenlabs_fake.params["commit_strategy"] == "vad"
    assert elevenlabs_fake.received_bytes == len(SECOND) * 2 + len(HALF)


def test_elevenlabs_relay_reports_a_rejected_key(elevenlabs_fake):
    from apps.engines.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        asyncio.run(run(elevenlabs_backend(elevenlabs_fake, key="nope"), StreamConfig(), SECOND))
    assert caught.value.kind == "authentication"
