"""A real Chromium for the browser tests, and a way to log a user in to it."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

# Work a page waits for (speech, a job) can take several seconds on a loaded 2-core machine;
# a passing check returns as soon as it holds, so a longer limit costs nothing.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Lets the click handler's play() start audio without a real user gesture.
    "--autoplay-policy=no-user-gesture-required",
]


# Module scope: Playwright's sync API keeps an event loop in this thread while it runs, which
# would break later tests that call async views through Django's test client.
@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse ORM calls from the test; nothing here is really async, so let them through.
    with pytest.MonkeyPatch.context() as mp, playwright_api.sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def page_open(
    browser, live_server, *, width: int = 1200, height: int = 900, bypass_csp: bool = True
):
    """A page in a fresh context of the given window size; close it with page.context.close().
    The Content-Security-Policy is bypassed (so that axe_violations can inject axe-core) unless
    `bypass_csp` is False, as the policy's own tests need."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def page(browser, live_server):
    page = page_open(browser, live_server)
    yield page
    page.context.close()


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def wait_until_focused(locator) -> None:
    """Waits until focus is on the element. Playwright's to_be_focused() also wants the window to
    have focus, which a loaded machine can take away from a headless page for a moment."""
    element = locator.element_handle()
    locator.page.wait_for_function("el => el === document.activeElement", arg=element)


def axe_violations(page, *, impacts=("serious", "critical")) -> list[str]:
    """What axe-core finds on the page as it is now, at the given impacts: "rule: target" each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {' '.join(map(str, node['target']))}"
        for v in results["violations"]
        if v["impact"] in impacts
        for node in v["nodes"]
    ]
