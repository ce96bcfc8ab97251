"""A real Chromium: the search box in the top bar finds words across the library, and a hit
opens the transcript with the player at that moment. Skipped where Chromium is not installed."""

import pytest

from tests.browser.conftest import axe_violations, log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hit_opens_the_transcript_at_that_moment(page, live_server, alice, make_transcript):
    transcript = make_transcript(alice)  # the fake engine: " Segment N." every 2 s
    log_in(page, live_server, alice)
    page.goto("/transcripts/")
    page.get_by_role("searchbox", name="Search the library").fill('"segment 3"')
    page.keyboard.press("Enter")
    hit = page.get_by_role("link", name=f"{transcript.title} at 0:06")
    expect(hit).to_be_visible()
    assert axe_violations(page) == []
    hit.click()
    page.wait_for_url(f"**{transcript.get_absolute_url()}#t=6.00")
    page.wait_for_function("document.getElementById('player').currentTime > 5.9")
    assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(
        6, abs=0.1
    )
    expect(page.locator("#transcript .segment:has(.w.current)")).to_contain_text("Segment 3.")


def test_an_arabic_hit_reads_right_to_left(page, live_server, alice, make_transcript):
    from apps.transcripts.models import Segment

    transcript = make_transcript(alice)
    first = transcript.segments.order_by("index").first()
    Segment.objects.filter(pk=first.pk).update(text=" أقسم بالله.", language="ar")
    log_in(page, live_server, alice)
    page.goto("/transcripts/search/?q=بالله")
    snippet = page.locator(".snippet").first
    expect(snippet).to_contain_text("بالله")
    assert snippet.evaluate("(el) => getComputedStyle(el).direction") == "rtl"
