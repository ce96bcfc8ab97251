"""Benchmark: in the speech studio, from the click on Generate to the first sound, with Piper
(or `--voices piper:joe,kokoro:jf_alpha`, one after the other in one run), in a real Chromium
on the real stack (daphne and the speech worker, as bench_speech_http.py
starts them). Prints figures; asserts nothing.

Each run is timed in the page: the click, then the player's first `playing` event. The same runs
are made with Media Source Extensions switched off, i.e. the <audio> element left to buffer the
growing stream itself, which is how the studio played before.

    .venv/bin/python bench/bench_studio_first_sound.py --repeat 5
    .venv/bin/python bench/bench_studio_first_sound.py --voices piper:joe,kokoro:jf_alpha --mse-only
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_speech_http import ROOT, Stack

CHROMIUM = "/usr/bin/chromium"
TEXT = "Welcome to the studio. The first sentence plays while the second is synthesised."
# A long first sentence, as an article's often is: the engines speak its first words alone.
LONG_FIRST = (
    "When the storm finally passed over the valley late in the afternoon, the whole village "
    "came out to look at the damage. Nobody had been hurt."
)
# Seconds from the click to the studio's answer being swapped in, and to the first sound.
TIMED = """() => new Promise((resolve) => {
  const start = performance.now();
  let swapped = null;
  document.addEventListener("htmx:afterSwap", () => { swapped ??= performance.now() - start; });
  document.addEventListener("playing",
    () => resolve([swapped / 1000, (performance.now() - start) / 1000]),
    { capture: true, once: true });
  document.getElementById("generate").click();
})"""


def first_sounds(page, url: str, repeat: int, voice: str, text: str) -> list[list[float]]:
    seconds = []
    for _ in range(repeat + 1):  # the first run is untimed: the worker warms the voice
        page.goto(f"{url}/speech/")
        page.fill("#id_text", text)
        page.check(f"input[name=voice][value='{voice}']")
        seconds.append(page.evaluate(TIMED))
        page.evaluate("document.getElementById('speech-player').pause()")
        # The rest of this text is not left speaking beside the next run's first words (a slow
        # engine's would be): cancelled, and its end awaited.
        cancel = page.locator("#gen-progress-actions button", has_text="Cancel")
        if cancel.count():
            cancel.click()
        page.locator("#gen-progress .status-done, #gen-progress .status-cancelled").wait_for(
            timeout=120_000
        )
    return seconds[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--voices", default="piper:joe")
    parser.add_argument("--mse-only", action="store_true", help="skip element buffering")
    parser.add_argument("--long-first", action="store_true", help="a long first sentence")
    args = parser.parse_args()
    text = LONG_FIRST if args.long_first else TEXT
    workdir = Path(tempfile.mkdtemp(prefix="vp-bench-studio-"))
    env = dict(os.environ) | {
        "VOICEPORTAL_DATA_DIR": str(workdir / "data"),
        "VOICEPORTAL_MODEL_CACHE": os.environ.get(
            "VOICEPORTAL_MODEL_CACHE", str(ROOT / "var" / "models")
        ),
        "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
    }
    for name in ("VOICEPORTAL_SQLITE_PATH", "VOICEPORTAL_MEDIA_ROOT", "VOICEPORTAL_TASKS_BACKEND"):
        env.pop(name, None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from playwright.sync_api import sync_playwright

    stack = Stack(env, workdir)
    try:
        stack.start()
        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
            )
            ways = [
                ("from the stream (MSE)", ""),
                ("element buffering", "delete window.MediaSource;"),
            ]
            for voice, (label, script) in (
                (v, way)
                for v in args.voices.split(",")
                for way in ways[: 1 if args.mse_only else 2]
            ):
                context = browser.new_context()
                context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": stack.url}]
                )
                if script:
                    context.add_init_script(script)
                runs = first_sounds(context.new_page(), stack.url, args.repeat, voice, text)
                sounds = [sound for _, sound in runs]
                print(
                    f"  {voice:<16} {label:<22} click → first sound:"
                    f" median {statistics.median(sounds):.2f} s"
                    f" (min {min(sounds):.2f}, max {max(sounds):.2f}; {len(runs)} runs);"
                    f" answer swapped in after {statistics.median(s for s, _ in runs):.2f} s"
                )
                context.close()
            browser.close()
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
