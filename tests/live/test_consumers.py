"""The live page's socket through the real ASGI stack, with the real local engine (tiny.en)."""

import asyncio
import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from apps.core.media import probe
from apps.jobs.models import JobStatus
from apps.live.models import LiveSession
from apps.transcripts.models import Transcript
from tests.wer import wer

from .conftest import events_until, frames, live_socket, run_async

pytestmark = pytest.mark.django_db(transaction=True)


async def send_all(ws, pcm: bytes, *, real_time: bool = False) -> None:
    for frame in frames(pcm):
        await ws.send_to(bytes_data=frame)
        if real_time:  # as a microphone does: partials need audio that arrives over time
            await asyncio.sleep(len(frame) / 48000)


@database_sync_to_async
def saved(pk) -> Transcript:
    return Transcript.objects.get(pk=pk)


@run_async
async def test_it_refuses_anonymous_sockets():
    ws = live_socket(None)
    connected, _ = await ws.connect()
    assert not connected


@run_async
async def test_it_refuses_a_foreign_origin(alice, alice_cookie):
    ws = live_socket(alice_cookie, origin=b"http://evil.example")
    connected, _ = await ws.connect()
    assert not connected


@run_async
async def test_frames_in_partials_and_finals_out_and_stop_saves(
    alice, alice_cookie, libri_pcm, corpus
):
    ws = live_socket(alice_cookie, query="language=en")
    connected, _ = await ws.connect()
    assert connected
    ready = json.loads(await ws.receive_from(timeout=30))
    assert ready["type"] == "ready" and ready["offset"] == 0
    await send_all(ws, libri_pcm, real_time=True)
    await ws.send_to(text_data=json.dumps({"type": "stop"}))
    events = await events_until(ws, "saved")
    kinds = {e["type"] for e in events}
    assert {"speech_started", "partial", "final", "saved"} <= kinds
    assert "error" not in kinds
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    heard = " ".join(e["text"] for e in finals)
    assert wer((corpus / "libri_2412-153948-0000.txt").read_text(), heard) < 0.35
    assert all(f["words"] and f["start"] < f["end"] for f in finals)

    transcript = await saved(events[-1]["transcript"])
    sent_seconds = len(libri_pcm) / 48000
    assert transcript.status == JobStatus.DONE
    assert transcript.duration == pytest.approx(sent_seconds, abs=0.001)
    assert probe(Path(transcript.media.path)).duration == pytest.approx(sent_seconds, abs=0.05)
    assert transcript.text == " ".join(f["text"] for f in finals)
    count = await database_sync_to_async(transcript.segments.count)()
    assert count == len(finals)
    await ws.disconnect()


@run_async
async def test_another_user_cannot_continue_a_recording(alice, alice_cookie, bob_cookie, jfk_pcm):
    ws = live_socket(alice_cookie)
    await ws.connect()
    ready = json.loads(await ws.receive_from(timeout=30))
    await ws.send_to(text_data=json.dumps({"type": "stop"}))
    await events_until(ws, "saved")
    await ws.disconnect()

    intruder = live_socket(bob_cookie, query=f"transcript={ready['transcript']}")
    await intruder.connect()
    error = json.loads(await intruder.receive_from(timeout=30))
    assert error == {"type": "error", "code": "not_found",
                     "message": "No live recording of yours has this id."}  # fmt: skip
    assert await intruder.receive_output(timeout=5) == {"type": "websocket.close", "code": 4400}


@run_async
async def test_a_dropped_connection_keeps_what_arrived_and_can_be_continued(
    alice, alice_cookie, jfk_pcm
):
    ws = live_socket(alice_cookie)
    await ws.connect()
    first = json.loads(await ws.receive_from(timeout=30))
    await send_all(ws, jfk_pcm[: 48000 * 3])  # 3 s, then the network goes
    await ws.disconnect(timeout=30)
    transcript = await saved(first["transcript"])
    assert transcript.status == JobStatus.DONE
    assert transcript.duration == pytest.approx(3.0)

    again = live_socket(alice_cookie, query=f"transcript={first['transcript']}")
    await again.connect()
    ready = json.loads(await again.receive_from(timeout=30))
    assert ready["transcript"] == first["transcript"]
    assert ready["offset"] == pytest.approx(3.0)
    await send_all(again, jfk_pcm[48000 * 3 :])
    await again.send_to(text_data=json.dumps({"type": "stop"}))
    events = await events_until(again, "saved")
    assert events[-1]["duration"] == pytest.approx(len(jfk_pcm) / 48000, abs=0.001)
    finals = [e for e in events if e["type"] == "final"]
    assert finals and all(f["start"] >= 3.0 - 0.3 for f in finals)
    await again.disconnect()


