"""A real Chromium on the account settings page: a new API key copied with one click.
Skipped where Chromium is not installed."""

import pytest

from tests.browser.conftest import axe_violations, log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_copies_a_new_api_key(page, live_server, alice):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server, alice)
    page.goto("/account/settings/")
    page.get_by_label("Key name").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").text_content().strip()
    assert key.startswith("vp-")

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    expect(page.locator("#api-keys tbody tr")).to_contain_text("never")  # last used
    assert axe_violations(page) == []
