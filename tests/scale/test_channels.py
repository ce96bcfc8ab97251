"""Across processes through Redis: a worker's job updates reach listeners in other processes
through the channel layer, and a web server (Daphne) waiting on an API request is woken by
the worker that ran the job."""

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.api.services import api_key_create
from apps.jobs.events import job_group
from apps.transcripts.models import Transcript

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