@run_async
async def test_bad_frames_get_clear_errors_and_the_session_goes_on(alice, alice_cookie, jfk_pcm):
    ws = live_socket(alice_cookie)
    await ws.connect()
    await ws.receive_from(timeout=30)
    await ws.send_to(bytes_data=b"\x00" * 4801)
    assert json.loads(await ws.receive_from(timeout=10))["code"] == "invalid_audio"
    await ws.send_to(bytes_data=b"\x00" * (48000 * 2))  # two seconds in one frame
    assert json.loads(await ws.receive_from(timeout=10))["code"] == "invalid_audio"
    await ws.send_to(text_data="{not json")
    assert json.loads(await ws.receive_from(timeout=10))["code"] == "invalid_event"
    await ws.send_to(text_data=json.dumps({"type": "dance"}))
    assert json.loads(await ws.receive_from(timeout=10))["code"] == "invalid_event"
    await send_all(ws, jfk_pcm[:48000])
    await ws.send_to(text_data=json.dumps({"type": "stop"}))
    events = await events_until(ws, "saved")
    assert events[-1]["duration"] == pytest.approx(1.0)
    await ws.disconnect()


@run_async
async def test_the_per_user_session_cap(alice, alice_cookie, settings):
    settings.VOICEPORTAL_LIVE_MAX_SESSIONS = 1
    first = live_socket(alice_cookie)
    await first.connect()
    assert json.loads(await first.receive_from(timeout=30))["type"] == "ready"
    second = live_socket(alice_cookie)
    await second.connect()
    error = json.loads(await second.receive_from(timeout=30))
    assert error["type"] == "error" and error["code"] == "session_limit"
    await first.send_to(text_data=json.dumps({"type": "stop"}))
    await events_until(first, "saved")
    await first.disconnect()


@run_async
async def test_the_session_length_cap_ends_and_saves(alice, alice_cookie, settings, jfk_pcm):
    settings.VOICEPORTAL_LIVE_MAX_SECONDS = 2
    ws = live_socket(alice_cookie)
    await ws.connect()
    await ws.receive_from(timeout=30)
    await send_all(ws, jfk_pcm[: 48000 * 4])
    events = await events_until(ws, "saved")
    errors = [e for e in events if e["type"] == "error"]
    assert [e["code"] for e in errors] == ["session_length"]
    assert events[-1]["duration"] == pytest.approx(2.0)
    await ws.disconnect()


@run_async
async def test_a_session_that_never_sends_is_ended(alice, alice_cookie, settings):
    settings.VOICEPORTAL_LIVE_IDLE_SECONDS = 0
    settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS = 0.1
    ws = live_socket(alice_cookie)
    await ws.connect()
    await ws.receive_from(timeout=30)
    events = await events_until(ws, "saved", timeout=30)
    assert events[0]["code"] == "idle"
    session = await database_sync_to_async(LiveSession.objects.get)(owner=alice)
    assert session.status == JobStatus.DONE
    await ws.disconnect()


