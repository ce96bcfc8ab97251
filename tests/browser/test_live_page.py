"""A real Chromium speaking a corpus recording into the live page through its fake microphone:
the words appear live, and the saved transcript has them."""

import re
import wave

import av
import pytest

from apps.transcripts.models import Transcript
from tests.live.server import Daphne
from tests.wer import wer

from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wav48k(source, target) -> None:
    """Chromium's fake microphone plays a WAV file (in a loop)."""
    pcm = bytearray()
    with av.open(str(source)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in container.decode(audio=0):
            for chunk in resampler.resample(frame):
                pcm += bytes(chunk.planes[0])[: chunk.samples * 2]
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(bytes(pcm) + bytes(48000 * 2 * 2))  # and two seconds of silence


def test_the_live_page_shows_the_words_and_saves_them(settings, tmp_path, alice, corpus):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    speech = tmp_path / "speech.wav"
    wav48k(corpus / "jfk.flac", speech)
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={speech}"]  # fmt: skip
    with (
        Daphne(
            db_path=settings.DATABASES["default"]["NAME"],
            media_root=str(settings.MEDIA_ROOT),
            log=tmp_path / "daphne.log",
        ) as server,  # fmt: skip
        pytest.MonkeyPatch.context() as mp,
        playwright_api.sync_playwright() as pw,
    ):
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(base_url=server.url)
        page.set_default_timeout(60_000)

        class Live:
            url = server.url

        log_in(page, Live, alice)
        page.goto("/live/")
        page.click("#live-record")
        captions = page.locator("#live-captions")
        captions.locator("p.final", has_text="for your country").first.wait_for()
        heard_live = captions.inner_text()
        page.click("#live-stop")
        page.locator("#live-saved").wait_for()
        page.click("#live-saved-link")
        page.wait_for_url("**/transcripts/*/")
        browser.close()

    # The fake microphone loops the file: what was heard starts with the whole recording.
    reference = (corpus / "jfk.txt").read_text()
    words = len(reference.split())
    live_text = re.sub(r"\d+:\d\d", " ", heard_live)  # the timestamps
    assert wer(reference, " ".join(live_text.split()[:words])) < 0.35
    transcript = Transcript.objects.get(owner=alice)
    assert transcript.status == "done" and transcript.duration > 5
    assert wer(reference, " ".join(transcript.text.split()[:words])) < 0.35
