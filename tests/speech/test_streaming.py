"""Streaming on the real stack (daphne and a speech worker, separate processes): audio reaches the
client while the worker is still synthesising; failures cut the stream off or end it with an event;
a cancelled generation's stream ends with the audio made so far."""

import asyncio
import base64
import json
import threading
import time
from pathlib import Path

import httpx
import httpx2
import openai
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from openai import OpenAI

from apps.core.storage import GrowingFile
from apps.speech import streaming
from apps.speech.models import Generation

from .conftest import decoded_seconds
from .stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Five sentences at 0.4 s of "work" each: about two seconds of synthesis.
TEXT = "One is here. Two follows. Three is next. Four comes along. Five ends it."


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        db_path = connection.settings_dict["NAME"]
    with Stack(
        db_path=db_path,
        media_root=str(django_settings.MEDIA_ROOT),
        logs=tmp_path_factory.mktemp("stack-logs"),
    ) as running:
        yield running


@pytest.fixture
def client(stack, alice_key):
    return OpenAI(base_url=f"{stack.url}/v1", api_key=alice_key, max_retries=0, timeout=60)


def row() -> Generation:
    return Generation.objects.get()


def test_the_first_audio_arrives_while_the_worker_is_still_synthesising(client, stack):
    started = time.monotonic()
    chunks, first_at, state_at_first = [], None, None
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="fake:low", input=TEXT, response_format="mp3"
    ) as response:
        for chunk in response.iter_bytes():
            if first_at is None:
                first_at = time.monotonic() - started
                g = row()
                state_at_first = (g.status, g.sentences_done, g.sentences_total)
            chunks.append(chunk)
    total = time.monotonic() - started
    status, done, sentences = state_at_first
    assert status == "running" and done < sentences == 5, stack.log_tail()
    assert first_at < total - 1.0, (first_at, total)  # ~4 sentences were still to come
    g = row()
    assert g.status == "done" and g.finished_at
    assert decoded_seconds(b"".join(chunks), "mp3") == pytest.approx(g.duration, abs=0.1)


def test_stream_to_file_writes_as_the_audio_arrives(client, tmp_path):
    target = tmp_path / "speech.wav"
    sizes_while_running = []

    def download():
        with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="fake:high", input=TEXT, response_format="wav"
        ) as response:
            response.stream_to_file(target)

    runner = threading.Thread(target=download)
    runner.start()
    while runner.is_alive():
        g = Generation.objects.first()
        if g and g.status == "running" and target.exists():
            sizes_while_running.append(target.stat().st_size)
        time.sleep(0.05)
    runner.join()
    assert any(size > 44 for size in sizes_while_running), "the file grew during synthesis"
    assert decoded_seconds(target.read_bytes(), "wav") == pytest.approx(row().duration, abs=0.05)


def test_sse_deltas_arrive_before_the_end(client):
    types_at = []
    started = time.monotonic()
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="fake:low",
        input=TEXT,
        response_format="opus",
        stream_format="sse",
    ) as response:
        audio = b""
        for line in response.iter_lines():
            if line:
                event = json.loads(line.removeprefix("data: "))
                types_at.append((event["type"], time.monotonic() - started, row().status))
                audio += base64.b64decode(event.get("audio", ""))
    assert types_at[0][0] == "speech.audio.delta" and types_at[0][2] == "running"
    assert types_at[-1][0] == "speech.audio.done"
    assert types_at[-1][1] - types_at[0][1] > 1.0
    assert decoded_seconds(audio, "opus") == pytest.approx(row().duration, abs=0.1)


def test_a_failure_mid_stream_cuts_the_audio_off_so_the_client_sees_it(client):
    received = b""
    # The chunked body never gets its last chunk.
    cut_off = pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read")
    with (
        client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="fakefail:low", input=TEXT, response_format="pcm"
        ) as response,
        cut_off,
    ):
        for chunk in response.iter_bytes():
            received += chunk
    g = row()
    assert g.status == "failed" and g.error_kind == "unavailable"
    # The first sentence, "One is here." at 0.05 s a character, and nothing after it.
    assert decoded_seconds(received, "pcm") == pytest.approx(0.6, abs=0.01)


def test_a_failure_mid_stream_fails_a_plain_create(client):
    with pytest.raises(openai.APIConnectionError):
        client.audio.speech.create(model="tts-1", voice="fakefail:low", input=TEXT)
    assert row().status == "failed"


