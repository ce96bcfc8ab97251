"""A real Chromium through the main flow: sign up, upload, follow the job, read, play and search
the transcript. Run alone with `pytest -m browser`; skipped where Chromium is not installed."""

import re
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.jobs.runner import job_run
from apps.transcripts import services
from apps.transcripts.models import Transcript
from apps.transcripts.options import options_validate
from tests.browser.conftest import log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path("/tmp/vp-transcript.png")
PLAYER_TIME = "document.getElementById('player').currentTime"


def transcript_create(*, owner, corpus, engine: str, model: str) -> Transcript:
    upload = SimpleUploadedFile(
        "jfk.flac", (corpus / "jfk.flac").read_bytes(), content_type="audio/flac"
    )
    return services.transcript_create(
        owner=owner, upload=upload, options=options_validate(engine=engine, model=model)
    )


def test_it_signs_up_uploads_and_plays_the_transcript(page, corpus):
    page.goto("/account/signup/")
    page.fill("#id_username", "carol")
    page.fill("#id_password1", "a-long-browser-pass-42")
    page.fill("#id_password2", "a-long-browser-pass-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/transcripts/$"))

    page.goto("/transcripts/new/")
    page.set_input_files("#id_file", corpus / "jfk.flac")
    page.select_option("#id_engine", "local")
    page.select_option("#id_model", "tiny.en")
    page.select_option("#id_speakers", "1")  # the analyses run too, by default
    page.get_by_role("button", name="Start transcription").click()

    # The inline task backend finishes the job (and the analyses) within the upload request,
    # which on a busy machine takes longer than expect's default wait.
    expect(page).to_have_url(re.compile(r"/transcripts/[0-9a-f-]{36}/$"), timeout=60_000)
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("ask not what your country", ignore_case=True)
    assert Transcript.objects.get(owner__username="carol").status == Transcript.Status.DONE
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    word = transcript.locator(".w", has_text="fellow")
    start = float(word.get_attribute("data-start"))
    word.click()
    assert page.evaluate(PLAYER_TIME) == pytest.approx(start, abs=0.3)
    expect(word).to_have_class(re.compile(r"\bcurrent\b"))

    # Playing on, the highlight follows the audio to later words.
    page.wait_for_function(
        "start => { const p = document.getElementById('player');"
        " const w = document.querySelector('#transcript .w.current');"
        " return !p.paused && p.currentTime > start + 0.5 && w"
        " && parseFloat(w.dataset.start) > start; }",
        arg=start,
    )
    page.evaluate("document.getElementById('player').pause()")


def test_it_shows_the_progress_then_the_finished_transcript(
    page, live_server, settings, alice, corpus
):
    # Keep the job queued, then run it here at the fake engine's pace while the page polls.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    settings.SPEECH_TO_TEXT = {
        **settings.SPEECH_TO_TEXT,
        "fake": {
            "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
            "OPTIONS": {"segment_seconds": 1.0, "delay": 0.4},
        },
    }
    transcript = transcript_create(owner=alice, corpus=corpus, engine="fake", model="fake")
    assert transcript.status == Transcript.Status.QUEUED
    log_in(page, live_server, alice)
    page.goto(transcript.get_absolute_url())
    bar = page.locator("#job-progress")
    expect(bar).to_have_attribute("value", "0")

    def work():
        try:
            job_run(model=Transcript, job_id=str(transcript.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        first = page.wait_for_function(
            "() => { const b = document.getElementById('job-progress');"
            " return b && b.value > 0 && b.value < 100 ? b.value : false; }"
        ).json_value()
        page.wait_for_function(
            "first => { const b = document.getElementById('job-progress');"
            " return b && b.value > first; }",
            arg=first,
        )
        expect(page.locator("#transcript")).to_contain_text(re.compile(r"Segment\s*10\."))
    finally:
        worker.join(timeout=30)
    expect(bar).to_have_count(0)
    transcript.refresh_from_db()
    assert transcript.status == Transcript.Status.DONE


def test_it_marks_search_matches(page, live_server, alice, corpus):
    transcript = transcript_create(owner=alice, corpus=corpus, engine="local", model="tiny.en")
    log_in(page, live_server, alice)
    page.goto(transcript.get_absolute_url())
    segments = page.locator("#transcript .segment")
    expect(segments).to_have_count(2)

    page.fill("#find", "fellow")
    expect(page.locator("#find-count")).to_have_text("1 match")
    expect(page.locator("#transcript .segment.match")).to_have_count(1)
    expect(page.locator("#transcript .segment.match")).to_contain_text("fellow")
    expect(page.locator("#transcript .segment.dimmed")).to_have_count(1)

    page.fill("#find", "COUNTRY")
    expect(page.locator("#find-count")).to_have_text("2 matches")
    expect(page.locator("#transcript .segment.dimmed")).to_have_count(0)

    page.fill("#find", "")
    expect(page.locator("#find-count")).to_have_text("")
    expect(page.locator("#transcript .segment.match")).to_have_count(0)
