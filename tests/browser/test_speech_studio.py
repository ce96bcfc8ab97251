"""A real Chromium in the speech studio: generate with Piper, hear it play, find it in the
history, delete it. Skipped where Chromium is not installed."""

import re
from pathlib import Path

import pytest

from apps.core.clock import clock
from apps.speech.models import Generation
from tests.browser.conftest import log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume"),
]

SCREENSHOT = Path("/tmp/vp-speech-studio.png")
TEXT = (
    "Welcome to the speech studio. Playback starts with the first sentence. "
    "The rest follows while it is synthesised."
)


def test_it_generates_plays_and_deletes_speech(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/speech/")
    joe = page.locator("label.voice", has=page.locator("input[value='piper:joe']"))
    expect(page.locator("input[name=voice][value='piper:joe']")).to_be_checked()
    expect(page.locator("#instructions-field")).to_be_hidden()  # Piper takes none
    # The preview is made on request (by the inline task backend here), then plays.
    joe.get_by_role("button", name="Make and play a preview of piper:joe").click()
    expect(joe.locator("[data-preview-src]")).to_have_class(re.compile(r"\bplaying\b"))
    joe.locator("[data-preview-src]").click()  # a second click stops it
    page.fill("#id_text", TEXT)
    expect(page.locator("#text-count")).to_have_text(str(len(TEXT)))
    page.select_option("#id_format", "mp3")
    page.get_by_role("button", name="Generate").click()

    player = page.locator("#speech-player")
    expect(player).to_be_visible()
    # Fed from the stream through Media Source Extensions, not left to the element's buffering.
    expect(player).to_have_attribute("src", re.compile(r"^blob:"))
    # Playing: the position moves on.
    page.wait_for_function(
        "() => { const p = document.getElementById('speech-player');"
        " return p && !p.paused && p.currentTime > 0.5; }"
    )
    expect(page.locator("#gen-progress")).to_contain_text("Done")
    history = page.locator("#history")
    expect(history).to_contain_text("Welcome to the speech studio.")
    expect(history).to_contain_text("Joe")
    g = Generation.objects.get()
    assert g.status == "done" and g.voice_id == "piper:joe" and g.duration > 4
    # The history row follows the generation to its end without a reload: no "Synthesising"
    # left, its length shown instead.
    row = history.locator("tbody tr").first
    expect(row.locator(".status")).to_have_count(0)
    expect(row).to_contain_text(clock(g.duration))
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.evaluate("document.getElementById('speech-player').pause()")

    page.on("dialog", lambda dialog: dialog.accept())
    history.get_by_role("button", name="Delete").click()
    expect(page.locator("#history")).to_contain_text("Nothing generated yet.")
    assert not Generation.objects.exists()
    assert not Path(g.audio.path).exists()


def test_it_shows_why_a_request_cannot_be_spoken(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/speech/")
    # Piper follows stability: its slider is there, labelled, and moves with the keyboard.
    stability = page.get_by_label("Stability")
    expect(stability).to_be_enabled()
    expect(page.get_by_label("Style")).to_be_hidden()
    stability.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#stability-value")).to_have_text("0.55")
    # Kokoro follows none: the settings go away (and are not sent).
    page.locator("label.voice", has=page.locator("input[value='kokoro:jf_alpha']")).click()
    expect(page.locator("#voice-settings")).to_be_hidden()
    expect(page.locator("#id_stability")).to_be_disabled()
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#workspace [role=alert]")).to_have_text(
        re.compile("There is no text to speak")
    )
    assert not Generation.objects.exists()


def test_a_long_paste_is_kept_whole_and_the_counter_says_so(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/speech/")
    # The studio reads up to 100,000 characters (in pieces); one paste past that is kept whole.
    page.fill("#id_text", "Word. " * 16_700)
    assert page.evaluate("document.getElementById('id_text').value.length") == 100_200
    expect(page.locator("#text-counter")).to_contain_text("200 too many")
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()
    page.fill("#id_text", "Word. " * 10)
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()


def test_one_paragraph_is_spoken_again_alone(page, live_server, alice, tmp_path):
    log_in(page, live_server, alice)
    page.goto("/speech/")
    page.fill("#id_text", "Good morning.\n\nThis is the middle.\n\nGoodbye.")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#gen-progress")).to_contain_text("Done")
    paragraphs = page.locator("#paragraphs li.paragraph")
    expect(paragraphs).to_have_count(3)
    page.evaluate("document.getElementById('speech-player').pause()")
    before = Generation.objects.get()
    middle = page.locator("#paragraph-2")
    middle.get_by_text("Regenerate paragraph 2").click()
    middle.get_by_label("Text of paragraph 2").fill("This is the new and longer middle part.")
    middle.get_by_role("button", name="Speak paragraph 2 again").click()
    # The page reloads with the paragraph's new take and the whole re-joined.
    expect(page.locator("#paragraph-2")).to_contain_text("take 2")
    expect(page.locator("#paragraph-2 .paragraph-text")).to_have_text(
        "This is the new and longer middle part."
    )
    expect(page.locator("#speech-player")).to_have_attribute("src", re.compile(r"v=1$"))
    g = Generation.objects.get()
    assert g.edits == 1 and g.duration > before.duration + 0.5
    assert "new and longer middle" in g.text and not Path(before.audio.path).exists()
    download = page.request.get(f"/speech/{g.pk}/audio/?download=1")
    assert download.ok and len(download.body()) == g.audio_size
    page.evaluate("document.getElementById('speech-player').pause()")
    page.locator("#paragraph-1 summary").click()
    expect(page.get_by_label("Text of paragraph 1")).to_have_value("Good morning.")
    # A picture of the card for whoever checks its look (kept with the test's files).
    page.locator("#paragraphs").screenshot(path=str(tmp_path / "paragraphs.png"))
