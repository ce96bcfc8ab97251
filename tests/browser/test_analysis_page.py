"""A real Chromium on a transcript page with every analysis: speakers, chapters that seek the
player, entity highlights by type, the sentiment plot, and reassigning a segment in place."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.analysis.options import KINDS, analysis_options_validate
from apps.transcripts import services
from apps.transcripts.options import options_validate
from tests.browser.conftest import axe_violations, log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/vp-analysis.png"
PLAYER_TIME = "document.getElementById('player').currentTime"


def test_it_shows_and_edits_the_analyses(page, live_server, alice, corpus):
    upload = SimpleUploadedFile("falcon_3spk.wav", (corpus / "falcon_3spk.wav").read_bytes())
    transcript = services.transcript_create(
        owner=alice,
        upload=upload,
        options=options_validate(engine="local", model="tiny.en"),
        title="Three voices",
        analyses=analysis_options_validate(kinds=[k.value for k in KINDS], num_speakers=3),
    )
    log_in(page, live_server, alice)
    page.set_viewport_size({"width": 1200, "height": 2000})
    page.goto(transcript.get_absolute_url())
    expect(page.locator("#speakers tbody tr")).to_have_count(3)
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator(".sentiment-plot circle").first).to_be_visible()
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.screenshot(path=SCREENSHOT, full_page=True)
    expect(page.locator("#read-aloud form")).to_be_visible()  # loaded after the page
    assert axe_violations(page) == []

    # A chapter seeks the player and is marked as the current one.
    chapter = page.locator(".chapters li").first
    start = float(chapter.get_attribute("data-start"))
    chapter.locator("button").click()
    assert page.evaluate(PLAYER_TIME) == pytest.approx(start, abs=0.3)
    expect(chapter).to_have_class(re.compile(r"\bcurrent\b"))
    page.evaluate("document.getElementById('player').pause()")

    # Reassign the first segment to the third speaker through the dialog.
    first = page.locator("#transcript .segment").first
    first.locator(".spk").click()
    dialog = page.locator("#reassign")
    expect(dialog).to_be_visible()
    third = transcript.speakers.get(label="SPEAKER_02")
    dialog.locator("select").select_option(str(third.pk))
    dialog.get_by_role("button", name="Reassign").click()
    expect(page.locator("#transcript .segment").first.locator(".spk")).to_have_text("Speaker C")
    assert transcript.segments.first().speaker == third
