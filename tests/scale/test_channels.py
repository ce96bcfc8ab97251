"""Across processes through Redis: a worker's job updates reach listeners in other processes
through the channel layer, a page's socket hears of its user's jobs only, and a web server
(Daphne) waiting on an API request is woken by the worker that ran the job."""

import json

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.api.services import api_key_create
from apps.jobs.events import job_group, owner_group
from apps.transcripts.models import Transcript
from tests.live.conftest import session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.scale]


async def _subscribe(group: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def _updates_until_finished(channel: str) -> list[dict]:
    import asyncio

    layer, updates = get_channel_layer(), []
    while not updates or updates[-1]["status"] == "running":
        updates.append(await asyncio.wait_for(layer.receive(channel), 30))
    return updates


def test_a_workers_updates_reach_this_process_through_redis(workers, make_user, make_transcript):
    alice = make_user("alice")
    with transaction.atomic():  # queued at commit: we listen before the worker can start
        t = make_transcript(alice)
        channel = async_to_sync(_subscribe)(job_group("transcripts.transcript", t.pk))
    updates = async_to_sync(_updates_until_finished)(channel)
    assert updates[-1]["status"] == "done" and updates[-1]["id"] == str(t.pk)
    done = [u["progress_done"] for u in updates if "progress_done" in u]
    # One message per update: each of the six segments, in order, to the end of the file.
    assert done == sorted(done) and len(done) >= 6
    assert done[-1] == pytest.approx(Transcript.objects.get(pk=t.pk).duration, abs=0.01)


def test_an_api_request_on_one_process_is_answered_with_a_workers_result(
    workers, web, make_user, corpus
):
    alice = make_user("alice")
    key = api_key_create(owner=alice, name="scale")[1]
    response = httpx.post(
        f"{web.url}/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": ("jfk.flac", (corpus / "jfk.flac").read_bytes())},
        data={"model": "whisper-1"},
        timeout=90,
    )
    assert response.status_code == 200, response.text
    assert response.json()["text"].startswith("Segment 0.")
    t = Transcript.objects.get(owner=alice)
    assert t.status == "done" and t.attempts == 1


def test_a_pages_socket_hears_of_its_users_jobs_only(workers, make_user, make_transcript):
    alice, bob = make_user("alice"), make_user("bob")
    async_to_sync(_alice_hears_her_job_only)(alice, bob, session_cookie(alice), make_transcript)


async def _alice_hears_her_job_only(alice, bob, cookie, make_transcript):
    import asyncio

    from channels.db import database_sync_to_async

    from tests.sockets import Communicator as WebsocketCommunicator
    from voiceportal.asgi import application

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    ws = WebsocketCommunicator(application, "/ws/jobs/", headers=headers)
    assert (await ws.connect())[0]
    bobs_updates = await _subscribe(owner_group(bob.pk))  # to know when bob's job has ended
    make = database_sync_to_async(make_transcript)
    await make(bob)
    alices = await make(alice)

    updates = []
    while not updates or updates[-1].get("status") in ("queued", "running"):
        updates.append(json.loads(await ws.receive_from(timeout=30)))
    assert {(u["kind"], u["id"]) for u in updates} == {("transcripts.transcript", str(alices.pk))}
    assert updates[-1]["status"] == "done" and len(updates) >= 7  # each segment, then done
    layer = get_channel_layer()
    while (await asyncio.wait_for(layer.receive(bobs_updates), 30))["status"] == "running":
        pass
    assert await ws.receive_nothing(timeout=0.3)  # bob's job ran meanwhile: none of it here
    await ws.disconnect()
