"""A real Chromium in the music studio: compose a short track, hear it play, find it in the
library with its waveform and downloads, rename it, delete it. Skipped where Chromium is not
installed."""

from pathlib import Path

import pytest

from apps.music.models import Track
from tests.browser.conftest import axe_violations, log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_composes_plays_renames_and_deletes_a_track(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/speech/")
    page.get_by_role("link", name="Music").click()
    # Typed once the page has loaded: before that htmx is not yet listening for input.
    page.wait_for_url("**/music/")
    page.fill("#id_prompt", "upbeat synthwave, 110 bpm, minor key, for a product video")
    # Said while typing: what the arranger recognises.
    expect(page.locator("#heard")).to_contain_text("Recognised: synthwave, upbeat, 110 bpm")
    page.fill("#id_seconds", "6")
    page.get_by_role("button", name="Compose").click()

    current = page.locator("#current")
    # The job ran inline here; the page shows its end state and what the arranger understood.
    expect(current.locator("#track-progress")).to_contain_text("Done")
    expect(current).to_contain_text("110 bpm")
    page.evaluate("document.getElementById('track-player').play()")
    page.wait_for_function(
        "() => { const p = document.getElementById('track-player');"
        " return p && !p.paused && p.currentTime > 0.3; }"
    )
    track = Track.objects.get()
    row = page.locator(f"#track-{track.pk}")
    expect(row.locator("svg.waveform rect")).to_have_count(len(track.peaks))
    for label in ("MP3", "WAV", "MIDI"):
        expect(row.get_by_role("link", name=label)).to_be_visible()
    assert axe_violations(page) == []  # with a track in the library and one playing
    page.screenshot(path="/tmp/vp-music-studio.png", full_page=True)

    row.get_by_label("Title").fill("Product video bed")
    row.get_by_role("button", name="Rename").click()
    expect(page.locator(f"#track-{track.pk} input[name=title]")).to_have_value("Product video bed")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"#track-{track.pk}").get_by_role("button", name="Delete").click()
    expect(page.locator("#library")).to_contain_text("Nothing composed yet.")
    assert not Track.objects.exists()
    assert not Path(track.audio.path).exists()
