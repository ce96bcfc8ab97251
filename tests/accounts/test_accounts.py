import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import PortalSettings
from apps.api.models import ApiKey
from apps.api.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def test_it_signs_up_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "carol",
            "email": "",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("transcripts:list")).status_code == 200
    assert User.objects.get(username="carol").check_password("a-long-pass-phrase")


def test_it_can_close_sign_up(client):
    PortalSettings.objects.update_or_create(pk=1, defaults={"signup_open": False})
    assert client.get(reverse("signup")).status_code == 403
    client.post(
        reverse("signup"),
        {"username": "eve", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert not User.objects.filter(username="eve").exists()


def test_it_logs_in_and_out(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert client.get(reverse("transcripts:list")).status_code == 302


def test_it_changes_the_password(alice_client, alice):
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": "alice-pass-123",
            "new_password1": "another-long-phrase",
            "new_password2": "another-long-phrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another-long-phrase")


def test_it_shows_a_new_key_once_and_stores_only_its_hash(alice_client, alice):
    answer = alice_client.post(reverse("api_key_new"), {"name": "laptop"})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    page = answer.content.decode()
    key = ApiKey.objects.get(owner=alice)
    raw = page.split('data-testid="new-key">')[1].split("<")[0]
    assert raw.startswith("vp-") and key.hashed_key != raw and raw not in key.hashed_key
    # Not in the session store either, where it would wait until the page was shown.
    stored = Session.objects.get(session_key=alice_client.session.session_key)
    assert raw not in str(stored.get_decoded()) and raw not in stored.session_data
    assert api_key_authenticate(raw) == alice
    again = alice_client.get(reverse("account_settings")).content.decode()
    assert raw not in again and key.prefix in again


def test_it_revokes_only_the_owners_keys(alice_client, bob_client, alice):
    alice_client.post(reverse("api_key_new"), {"name": "laptop"})
    key = ApiKey.objects.get(owner=alice)
    answer = bob_client.post(reverse("api_key_revoke", args=[key.pk]), follow=True)
    assert answer.status_code == 404 and b"was revoked" not in answer.content
    assert ApiKey.objects.get(pk=key.pk).is_active
    alice_client.post(reverse("api_key_revoke", args=[key.pk]))
    assert not ApiKey.objects.get(pk=key.pk).is_active


def test_the_command_creates_a_user_and_prints_a_key(capsys):
    call_command("create_api_key", "dave", "--create-user")
    raw = capsys.readouterr().out.strip()
    assert api_key_authenticate(raw) == User.objects.get(username="dave")
    assert not User.objects.get(username="dave").has_usable_password()


def test_the_command_refuses_an_unknown_user_without_create():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--create-user"):
        call_command("create_api_key", "nobody")
