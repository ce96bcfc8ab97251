"""A real Chromium on the transcript list and the upload form: filters, deleting a selection,
and a double click that starts one job. Skipped where Chromium is not installed."""

import re

import pytest

from apps.transcripts.models import Transcript
from tests.browser.conftest import log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_filters_and_deletes_a_selection(page, live_server, alice, make_transcript):
    web, api = make_transcript(alice), make_transcript(alice)
    Transcript.objects.filter(pk=web.pk).update(title="From the web")
    Transcript.objects.filter(pk=api.pk).update(source="api", title="From the API")
    log_in(page, live_server, alice)
    page.goto("/transcripts/")
    rows = page.locator("table.transcripts tbody tr")
    expect(rows).to_have_count(2)

    page.get_by_label("Source").select_option("api")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("From the API")

    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(2)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Select From the API").check()
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator(".messages")).to_have_text("Deleted 1 transcript.")
    expect(rows).to_have_count(1)
    assert list(Transcript.objects.values_list("pk", flat=True)) == [web.pk]


def test_a_double_click_starts_one_transcription(page, live_server, alice, corpus):
    log_in(page, live_server, alice)
    page.goto("/transcripts/new/")
    page.set_input_files("#id_file", corpus / "jfk.flac")
    page.select_option("#id_engine", "fake")
    page.select_option("#id_model", "fake")
    for analysis in page.get_by_role("checkbox").all():  # not needed here, and slow
        analysis.uncheck()
    page.get_by_role("button", name="Start transcription").dblclick()
    expect(page).to_have_url(re.compile(r"/transcripts/[0-9a-f-]{36}/$"))
    assert Transcript.objects.count() == 1
