"""A real Chromium on the voice pages: record a sample with the fake microphone (fed from a
corpus WAV), confirm consent, make the voice and follow it until it is ready; filter the
library and play a preview. Run alone with `pytest -m browser`."""

import re
import threading
from pathlib import Path

import pytest
from django.db import connection

from apps.jobs.runner import job_run
from apps.voices.models import CustomVoice, VoicePreview
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, log_in

from .conftest import QUEUES

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def microphone_browser(corpus):
    """Chromium whose microphone "hears" eagle speaker 1, looped."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={corpus / 'eagle_spk1_utt1.wav'}",
    ]
    with pytest.MonkeyPatch.context() as mp, playwright_api.sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see tests/browser/conftest.py
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(microphone_browser, live_server):
    context = microphone_browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}
    )
    context.grant_permissions(["microphone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def in_a_worker(*calls):
    """Run service calls in another thread, as a worker process would."""

    def work():
        try:
            for call in calls:
                call()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.slow
def test_it_records_a_sample_confirms_consent_and_makes_a_voice(page, live_server, alice, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}
    }
    settings.VOICEPORTAL_MATCH_CANDIDATES = ["piper:joe"]  # one candidate: ~15 s
    log_in(page, live_server, alice)
    page.goto("/voices/new/")
    page.fill("#id_name", "Recorded voice")

    page.get_by_role("button", name="● Record").click()
    expect(page.locator("[data-record-time]")).to_contain_text("Recording…")
    page.wait_for_timeout(6_500)
    page.get_by_role("button", name="■ Stop").click()
    expect(page.locator("[data-recordings] li")).to_have_count(1)
    expect(page.locator("[data-recordings] li")).to_contain_text("recording-1.webm")

    page.get_by_label("This is my own voice").check()
    page.fill("#id_speaker_name", "Alice Example")
    statement = page.locator("[data-statement=own_voice]")
    expect(statement).to_contain_text("my own voice (Alice Example)")
    page.get_by_label("I confirm the statement above").check()
    page.get_by_role("button", name="Check the samples and make the voice").click()

    expect(page).to_have_url(re.compile(r"/voices/[0-9a-f-]{36}/$"))
    voice = CustomVoice.objects.get(owner=alice)
    sample = voice.samples.get()
    assert (sample.source, sample.original_filename) == ("recording", "recording-1.webm")
    consent = voice.consents.get()
    assert consent.speaker_name == "Alice Example" and consent.ip_address == "127.0.0.1"
    assert "my own voice (Alice Example)" in consent.statement
    expect(page.locator("#voice-status")).to_contain_text("Queued")

    worker = in_a_worker(
        lambda: job_run(model=CustomVoice, job_id=str(voice.pk)),
        lambda: job_run(
            model=VoicePreview, job_id=VoicePreview.objects.get(key=voice.public_id).pk
        ),
    )
    # The job's own time depends on the machine's load; it is joined first so that it never
    # outlives the test. The page, polling all along, then reloads itself with the voice.
    worker.join(timeout=600)
    assert not worker.is_alive(), "the voice job did not finish in 10 minutes"
    expect(page.locator("#what-it-is")).to_contain_text("not a clone", timeout=30_000)
    voice.refresh_from_db()
    assert voice.status == "done", voice.error
    sample.refresh_from_db()
    assert sample.passed and sample.speech_seconds > 4  # the fake microphone's speech
    expect(page.locator("table.similarity").first).to_contain_text("Matched")
    page.screenshot(path=str(SCREENSHOTS / "vp-voice-detail.png"), full_page=True)


def test_the_library_filters_and_plays_a_preview(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/voices/")
    cards = page.locator("#stock-voices .voice-card")
    expect(cards.first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "vp-voices-library.png"), full_page=False)

    page.select_option("select[name=language]", "de")
    expect(page.locator("#stock-voices [data-voice-id='espeak:de']")).to_be_visible()
    expect(page.locator("#stock-voices [data-voice-id='piper:joe']")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"language=de"))

    page.select_option("select[name=language]", "")
    page.select_option("select[name=engine]", "piper")
    expect(cards).to_have_count(1)  # Piper's one voice
    card = page.locator("#stock-voices [data-voice-id='piper:joe']")
    # Tasks run inline here: the preview is made within the request, then plays.
    card.get_by_role("button", name=re.compile("preview", re.I)).click()
    expect(card.locator("[data-preview-src]")).to_have_class(re.compile("playing"))


def test_a_word_is_given_ipa_phonemes_on_the_dictionary_page(page, live_server, alice):
    log_in(page, live_server, alice)
    page.goto("/voices/pronunciations/")
    expect(page.locator("#phoneme-engines")).to_contain_text("Piper")
    form = page.locator("#pronunciation-form")
    form.get_by_label("Word").fill("Nevers")
    form.get_by_label("IPA phonemes").check()
    form.get_by_label("Phonemes (IPA)").fill("nəˈvɛʘ")
    form.get_by_role("button", name="Add or change").click()
    expect(form.get_by_role("alert")).to_contain_text("“ʘ”")
    expect(form.get_by_label("Phonemes (IPA)")).to_have_value("nəˈvɛʘ")  # nothing lost
    form.get_by_label("Phonemes (IPA)").fill("nəˈvɛʁ")
    form.get_by_role("button", name="Add or change").click()
    row = page.locator("#pronunciations tr", has_text="Nevers")
    expect(row).to_contain_text("/nəˈvɛʁ/")
    expect(row).to_contain_text("nuh-VAIR")  # what engines without phonemes read
