"""The webhooks section of the account page, the command line and the API's webhook_url."""

from datetime import timedelta

import openai
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openai import OpenAI
from standardwebhooks import Webhook

from apps.api.services import api_key_create
from apps.transcripts.models import Transcript
from apps.webhooks import services
from apps.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
    WebhookSubscription,
)


@pytest.mark.django_db
def test_the_account_page_shows_the_secret_endpoints_and_log(alice_client, alice, receiver):
    services.endpoint_create(owner=alice, url=receiver.url, description="CI hook")
    page = alice_client.get(reverse("account_settings"))
    html = page.content.decode()
    assert services.secret_get(owner=alice) in html and "CI hook" in html
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


@pytest.mark.django_db
def test_another_users_page_shows_neither_secret_nor_endpoints(bob_client, alice, receiver):
    services.endpoint_create(owner=alice, url=receiver.url, description="alice's hook")
    html = bob_client.get(reverse("account_settings")).content.decode()
    assert services.secret_get(owner=alice) not in html and "alice&#x27;s hook" not in html


@pytest.mark.django_db
def test_an_endpoint_is_added_removed_and_refused_when_private(
    alice_client, alice, bob_client, receiver, settings
):
    response = alice_client.post(
        reverse("webhooks:endpoint_new"),
        {"url": receiver.url, "events": ["transcription.completed"]},
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(owner=alice)
    assert endpoint.events == ["transcription.completed"]
    # Another user cannot remove it.
    assert (
        bob_client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk])).status_code == 404
    )
    settings.VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE = False
    page = alice_client.post(reverse("webhooks:endpoint_new"), {"url": receiver.url}, follow=True)
    assert "private, loopback or link-local" in page.content.decode()
    assert WebhookEndpoint.objects.count() == 1
    alice_client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    response = client.post(reverse("webhooks:secret_rotate"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_rotating_the_secret_replaces_it_after_a_day_of_grace(
    alice_client, alice, make_transcript, receiver, django_capture_on_commit_callbacks
):
    old = services.secret_get(owner=alice)
    alice_client.post(reverse("webhooks:secret_rotate"))
    new = services.secret_get(owner=alice)
    assert new != old and new.startswith("whsec_")
    services.endpoint_create(owner=alice, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(alice)
    headers, body = receiver.requests[0]
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)  # receivers not yet switched keep working for a day
    WebhookSecret.objects.filter(owner=alice).update(
        rotated_at=timezone.now() - timedelta(hours=25)
    )
    assert services.signing_secrets(owner=alice) == [new]


@pytest.mark.django_db
def test_a_disabled_endpoint_shows_a_notice_and_can_be_turned_on(alice_client, alice, receiver):
    endpoint = services.endpoint_create(owner=alice, url=receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, failures_in_a_row=20, disabled_reason="Disabled after 20 failed attempts"
    )
    html = alice_client.get(reverse("account_settings")).content.decode()
    assert 'data-testid="webhook-disabled"' in html and "Disabled after 20 failed" in html
    alice_client.post(reverse("webhooks:endpoint_enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failures_in_a_row == 0


@pytest.mark.django_db
def test_redeliver_sends_the_same_message_again(
    alice_client, alice, bob_client, make_transcript, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(owner=alice, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_transcript(alice)
    delivery = WebhookDelivery.objects.get()
    assert (
        "transcription.completed" in alice_client.get(reverse("account_settings")).content.decode()
    )
    url = reverse("webhooks:delivery_redeliver", args=[delivery.pk])
    assert bob_client.post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.post(url).status_code == 302
    assert len(receiver.requests) == 2
    first, second = (headers["webhook-id"] for headers, _ in receiver.requests)
    assert first == second == delivery.msg_id
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2


@pytest.mark.django_db
def test_the_command_prints_the_secret_the_deliveries_are_signed_with(alice, capsys):
    call_command("webhook_secret", "alice")
    printed = capsys.readouterr().out.strip()
    assert printed == services.secret_get(owner=alice)
    Webhook(printed)  # a secret the standard library reads
    with pytest.raises(CommandError, match="No user"):
        call_command("webhook_secret", "nobody")


@pytest.mark.django_db(transaction=True)
def test_the_api_tells_a_webhook_url_signed_with_the_key_owners_secret(
    live_server, alice, corpus, receiver, settings
):
    settings.SPEECH_TO_TEXT_DEFAULT = "fake"
    client = OpenAI(
        base_url=f"{live_server.url}/v1",
        api_key=api_key_create(owner=alice, name="t")[1],
        max_retries=0,
    )
    with open(corpus / "jfk.flac", "rb") as f:
        result = client.audio.transcriptions.create(
            model="whisper-1", file=f, extra_body={"webhook_url": receiver.url}
        )
    assert "Segment 0." in result.text
    (headers, body), *_ = receiver.requests
    payload = Webhook(services.secret_get(owner=alice)).verify(body, headers)
    transcript = Transcript.objects.get()
    assert payload["type"] == "transcription.completed"
    assert payload["data"]["id"] == str(transcript.pk)
    assert WebhookSubscription.objects.get().owner == alice

    settings.VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE = False
    with open(corpus / "jfk.flac", "rb") as f, pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(
            model="whisper-1", file=f, extra_body={"webhook_url": receiver.url}
        )
    assert info.value.body["param"] == "webhook_url"
    assert Transcript.objects.count() == 1  # nothing was made for the refused request


def test_the_secret_is_stored_encrypted_and_survives_a_secret_key_rotation(alice, settings):
    from apps.webhooks.models import WebhookSecret

    secret = services.secret_get(owner=alice)
    stored = WebhookSecret.objects.get(owner=alice).secret
    assert secret.startswith("whsec_") and secret not in stored and secret[6:] not in stored
    # SECRET_KEY rotated the Django way (the old one kept as a fallback): the same secret.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another secret key for the portal, long enough to be taken seriously"
    assert services.secret_get(owner=alice) == secret
    # Without the fallback the old secret cannot be read: a new one, never a crash.
    settings.SECRET_KEY_FALLBACKS = []
    renewed = services.secret_get(owner=alice)
    assert renewed.startswith("whsec_") and renewed != secret
