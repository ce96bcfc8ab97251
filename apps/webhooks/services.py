"""Writes for webhooks: the signing secret, endpoints, one-off URLs given with an API request,
and deliveries — made in the worker when a job ends, posted by a task on the "webhooks" queue,
retried with growing waits, and the endpoint disabled after too many failures in a row."""

import json
import logging
import time
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.sealing import SealBroken, seal, unseal
from apps.jobs.models import Job, JobStatus
from apps.jobs.registry import job_models

from . import transport
from .models import WebhookDelivery, WebhookEndpoint, WebhookSecret, WebhookSubscription
from .signing import msg_id_generate, secret_generate, signed_headers

logger = logging.getLogger(__name__)

QUEUE = "webhooks"
# Seconds to wait before each retry: the first within 10 s, then longer (about 7 h in all).
BACKOFF_SECONDS = (5, 30, 120, 600, 1800, 7200, 18000)
ROTATION_GRACE = timedelta(hours=24)
OUTCOMES = {JobStatus.DONE: "completed", JobStatus.FAILED: "failed"}
Status = WebhookDelivery.Status


def event_types() -> list[str]:
    """Every event a job kind can send: `<event_name>.completed` and `.failed`."""
    names = sorted({m.event_name for m in job_models() if m.event_name})
    return [f"{name}.{outcome}" for name in names for outcome in OUTCOMES.values()]


# --- The secret, endpoints, one-off URLs ---------------------------------------------------------


def secret_get(*, owner) -> str:
    """The owner's signing secret, made on first use."""
    return unseal(_secret_row(owner).secret)


def _secret_row(owner) -> WebhookSecret:
    row, _ = WebhookSecret.objects.get_or_create(
        owner=owner, defaults={"secret": seal(secret_generate())}
    )
    try:
        unseal(row.secret)
    except SealBroken:
        # SECRET_KEY changed without a fallback: the old secret is gone for good; a new one
        # (receivers must be told it, as after a rotation).
        row.secret, row.previous_secret = seal(secret_generate()), ""
        row.rotated_at = timezone.now()
        row.save(update_fields=["secret", "previous_secret", "rotated_at"])
    return row


def secret_rotate(*, owner) -> str:
    """A new secret. For ROTATION_GRACE messages carry a signature by the old one too, so a
    receiver still on it keeps verifying while it is updated."""
    current = _secret_row(owner).secret
    secret = secret_generate()
    WebhookSecret.objects.filter(owner=owner).update(
        secret=seal(secret), previous_secret=current, rotated_at=timezone.now()
    )
    return secret


def signing_secrets(*, owner) -> list[str]:
    """The secrets a message is signed with now: the current one, and the previous one while
    the rotation's grace lasts."""
    row = _secret_row(owner)
    secrets = [unseal(row.secret)]
    recent = row.rotated_at and timezone.now() - row.rotated_at < ROTATION_GRACE
    if recent and row.previous_secret:
        with suppress(SealBroken):
            secrets.append(unseal(row.previous_secret))
    return secrets


def webhook_url_validate(url: str) -> str:
    """An http(s) URL whose host resolves to public addresses only (unless private targets are
    allowed). Raises ValidationError saying why not."""
    url = url.strip()
    URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")(url)
    try:
        transport.target_check(url)
    except transport.DeliveryError as exc:
        raise ValidationError(exc.message) from None
    return url


def endpoint_create(*, owner, url: str, description: str = "", events=()) -> WebhookEndpoint:
    url = webhook_url_validate(url)
    unknown = set(events) - set(event_types())
    if unknown:
        raise ValidationError(f"Unknown event types: {', '.join(sorted(unknown))}.")
    return WebhookEndpoint.objects.create(
        owner=owner, url=url, description=description.strip()[:100], events=sorted(events)
    )


def endpoint_delete(*, owner, endpoint_id) -> bool:
    deleted, _ = WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).delete()
    return bool(deleted)


def endpoint_enable(*, owner, endpoint_id) -> bool:
    """Turn a disabled endpoint on again, its failure count cleared."""
    return bool(
        WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).update(
            enabled=True, failures_in_a_row=0, disabled_at=None, disabled_reason=""
        )
    )


def subscription_create(*, owner, job: Job, url: str) -> WebhookSubscription:
    """Tell `url` when this job ends (the API's `webhook_url`). Create it in the transaction
    that queues the job, so the job cannot end first."""
    return WebhookSubscription.objects.create(
        owner=owner, job_kind=job.job_kind(), job_id=str(job.pk), url=webhook_url_validate(url)
    )


# --- Deliveries ------------------------------------------------------------------------------


