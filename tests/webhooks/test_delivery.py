"""Deliveries: signed per Standard Webhooks (checked with the `standardwebhooks` package) to a
real local receiver, retried with growing waits, never to another user, and refused for
private targets unless allowed."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks import Webhook

from apps.jobs.runner import job_run
from apps.transcripts.models import Transcript
from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.transport import _is_public

pytestmark = pytest.mark.django_db


def verified(secret: str, request) -> dict:
    headers, body = request
    return Webhook(secret).verify(body, headers)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call as a worker would: what it queues on commit is queued."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def make_due(delivery_id):
    """As if the wait before the next try were over (the worker's queue waits for real)."""
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())


def test_a_finished_transcription_is_delivered_signed(
    alice, make_transcript, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(owner=alice, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        transcript = make_transcript(alice)
    assert len(receiver.requests) == 1
    payload = verified(services.secret_get(owner=alice), receiver.requests[0])
    assert payload["type"] == "transcription.completed"
    assert payload["data"]["id"] == str(transcript.pk)
    assert payload["data"]["status"] == "done"
    assert "Segment 0." in payload["data"]["text"]
    assert payload["timestamp"].endswith("Z")
    headers = {k.lower(): v for k, v in receiver.requests[0][0].items()}
    assert headers["webhook-id"].startswith("msg_")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 200)


def test_a_signature_from_another_secret_does_not_verify(
    alice, bob, make_transcript, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(owner=alice, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(alice)
    with pytest.raises(Exception, match="No matching signature"):
        verified(services.secret_get(owner=bob), receiver.requests[0])


def test_a_failed_job_sends_its_failure(
    alice, make_transcript, receiver, settings, django_capture_on_commit_callbacks
):
    settings.SPEECH_TO_TEXT = {
        **settings.SPEECH_TO_TEXT,
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"fail_with": "unavailable"},
        },
    }
    services.endpoint_create(
        owner=alice, url=receiver.url, events=["transcription.failed", "analysis.completed"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(alice)
    payload = verified(services.secret_get(owner=alice), receiver.requests[0])
    assert payload["type"] == "transcription.failed"
    assert (
        payload["data"]["status"] == "failed" and "fake engine failed" in payload["data"]["error"]
    )


def test_an_endpoint_hears_only_the_events_it_asked_for(
    alice, make_transcript, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(owner=alice, url=receiver.url, events=["transcription.failed"])
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(alice)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_nothing_is_delivered_for_another_users_jobs(
    alice, bob, make_transcript, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(owner=alice, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(bob)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_with_growing_waits_under_the_same_id(
    alice, make_transcript, receiver, queued, run
):
    receiver.statuses = [500, 503, 200]
    services.endpoint_create(owner=alice, url=receiver.url)
    transcript = make_transcript(alice)
    run(job_run, model=Transcript, job_id=transcript.pk)  # the job's worker: the delivery
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(3):
        task = queued.results[-1].task
        assert task.name == "deliver_webhook" and task.queue_name == "webhooks"
        before = timezone.now()
        if task.run_after is not None:
            waits.append((task.run_after - before).total_seconds())
            make_due(delivery.pk)
        run(services.delivery_attempt, delivery_id=delivery.pk)
    assert 0 < waits[0] <= 10 and waits[1] > waits[0], waits
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    secret = services.secret_get(owner=alice)
    ids = {verified(secret, r) and r[0]["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1


def test_a_delivery_not_yet_due_is_not_sent_early(alice, make_transcript, receiver, queued, run):
    receiver.statuses = [500]
    services.endpoint_create(owner=alice, url=receiver.url)
    run(job_run, model=Transcript, job_id=make_transcript(alice).pk)
    delivery = WebhookDelivery.objects.get()
    run(services.delivery_attempt, delivery_id=delivery.pk)
    assert run(services.delivery_attempt, delivery_id=delivery.pk) is None  # its wait is not over
    assert len(receiver.requests) == 1


def test_retries_stop_and_the_endpoint_is_disabled_after_repeated_failure(
    alice, make_transcript, receiver, queued, settings, run
):
    settings.VOICEPORTAL_WEBHOOK_DISABLE_AFTER = 3
    receiver.statuses = [500]
    endpoint = services.endpoint_create(owner=alice, url=receiver.url)
    run(job_run, model=Transcript, job_id=make_transcript(alice).pk)
    delivery = WebhookDelivery.objects.get()
    for _ in range(4):
        make_due(delivery.pk)
        run(services.delivery_attempt, delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.enabled and "3 failed attempts in a row" in endpoint.disabled_reason
    assert "HTTP 500" in endpoint.disabled_reason
    # The fourth try found the endpoint disabled and sent nothing.
    assert len(receiver.requests) == 3 and delivery.status == "failed"
    # Later events are not queued for it.
    run(job_run, model=Transcript, job_id=make_transcript(alice).pk)
    assert WebhookDelivery.objects.count() == 1


def test_private_targets_are_refused_unless_allowed(
    alice, make_transcript, receiver, settings, run
):
    endpoint = services.endpoint_create(owner=alice, url=receiver.url)
    settings.VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError, match="private, loopback or link-local"):
        services.endpoint_create(owner=alice, url=receiver.url)
    with pytest.raises(ValidationError, match="private"):
        services.endpoint_create(owner=alice, url="http://localhost:9/")
    # An endpoint saved while they were allowed is refused at delivery, without retries.
    run(job_run, model=Transcript, job_id=make_transcript(alice).pk)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    make_due(delivery.pk)
    run(services.delivery_attempt, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "failed" and "127.0.0.1" in delivery.error


@pytest.mark.parametrize(
    "address,public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_it_tells_public_addresses_from_private_ones(address, public):
    assert _is_public(address) is public


def test_an_unknown_event_type_is_refused(alice, receiver):
    with pytest.raises(ValidationError, match="Unknown event"):
        services.endpoint_create(owner=alice, url=receiver.url, events=["transcription.done"])
    assert not WebhookEndpoint.objects.exists()


def test_the_event_types_come_from_the_job_kinds():
    types = services.event_types()
    for expected in (
        "transcription.completed",
        "transcription.failed",
        "analysis.completed",
        "speech.completed",
    ):
        assert expected in types


def test_the_body_is_standard_webhooks_shaped(alice, make_transcript, receiver, queued, run):
    services.endpoint_create(owner=alice, url=receiver.url)
    run(job_run, model=Transcript, job_id=make_transcript(alice).pk)
    delivery = WebhookDelivery.objects.get()
    body = json.loads(delivery.body)
    assert set(body) == {"type", "timestamp", "data"}
    assert {"id", "status"} <= set(body["data"])
    assert delivery.created_at - timedelta(seconds=5) < timezone.now()


def test_a_finished_music_track_is_delivered(alice, receiver, django_capture_on_commit_callbacks):
    from apps.music.services import track_create

    services.endpoint_create(owner=alice, url=receiver.url, events=["music.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        track = track_create(owner=alice, prompt="calm lo-fi with piano, 80 bpm", seconds=3, seed=1)
    payload = verified(services.secret_get(owner=alice), receiver.requests[0])
    assert payload["type"] == "music.completed"
    assert payload["data"]["id"] == str(track.pk) and payload["data"]["duration"] > 2.5
