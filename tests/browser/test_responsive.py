"""Every page in a phone's width (390 px) and a laptop's (1280 px): nothing wider than the
window, no serious accessibility violation (axe-core), the navigation reachable, and each looks
as its stored screenshot does (tests/browser/baseline.py). Skipped where Chromium is not
installed."""

import pytest

from apps.conversation.services import conversation_create, turn_save
from tests.browser.baseline import screenshot_matches_baseline
from tests.browser.conftest import axe_violations, log_in, page_open

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1280]
# How far the page is wider than its window, in CSS pixels (0 when nothing sticks out).
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def pages(transcript, conversation) -> dict[str, str]:
    return {
        "transcripts": "/transcripts/",
        "upload": "/transcripts/new/",
        "live": "/live/",
        "transcript": transcript.get_absolute_url(),
        "speech": "/speech/",
        "music": "/music/",
        "voices": "/voices/",
        "new-voice": "/voices/new/",
        "pronunciations": "/voices/pronunciations/",
        "settings": "/account/settings/",
        "profiles": "/analysis/profiles/",
        "talk": "/conversations/",
        "conversation": f"/conversations/{conversation.pk}/",
        "search": "/transcripts/search/?q=segment",
    }


def webhook_log(owner) -> None:
    """An endpoint, disabled, and a failed delivery with a long URL: the account page's fullest."""
    from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

    url = "https://hooks.example.com/voiceportal/receiver/with/a/rather/long/path?token=abcdef"
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url=url, enabled=False, disabled_reason="Disabled after 20 failed attempts"
    )
    WebhookDelivery.objects.create(
        owner=owner, endpoint=endpoint, url=url, event_type="transcription.completed",
        msg_id="msg_x", body="{}", status="failed", attempts=8, response_status=500,
        error="HTTP 500: Internal Server Error",
    )  # fmt: skip


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_passes_axe(browser, live_server, alice, make_transcript, width):
    transcript = make_transcript(alice)
    conversation = conversation_create(owner=alice, instructions="Answer briefly.")
    turn_save(conversation=conversation, role="user", text="What is the capital of France?")
    webhook_log(alice)
    page = page_open(browser, live_server, width=width, height=800)
    log_in(page, live_server, alice)
    wide, inaccessible, changed = {}, {}, []
    try:
        for name, url in pages(transcript, conversation).items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if difference := screenshot_matches_baseline(page, f"{name}-{width}"):
                changed.append(difference)
            if overflow := page.evaluate(OVERFLOW):
                wide[name] = overflow
            assert "{#" not in page.inner_text("body"), f"a template comment shows on {name}"
            if found := axe_violations(page):
                inaccessible[name] = found
    finally:
        page.context.close()
    assert wide == {}
    assert inaccessible == {}, inaccessible
    assert changed == [], changed


@pytest.mark.parametrize("width", WIDTHS)
def test_log_out_is_in_reach(browser, live_server, alice, width):
    page = page_open(browser, live_server, width=width, height=800)
    log_in(page, live_server, alice)
    try:
        page.goto("/transcripts/")
        menu = page.get_by_role("button", name="Menu")
        if width < 700:
            expect(page.get_by_role("button", name="Log out")).to_be_hidden()
            expect(menu).to_have_attribute("aria-expanded", "false")
            menu.click()
            expect(menu).to_have_attribute("aria-expanded", "true")
        else:
            expect(menu).to_be_hidden()
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_in_viewport()
        log_out.click()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
    finally:
        page.context.close()


def test_the_pages_before_logging_in_fit_a_phone_and_pass_axe(browser, live_server):
    page = page_open(browser, live_server, width=360, height=740)
    try:
        for url in ("/account/login/", "/account/signup/"):
            page.goto(url)
            assert page.evaluate(OVERFLOW) == 0, url
            assert axe_violations(page) == [], url
    finally:
        page.context.close()
