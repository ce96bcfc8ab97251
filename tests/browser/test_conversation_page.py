"""A real Chromium asks a spoken question through its fake microphone on the conversation page:
the assistant answers aloud (its audio reaches the page), both sides' words show, and the saved
conversation replays. (Barge-in is tested through the Realtime API: a fake microphone's timing
against a loaded machine's replies is not something a test can rely on.)"""

import wave

import pytest

from apps.conversation.models import Conversation

from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fake_microphone(pcm24k: bytes, target) -> None:
    """Chromium's fake microphone loops a WAV file: the question, then silence long enough for
    the answer to be spoken before the question comes again."""
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(pcm24k + bytes(24000 * 2 * 30))


def test_the_assistant_answers_aloud_and_the_conversation_replays(
    portal_server, tmp_path, alice, spoken_question
):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    microphone = tmp_path / "question.wav"
    fake_microphone(spoken_question, microphone)
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}"]  # fmt: skip
    server = portal_server
    with pytest.MonkeyPatch.context() as mp, playwright_api.sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_page(base_url=server.url)
        page.set_default_timeout(60_000)

        class Live:
            url = server.url

        log_in(page, Live, alice)
        page.goto("/conversations/")
        page.fill("#id_instructions", "You are a helpful voice assistant. Answer in one sentence.")
        page.select_option("#id_voice", "piper:joe")
        page.click("#conversation-new button[type=submit]")
        page.wait_for_url("**/conversations/*/")
        page.click("#talk-start")
        transcript = page.locator("#talk-transcript")
        answer = transcript.locator("p.turn-assistant.final", has_text="Paris").first
        answer.wait_for()
        heard_by_page = int(transcript.get_attribute("data-audio-bytes"))
        user_said = transcript.locator("p.turn-user").first.inner_text()
        page.click("#talk-stop")

        page.reload()
        replay = page.locator("p.turn-assistant audio").first
        duration = replay.evaluate(
            "a => a.play().then(() => new Promise(r => a.readyState >= 1 ? r(a.duration)"
            " : a.addEventListener('loadedmetadata', () => r(a.duration))))"
        )
        browser.close()

    assert heard_by_page > 24_000  # over half a second of the answer's PCM16
    assert "france" in user_said.lower()
    conversation = Conversation.objects.get(owner=alice)
    assert conversation.voice_id == "piper:joe"
    assert duration > 0.5
