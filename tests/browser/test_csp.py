"""The Content-Security-Policy in a real Chromium: no page of the portal trips it (no inline
script, no eval by htmx), and the upload form's progress handler still loads from static/js."""

import pytest

from tests.browser.conftest import log_in, page_open

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/transcripts/new/", "/transcripts/", "/speech/", "/music/", "/voices/",
         "/voices/new/", "/account/settings/", "/live/"]  # fmt: skip


@pytest.fixture
def page(browser, live_server):
    """A page held to the policy (the other browser tests bypass it to inject axe-core)."""
    page = page_open(browser, live_server, bypass_csp=False)
    yield page
    page.context.close()


def test_no_page_breaks_the_policy(page, live_server, alice, make_transcript):
    log_in(page, live_server, alice)
    transcript = make_transcript(alice)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else None)
    page.on("console", lambda m: print("CONSOLE", m.type, m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    loaded = []
    page.on("response", lambda r: loaded.append(r.url) if r.url.endswith("upload.js") else None)
    for path in [*PAGES, transcript.get_absolute_url()]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert problems == []
    assert loaded  # the upload page's handler, now a file


def test_the_upload_progress_bar_moves_under_the_policy(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/transcripts/new/")
    page.wait_for_load_state("networkidle")
    # What htmx fires while the file is sent; from a timer, as the page's own code, since
    # Playwright's evaluate() itself is not held to the policy.
    page.evaluate(
        "setTimeout(() => htmx.trigger('#upload-form', 'htmx:xhr:progress',"
        " {lengthComputable: true, loaded: 5, total: 10}), 0)"
    )
    bar = page.locator("#upload-progress")
    playwright_api.expect(bar).to_be_visible()
    assert bar.evaluate("b => b.value") == 50
