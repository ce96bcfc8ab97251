"""Throttling of logins, sign-ups, reset mails and API keys: free tries, then a growing wait
and 429 with Retry-After."""

import re

import pytest
from django.core import mail

from apps.core.throttle import Limit, throttle_fail, throttle_wait

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def slow_first_wait(settings):
    # A first wait far longer than the test, so no retry slips through by the clock.
    settings.VOICEPORTAL_THROTTLE_FIRST_SECONDS = 60


def test_the_wait_doubles_with_each_failure_past_the_free_ones(settings):
    limits = [Limit("test:key", 3)]
    throttle_fail(limits * 2)
    assert throttle_wait(limits) == 0
    throttle_fail(limits)
    assert throttle_wait(limits) == 60
    throttle_fail(limits)
    assert throttle_wait(limits) == 120
    settings.VOICEPORTAL_THROTTLE_MAX_SECONDS = 100
    assert throttle_wait(limits) == 100


def test_thirty_wrong_passwords_are_throttled(client, alice):
    answers = [
        client.post("/account/login/", {"username": "alice", "password": f"guess-{n}"})
        for n in range(30)
    ]
    assert [a.status_code for a in answers[:5]] == [200] * 5  # the form again, with its error
    assert {a.status_code for a in answers[5:]} == {429}
    assert answers[-1]["Retry-After"] == "60"
    # The right password waits too, or the wait would tell the guess was right.
    right = client.post("/account/login/", {"username": "alice", "password": "alice-pass-123"})
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_throttled(client):
    codes = [
        client.post("/account/login/", {"username": f"user{n}", "password": "x"}).status_code
        for n in range(21)
    ]
    assert codes[:20] == [200] * 20 and codes[20] == 429


def test_a_good_login_clears_the_accounts_count(client, alice):
    for n in range(4):
        client.post("/account/login/", {"username": "alice", "password": f"guess-{n}"})
    assert client.post("/account/login/", {"username": "alice", "password": "alice-pass-123"})[
        "Location"
    ]
    client.logout()
    for n in range(4):
        answer = client.post("/account/login/", {"username": "alice", "password": f"again-{n}"})
        assert answer.status_code == 200


def test_sign_up_is_throttled_by_address(client):
    codes = []
    for n in range(6):
        form = {"username": f"new{n}", "password1": "a-long-pass-123", "password2": "nope"}
        codes.append(client.post("/account/signup/", form).status_code)
    assert codes == [200] * 5 + [429]


def test_wrong_api_keys_are_throttled_by_address(client):
    codes = [
        client.get("/v1/models", headers={"Authorization": f"Bearer vp-wrong-{n}"}).status_code
        for n in range(11)
    ]
    assert codes == [401] * 10 + [429]
    last = client.get("/v1/models", headers={"Authorization": "Bearer vp-wrong"})
    assert last.json()["error"]["type"] == "rate_limit_error" and last["Retry-After"] == "60"


def test_a_password_is_reset_by_email(client, alice):
    alice.email = "alice@example.org"
    alice.save()
    answer = client.post("/account/password/reset/", {"email": "alice@example.org"})
    assert answer.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"/account/password/reset/[^/\s]+/[^/\s]+/", mail.outbox[0].body)[0]
    form = client.get(link, follow=True)
    new = {"new_password1": "a-new-pass-456", "new_password2": "a-new-pass-456"}
    done = client.post(form.redirect_chain[-1][0], new, follow=True)
    assert done.status_code == 200 and b"Password set" in done.content
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-456")
