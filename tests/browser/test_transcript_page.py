"""A real Chromium on the transcript page: the transcript first, the player bar in reach while
reading, its buttons and keyboard shortcuts. Skipped where Chromium is not installed."""

import re

import pytest

from apps.transcripts.models import Segment, Transcript
from tests.browser.conftest import axe_violations, log_in, page_open, wait_until_focused

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIME = "document.getElementById('player').currentTime"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_player_stays_in_reach_while_reading(
    browser, live_server, alice, make_transcript, width
):
    transcript = make_transcript(alice)
    page = page_open(browser, live_server, width=width, height=600)
    log_in(page, live_server, alice)
    try:
        page.goto(transcript.get_absolute_url())
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        # The transcript comes before the analyses, in reading order and on screen.
        order = page.evaluate(
            "[...document.querySelectorAll('#transcript, #analyses')].map((e) => e.id)"
        )
        assert order == ["transcript", "analyses"]

        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        bar = page.get_by_role("region", name="Player")
        expect(bar).to_be_in_viewport()
        bar.get_by_role("button", name="+5 s").click()
        assert page.evaluate(TIME) == pytest.approx(5, abs=0.1)
        bar.get_by_role("button", name="−5 s").click()
        assert page.evaluate(TIME) == pytest.approx(0, abs=0.1)
        bar.get_by_label("Speed").select_option("1.5")
        assert page.evaluate("document.getElementById('player').playbackRate") == 1.5
    finally:
        page.context.close()


def test_the_keyboard_drives_the_player(page, live_server, alice, make_transcript):
    transcript = make_transcript(alice)
    log_in(page, live_server, alice)
    page.goto(transcript.get_absolute_url())
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    toggle = page.locator("#play-toggle")

    page.keyboard.press("l")
    assert page.evaluate(TIME) == pytest.approx(5, abs=0.1)
    page.keyboard.press("k")
    expect(toggle).to_have_text("Pause")
    page.keyboard.press("k")
    expect(toggle).to_have_text("Play")
    page.keyboard.press("j")
    assert page.evaluate(TIME) < 1
    page.keyboard.press(">")
    expect(page.locator("#play-speed")).to_have_value("1.25")

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # Typing in the search box types; it does not skip.
    page.keyboard.press("/")
    wait_until_focused(page.locator("#find"))
    before = page.evaluate(TIME)
    page.keyboard.type("l")
    expect(page.locator("#find")).to_have_value("l")
    assert page.evaluate(TIME) == before


def test_segments_appear_while_the_job_runs(page, live_server, alice, make_transcript):
    transcript = make_transcript(alice)
    segments = list(transcript.segments.order_by("index"))
    # As if the worker had decoded the first two segments and were still at it.
    transcript.segments.filter(index__gte=2).delete()
    Transcript.objects.filter(pk=transcript.pk).update(status="running", progress_done=4)
    log_in(page, live_server, alice)
    page.goto(transcript.get_absolute_url())
    expect(page.locator("#transcript .segment")).to_have_count(2)

    for segment in segments[2:4]:  # the worker saves two more
        segment.save(force_insert=True)
    expect(page.locator("#transcript .segment")).to_have_count(4)
    # Follow-along reaches the new words too.
    page.locator("#transcript .w").last.click()
    expect(page.locator("#transcript .w").last).to_have_class(re.compile(r"\bcurrent\b"))


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")
def test_read_aloud_plays_on_the_transcript_page(page, live_server, alice, make_transcript):
    transcript = make_transcript(alice)
    log_in(page, live_server, alice)
    page.goto(transcript.get_absolute_url())
    page.get_by_role("button", name="Read aloud").click()
    expect(page.locator("#read-aloud-player")).to_be_visible()
    expect(page.locator("#read-aloud")).to_contain_text("Done")
    assert page.url.endswith(transcript.get_absolute_url())  # still reading the transcript
    expect(page.locator("#transcript .segment").first).to_be_visible()
    expect(page.get_by_role("button", name="Read aloud")).to_be_focused()  # kept across the swap


def test_a_transcript_is_corrected_from_the_keyboard(
    page, live_server, alice, make_transcript, settings
):
    t = make_transcript(alice)
    # The alignment jobs wait: this test is about the page, tests/transcripts about alignment.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    first, second, third, fourth = t.segments.order_by("index")[:4]
    Segment.objects.filter(pk=fourth.pk).update(flags=["stock_phrase"])
    log_in(page, live_server, alice)
    page.goto(t.get_absolute_url())
    seg = lambda s: page.locator(f"#segment-text-{s.pk}")  # noqa: E731
    assert axe_violations(page) == []

    # Double-click, replace the text, Enter: saved in place.
    seg(first).locator(".seg-words").dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("Ask not.")
    page.keyboard.press("Enter")
    expect(seg(first)).to_contain_text("Ask not.")
    expect(seg(first).locator(".edited")).to_be_visible()

    # From the keyboard alone: focus, E, type, Tab saves and opens the next; Esc cancels it.
    seg(second).focus()
    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    page.keyboard.type("What your country can do.")
    page.keyboard.press("Tab")
    expect(seg(second)).to_contain_text("What your country can do.")
    wait_until_focused(seg(third).locator("[contenteditable]"))
    page.keyboard.type(" more words")
    page.keyboard.press("Escape")
    expect(seg(third)).to_have_text("Segment 2.")
    assert Segment.objects.get(pk=third.pk).text == " Segment 2."
    assert Segment.objects.get(pk=second.pk).text == " What your country can do."

    # Ctrl+Z undoes the newest edit.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    expect(seg(second)).to_contain_text("Segment 1.")
    assert Segment.objects.get(pk=second.pk).text == " Segment 1."

    # The flag filter shows the flagged segments only.
    page.get_by_role("button", name="Flagged only (1)").click()
    expect(page.locator(f"#segment-{fourth.pk}")).to_be_visible()
    expect(page.locator(f"#segment-{first.pk}")).to_be_hidden()


def test_an_arabic_segment_reads_right_to_left(page, live_server, alice, make_transcript):
    # The words the engine wrote for the end of an Egyptian Arabic clip (bench/prepare_unseen4.py)
    t = make_transcript(alice)
    first, second = t.segments.order_by("index")[:2]
    Segment.objects.filter(pk=second.pk).update(text=" أقسم بالله.", words=[], language="ar")
    log_in(page, live_server, alice)
    page.goto(t.get_absolute_url())
    words = lambda s: page.locator(f"#segment-text-{s.pk} .seg-words")  # noqa: E731
    direction = "(el) => getComputedStyle(el).direction"
    assert words(second).evaluate(direction) == "rtl"
    assert words(first).evaluate(direction) == "ltr"  # the English ones stay left to right
    expect(words(second)).to_have_attribute("lang", "ar")
