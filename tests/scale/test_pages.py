"""A real Chromium on a transcript page served by Daphne on PostgreSQL and Redis, while a
worker process runs the job: the page never polls (VOICEPORTAL_JOB_POLL_FALLBACK is off for
this server), so every change it shows was pushed over its socket."""

import re

import psycopg
import pytest
from django.db import transaction

from tests.browser.conftest import browser  # noqa: F401  (the fixture)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.scale, pytest.mark.browser]


def test_a_page_shows_progress_and_completion_pushed_by_the_worker(
    browser,  # noqa: F811
    workers,
    web,
    stack,
    make_user,
    make_transcript,
):
    alice = make_user("alice")
    # The job may not start before the page listens: a second connection locks its row from
    # the moment it is committed (before its task is queued) until the page's socket is open;
    # the worker's claim waits on the lock, while the page reads the row.
    hold = psycopg.connect(stack["DATABASE_URL"])
    with transaction.atomic():
        transaction.on_commit(lambda: _lock(hold, t.pk))
        t = make_transcript(alice, "sample.wav")  # 15 segments
    page = browser.new_page(base_url=web.url)
    try:
        _log_in(page, alice)
        page.goto(t.get_absolute_url())
        state = page.locator("#job-state")
        expect(state).to_contain_text("Queued")
        page.wait_for_selector("body[data-jobs-live]", state="attached")
        hold.rollback()  # the worker may claim it now

        # Partway: a percent between the ends, then the finished transcript (a reload).
        expect(state).to_contain_text(re.compile(r"\b[1-9][0-9]?%"))
        expect(page.locator("#segments")).to_contain_text("Segment 14.", timeout=30_000)
        expect(page.locator("#job")).to_have_count(0)
    finally:
        page.context.close()
        hold.close()


def _lock(conn, pk) -> None:
    conn.execute("SELECT 1 FROM transcripts_transcript WHERE id = %s FOR UPDATE", [pk])


def _log_in(page, user) -> None:
    """Through the server's own login form: its session is made by the server, as a user's is."""
    page.goto("/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-123456")  # make_user's
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/account/login/" not in url)