@run_async
async def test_audio_ten_times_faster_than_real_time_lags_captions_but_keeps_the_recording(
    alice, alice_cookie, settings, jfk_pcm
):
    local = settings.STREAMING_SPEECH_TO_TEXT["local"]
    options = {**local["OPTIONS"], "max_backlog_seconds": 1.0}
    settings.STREAMING_SPEECH_TO_TEXT = {"local": {**local, "OPTIONS": options}}
    ws = live_socket(alice_cookie)
    await ws.connect()
    await ws.receive_from(timeout=30)
    sent = jfk_pcm * 3
    for frame in frames(sent):
        await ws.send_to(bytes_data=frame)
        await asyncio.sleep(len(frame) / 48000 / 10)
    await ws.send_to(text_data=json.dumps({"type": "stop"}))
    events = await events_until(ws, "saved")
    lags = [e for e in events if e["type"] == "lagging"]
    assert lags and max(e["behind"] for e in lags) <= 1.0  # the backlog stays bounded
    assert sum(e["dropped"] for e in lags) > 0
    assert events[-1]["duration"] == pytest.approx(len(sent) / 48000, abs=0.001)
    await ws.disconnect()


def use_assemblyai(settings, fake) -> None:
    """Live sessions relayed to the fake AssemblyAI server, with the key kept on the server."""
    settings.STREAMING_SPEECH_TO_TEXT = {"assemblyai": {
        "BACKEND": "apps.engines.stt.streaming.assemblyai.AssemblyAIStreaming",
        "OPTIONS": {"api_key": "aai-secret", "api_host": fake.ws_host}}}  # fmt: skip
    settings.STREAMING_SPEECH_TO_TEXT_DEFAULT = "assemblyai"


@run_async
async def test_a_cloud_engine_is_relayed_with_its_key_kept_on_the_server(
    alice, alice_cookie, settings
):
    from tests.fakes.assemblyai_streaming_server import FakeAssemblyAIStreamingServer

    with FakeAssemblyAIStreamingServer(api_key="aai-secret") as fake:
        use_assemblyai(settings, fake)
        ws = live_socket(alice_cookie)
        await ws.connect()
        await ws.receive_from(timeout=30)
        await send_all(ws, bytes(48000 * 2))
        await ws.send_to(text_data=json.dumps({"type": "stop"}))
        events = await events_until(ws, "saved")
        await ws.disconnect()
    finals = [e for e in events if e["type"] == "final"]
    assert [f["text"] for f in finals] == ["Turn number 1.", "Turn number 2."]
    assert "aai-secret" not in json.dumps(events)
    transcript = await saved(events[-1]["transcript"])
    assert transcript.text == "Turn number 1. Turn number 2."
    assert transcript.duration == pytest.approx(2.0)


@run_async
async def test_an_engine_that_fails_mid_session_ends_it_saved_and_closes_the_socket(
    alice, alice_cookie, settings
):
    from tests.fakes.assemblyai_streaming_server import FakeAssemblyAIStreamingServer

    with FakeAssemblyAIStreamingServer(api_key="aai-secret", hang_up_after=48000 * 2) as fake:
        use_assemblyai(settings, fake)
        ws = live_socket(alice_cookie)
        await ws.connect()
        await ws.receive_from(timeout=30)
        await send_all(ws, bytes(48000 * 3))
        events = await events_until(ws, "saved")
        assert (await ws.receive_output(timeout=30))["type"] == "websocket.close"
    errors = [e for e in events if e["type"] == "error"]
    assert [e["code"] for e in errors] == ["unavailable"], events
    # What arrived until the engine failed is kept (later frames found the session over), in
    # the user's library, with the error on the session.
    assert 2.0 <= events[-1]["duration"] <= 3.0
    transcript = await saved(events[-1]["transcript"])
    assert transcript.owner_id == alice.pk and transcript.status == JobStatus.DONE
    session = await database_sync_to_async(LiveSession.objects.get)(owner=alice)
    assert session.status == JobStatus.FAILED and session.error == errors[0]["message"]


@run_async
async def test_deleting_the_recording_mid_session_ends_it_cleanly(alice, alice_cookie, settings):
    settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS = 0.1
    ws = live_socket(alice_cookie)
    await ws.connect()
    ready = json.loads(await ws.receive_from(timeout=30))
    await database_sync_to_async(Transcript.objects.filter(pk=ready["transcript"]).delete)()
    event = json.loads(await ws.receive_from(timeout=30))
    assert (event["type"], event["code"]) == ("error", "closed")
    await ws.send_to(bytes_data=bytes(4800))  # ignored, and nothing breaks
    await ws.disconnect()
