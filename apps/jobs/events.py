"""Job updates through the channel layer: the worker announces each change of a job (one
message per update) to the job's group and to its owner's, and whoever waits for it — an API
request (the job's group), a page's socket (the owner's group, apps/jobs/consumers.py) — wakes
up then instead of reading the row every few milliseconds. Only with a layer that reaches other
processes (Redis); with the embedded default (in-memory, one process) waiters and pages poll the
database as before, at the same pace."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from .models import Job

logger = logging.getLogger(__name__)


ANNOUNCED = ("status", "stage", "progress_done", "progress_total", "error", "error_kind")


def _plain(value) -> bool:
    return isinstance(value, str | int | float | bool)


def job_group(kind: str, pk) -> str:
    """The group of one job: "job.transcripts-transcript.<pk>" (names allow . - _ only)."""
    return f"job.{kind.replace('.', '-')}.{pk}"


def owner_group(owner_id) -> str:
    """Every job of one user: what that user's pages listen to."""
    return f"jobs.owner.{owner_id}"


def job_push_key(job: Job) -> str:
    """How a page names the job it shows, to match the updates its socket brings
    ("transcripts.transcript:<pk>"); empty without a shared layer: the page polls then."""
    return f"{job.job_kind()}:{job.pk}" if _shared_layer() is not None else ""


def _shared_layer():
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


def job_announce(job: Job, **fields) -> None:
    """Tell the job's group what changed (the fields written, and the status). Never raises:
    a lost message only makes a waiter read the row at its next fallback poll."""
    layer = _shared_layer()
    if layer is None:
        return
    message = {"type": "job.update", "kind": job.job_kind(), "id": str(job.pk)}
    # The job's state only: not what a kind writes with it (a transcript's whole text).
    message.update((name, fields[name]) for name in ANNOUNCED if _plain(fields.get(name)))
    groups = [job_group(job.job_kind(), job.pk)]
    if job.owner_id is not None:
        groups.append(owner_group(job.owner_id))
    try:
        async_to_sync(_send_all)(layer, groups, message)
    except Exception:
        logger.warning("Could not announce %s %s", job.job_kind(), job.pk, exc_info=True)


async def _send_all(layer, groups: list[str], message: dict) -> None:
    for group in groups:
        await layer.group_send(group, message)


class JobWatch:
    """`async with JobWatch(job) as watch: ... await watch.changed(poll=0.2)` returns at the
    job's next update; without a shared layer, after `poll` seconds."""

    # With a shared layer: read the row anyway this often, in case a message was lost.
    FALLBACK_SECONDS = 2.0

    def __init__(self, job: Job):
        self.group = job_group(job.job_kind(), job.pk)
        self.layer = _shared_layer()
        self.channel = ""

    async def __aenter__(self) -> JobWatch:
        if self.layer is not None:
            try:
                channel = await self.layer.new_channel()
                await self.layer.group_add(self.group, channel)
            except Exception:  # Redis away: polling still answers
                logger.warning("Watching %s by polling", self.group, exc_info=True)
            else:
                self.channel = channel
        return self

    async def __aexit__(self, *exc) -> None:
        if self.channel:
            with suppress(Exception):
                await self.layer.group_discard(self.group, self.channel)

    async def changed(self, *, poll: float) -> dict | None:
        """The update that came (None when the time ran out first)."""
        if not self.channel:
            await asyncio.sleep(poll)
            return None
        try:
            receive = self.layer.receive(self.channel)
            return await asyncio.wait_for(receive, self.FALLBACK_SECONDS)
        except TimeoutError:
            return None
        except Exception:  # the layer went away: poll from now on
            logger.warning("Watching %s by polling", self.group, exc_info=True)
            self.channel = ""
            await asyncio.sleep(poll)
            return None