def deliveries_create(*, job: Job, status: str) -> list[WebhookDelivery]:
    """One delivery per endpoint of the job's owner that wants the event, and per URL given
    with the job; each is queued. Only the owner's own endpoints are ever told."""
    outcome = OUTCOMES.get(status)
    if not type(job).event_name or outcome is None or not job.owner_id:
        return []
    event_type = f"{type(job).event_name}.{outcome}"
    endpoints = WebhookEndpoint.objects.filter(owner_id=job.owner_id, enabled=True)
    targets = [(e, e.url) for e in endpoints if e.wants(event_type)]
    subscriptions = WebhookSubscription.objects.filter(
        owner_id=job.owner_id, job_kind=job.job_kind(), job_id=str(job.pk)
    )
    targets += [(None, s.url) for s in subscriptions]
    if not targets:
        return []
    body = _body(event_type, job)
    now = timezone.now()
    deliveries = [
        WebhookDelivery.objects.create(
            owner_id=job.owner_id,
            endpoint=endpoint,
            url=url,
            event_type=event_type,
            msg_id=msg_id_generate(),
            body=body,
            next_attempt_at=now,
        )
        for endpoint, url in targets
    ]
    for delivery in deliveries:
        _enqueue(delivery.pk)
    return deliveries


def _body(event_type: str, job: Job) -> str:
    when = job.finished_at or timezone.now()
    payload = {
        "type": event_type,
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "data": job.event_data(),
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _enqueue(delivery_id: int, run_after=None) -> None:
    from .tasks import deliver_webhook  # the task calls this module

    task = deliver_webhook.using(queue_name=QUEUE)
    if run_after is not None:
        if not task.get_backend().supports_defer:
            # A backend that cannot wait (tests' immediate one) would retry at once, in a loop.
            logger.warning("The task backend cannot defer; webhook %s waits", delivery_id)
            return
        task = task.using(run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(delivery_id))


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Post the delivery once (in a worker), if it is due and nobody else is posting it;
    schedule the next try on failure. Returns the delivery, or None when it was not ours."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=[Status.PENDING, Status.RETRYING],
        next_attempt_at__lte=now + timedelta(seconds=1),
    ).update(status=Status.SENDING, attempted_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.endpoint and not delivery.endpoint.enabled:
        _attempt_failed(delivery, "The endpoint is disabled.", permanent=True, count=False)
        return delivery
    headers = signed_headers(
        signing_secrets(owner=delivery.owner),
        msg_id=delivery.msg_id,
        timestamp=int(time.time()),
        body=delivery.body,
    )
    try:
        reply = transport.post(
            delivery.url,
            delivery.body.encode(),
            headers,
            timeout=settings.VOICEPORTAL_WEBHOOK_TIMEOUT_SECONDS,
        )
    except transport.DeliveryError as exc:
        _attempt_failed(delivery, exc.message, permanent=exc.permanent)
    else:
        if 200 <= reply.status < 300:
            _attempt_succeeded(delivery, reply.status)
        else:
            message = f"HTTP {reply.status}: {reply.text.strip()[:200]}".strip(": ")
            _attempt_failed(delivery, message, response_status=reply.status)
    delivery.refresh_from_db()
    return delivery


def _attempt_succeeded(delivery: WebhookDelivery, response_status: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SUCCEEDED,
        attempts=F("attempts") + 1,
        response_status=response_status,
        error="",
        next_attempt_at=None,
        delivered_at=timezone.now(),
    )
    if delivery.endpoint_id:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(failures_in_a_row=0)


def _attempt_failed(
    delivery: WebhookDelivery,
    message: str,
    *,
    permanent: bool = False,
    response_status: int | None = None,
    count: bool = True,
) -> None:
    attempts = delivery.attempts + 1
    retry = not permanent and attempts <= len(BACKOFF_SECONDS)
    fields = {"attempts": attempts, "response_status": response_status, "error": message[:500]}
    when = None
    if retry:
        when = timezone.now() + timedelta(seconds=BACKOFF_SECONDS[attempts - 1])
        fields |= {"status": Status.RETRYING, "next_attempt_at": when}
    else:
        fields |= {"status": Status.FAILED, "next_attempt_at": None}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if delivery.endpoint_id and count:
        _endpoint_failed(delivery.endpoint_id, message)
    if retry:
        _enqueue(delivery.pk, run_after=when)


def _endpoint_failed(endpoint_id: int, message: str) -> None:
    """Count a failure; past VOICEPORTAL_WEBHOOK_DISABLE_AFTER in a row, disable the endpoint
    with the reason shown on the account page."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    limit = settings.VOICEPORTAL_WEBHOOK_DISABLE_AFTER
    reason = f"Disabled after {limit} failed attempts in a row; the last: {message}"[:500]
    WebhookEndpoint.objects.filter(
        pk=endpoint_id, enabled=True, failures_in_a_row__gte=limit
    ).update(enabled=False, disabled_at=timezone.now(), disabled_reason=reason)


def delivery_redeliver(*, owner, delivery_id) -> bool:
    """Send a delivery again now (same id and body, a fresh signature). False for another
    user's delivery, or one being sent at this moment."""
    now = timezone.now()
    stuck = now - timedelta(seconds=2 * settings.VOICEPORTAL_WEBHOOK_TIMEOUT_SECONDS)
    updated = (
        WebhookDelivery.objects.filter(pk=delivery_id, owner=owner)
        .filter(~Q(status=Status.SENDING) | Q(attempted_at__lt=stuck))
        .update(status=Status.PENDING, next_attempt_at=now)
    )
    if updated:
        _enqueue(delivery_id)
    return bool(updated)
