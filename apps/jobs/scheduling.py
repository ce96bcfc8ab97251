"""Which queued job a free worker takes next. A task names a job, but the worker runs the
fairest one waiting in the task's queue instead — every job queues one task, so each task
still runs one job. Interactive kinds first (`Job.priority`), then users in turn: the user
with the fewest jobs running, then the one served least recently, then their oldest job. One
user's 200 queued files never keep another's single upload waiting behind them, and a user at
their limit of jobs running at once (quotas) waits while the others go on."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, Max, Min, Q

from .models import Job, JobStatus
from .quotas import quota_concurrent_jobs
from .registry import job_models
from .services import job_claim

NEVER = datetime.min.replace(tzinfo=UTC)


def job_claim_next(*, queue: str) -> tuple[type[Job], object] | None:
    """Claim the fairest queued job of `queue` for this process: (model, pk), or None when
    nothing may run now. Another worker may take the chosen one first: then the next (each
    miss means the queue got shorter, so this ends; giving up early would leave a job queued
    with no task to run it)."""
    while True:
        choice = job_pick(queue=queue)
        if choice is None or job_claim(*choice):
            return choice


def job_pick(*, queue: str) -> tuple[type[Job], object] | None:
    while (choice := _pick_once(queue)) is _TAKEN:
        pass  # what was read was taken meanwhile by another worker: read again
    return choice


_TAKEN = object()


def _pick_once(queue: str):
    models = [m for m in job_models() if m.queue_name == queue]
    waiting = [m for m in models if m.objects.filter(status=JobStatus.QUEUED).exists()]
    if not waiting:
        return None
    top = max(m.priority for m in waiting)
    waiting = [m for m in waiting if m.priority == top]
    owners = _oldest_queued_by_owner(waiting)
    running = _count_by_owner(models, Q(status=JobStatus.RUNNING), owners)
    last_start = _last_start_by_owner(models, owners)
    allowed = [o for o in owners if not _at_limit(o, running.get(o, 0))]
    if not allowed:
        return None
    owner = min(allowed, key=lambda o: (running.get(o, 0), last_start.get(o, NEVER), owners[o]))
    return _oldest_of(waiting, owner) or _TAKEN


def _owner_q(owner) -> Q:
    return Q(owner__isnull=True) if owner is None else Q(owner_id=owner)


def _oldest_queued_by_owner(models) -> dict:
    oldest: dict = {}
    for model in models:
        rows = (
            model.objects.filter(status=JobStatus.QUEUED)
            .values("owner_id")
            .annotate(first=Min("created_at"))
        )
        for row in rows:
            owner = row["owner_id"]
            oldest[owner] = min(oldest.get(owner, row["first"]), row["first"])
    return oldest


def _owners_q(owners) -> Q:
    q = Q(owner_id__in=[o for o in owners if o is not None])
    return q | Q(owner__isnull=True) if None in owners else q


def _count_by_owner(models, condition: Q, owners) -> dict:
    counts: dict = {}
    for model in models:
        rows = model.objects.filter(condition, _owners_q(owners)).values("owner_id")
        for row in rows.annotate(n=Count("pk")):
            counts[row["owner_id"]] = counts.get(row["owner_id"], 0) + row["n"]
    return counts


def _last_start_by_owner(models, owners) -> dict:
    last: dict = {}
    for model in models:
        rows = model.objects.filter(_owners_q(owners), started_at__isnull=False).values("owner_id")
        for row in rows.annotate(at=Max("started_at")):
            owner = row["owner_id"]
            last[owner] = max(last.get(owner, row["at"]), row["at"])
    return last


def _at_limit(owner, running: int) -> bool:
    if owner is None:  # shared work (voice previews) belongs to no one's quota
        return False
    limit = quota_concurrent_jobs(owner)
    return bool(limit) and running >= limit


def _oldest_of(models, owner) -> tuple[type[Job], object] | None:
    firsts = []
    for model in models:
        row = (
            model.objects.filter(_owner_q(owner), status=JobStatus.QUEUED)
            .order_by("created_at", "pk")
            .values("pk", "created_at")
            .first()
        )
        if row:
            firsts.append((row["created_at"], model.job_kind(), model, row["pk"]))
    if not firsts:
        return None
    _, _, model, pk = min(firsts, key=lambda f: f[:2])
    return model, pk