def test_a_failure_mid_stream_ends_sse_with_an_error_event(client):
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="fakefail:low", input=TEXT, stream_format="sse"
    ) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines() if line]
    assert events[0]["type"] == "speech.audio.delta"
    assert "fake engine failed" in events[-1]["error"]["message"]
    assert events[-1]["error"]["code"] == "unavailable"


@pytest.fixture
def browser(stack, alice):
    """An httpx client logged in as alice, with the CSRF token the studio's forms send."""
    logged_in = Client()
    logged_in.force_login(alice)
    cookies = {django_settings.SESSION_COOKIE_NAME: logged_in.cookies["sessionid"].value}
    with httpx.Client(base_url=stack.url, cookies=cookies, timeout=30) as http:
        page = http.get("/speech/")
        http.csrf_token = page.cookies.get("csrftoken") or http.cookies.get("csrftoken")
        yield http


def generate_in_studio(browser, voice="fake:low", audio_format="mp3") -> Generation:
    data = {
        "text": TEXT,
        "voice": voice,
        "format": audio_format,
        "csrfmiddlewaretoken": browser.csrf_token,
    }
    created = browser.post("/speech/generate/", data=data, headers={"HX-Request": "true"})
    assert created.status_code == 200, created.text[:500]
    return row()


def test_the_studio_stream_plays_while_synthesising(browser):
    g = generate_in_studio(browser)
    with browser.stream("GET", f"/speech/{g.pk}/stream/") as audio:
        assert audio.headers["content-type"] == "audio/mpeg"
        pieces = audio.iter_bytes()
        first = next(pieces)
        assert first and row().status in ("queued", "running")
        rest = b"".join(pieces)
    assert row().status == "done"
    assert first + rest == Path(row().audio.path).read_bytes()


def test_the_studio_stream_is_cut_off_when_the_synthesis_fails(browser):
    g = generate_in_studio(browser, voice="fakefail:low", audio_format="pcm")
    received = b""
    with browser.stream("GET", g.stream_url) as audio, pytest.raises(httpx.RemoteProtocolError):
        for piece in audio.iter_bytes():
            received += piece
    assert row().status == "failed"
    assert decoded_seconds(received[44:], "pcm") == pytest.approx(0.6, abs=0.01)


def test_cancelling_ends_the_studio_stream_with_the_audio_made_so_far(browser):
    g = generate_in_studio(browser, audio_format="wav")
    with browser.stream("GET", f"/speech/{g.pk}/stream/") as audio:
        pieces = audio.iter_bytes()
        received = next(pieces)
        cancelled = browser.post(
            f"/speech/{g.pk}/cancel/",
            data={"csrfmiddlewaretoken": browser.csrf_token},
            headers={"HX-Request": "true", "HX-Target": "gen-progress"},
        )
        assert cancelled.status_code == 200 and "Cancelling" in cancelled.text
        received += b"".join(pieces)  # ends normally
    g = row()
    assert g.status == "cancelled" and 0 < g.duration < 3.0, g.duration
    assert received[44:] == Path(g.audio.path).read_bytes()[44:]  # the file's sizes are patched
    assert decoded_seconds(Path(g.audio.path).read_bytes(), "wav") == pytest.approx(
        g.duration, abs=0.01
    )


def test_listeners_in_one_process_share_their_row_reads_each_getting_its_own_ending(
    alice, make_generation, queued, monkeypatch
):
    """Done, failed and deleted generations followed at once: each listener ends as its own
    row says (its audio whole), and they learn it from shared reads, not one query each."""
    done, failed, gone = (make_generation(alice) for _ in range(3))
    out = GrowingFile(done.audio.name, storage=done.audio.storage)
    out.write(b"audio of the done one")
    out.close()
    Generation.objects.filter(pk=done.pk).update(status="done")
    Generation.objects.filter(pk=failed.pk).update(status="failed", error="No voice today.")
    gone.delete()
    reads = []
    read = streaming._Rows._read

    async def counted(rows):
        reads.append(set(rows.followed))
        await read(rows)

    monkeypatch.setattr(streaming._Rows, "_read", counted)

    async def listen(generation):
        audio = streaming.GrowingAudio(generation)
        try:
            return b"".join([data async for data in audio.chunks()])
        except streaming.SynthesisFailed as exc:
            return exc.message

    async def all_three():
        return await asyncio.gather(*(listen(g) for g in (done, failed, gone)))

    assert async_to_sync(all_three)() == [
        b"audio of the done one",
        "No voice today.",
        "The generation was deleted.",
    ]
    assert len(reads) <= 2  # not one each: one for all, or two when one listener came late
