"""Screenshots compared against stored baselines, so a layout that breaks shows up in a test,
not in a user's phone.

The baselines live in tests/browser/baselines/ and are made by this machine's Chromium (the one
scripts/setup.sh installs). After an intended change of look, run the browser tests once with
VOICEPORTAL_UPDATE_BASELINES=1 and commit the new pictures. What changes from run to run (dates,
secrets) is masked: <time> elements and anything marked data-volatile."""

import io
import os
from pathlib import Path

from PIL import Image, ImageChops

BASELINES = Path(__file__).parent / "baselines"
FAILED = Path(os.environ.get("VOICEPORTAL_SCREENSHOT_DIR", "/tmp/vp-screens"))
VOLATILE = "time, [data-volatile]"
# A pixel differs when a channel moves by more than this (anti-aliasing and font hinting move
# edges by a little); a picture differs when more than this share of its pixels do.
PIXEL_TOLERANCE = 40
SHARE_TOLERANCE = 0.005


def screenshot_matches_baseline(page, name: str) -> str | None:
    """None when the page looks as its baseline does; else why not (a diff image is saved)."""
    shot = page.screenshot(
        full_page=True, animations="disabled", caret="hide", mask=[page.locator(VOLATILE)]
    )
    baseline = BASELINES / f"{name}.png"
    if os.environ.get("VOICEPORTAL_UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        baseline.write_bytes(shot)
        return None
    if not baseline.exists():
        return f"{name}: no baseline (run with VOICEPORTAL_UPDATE_BASELINES=1 to make one)"
    return _compare(Image.open(io.BytesIO(shot)), Image.open(baseline), name)


def _compare(actual: Image.Image, expected: Image.Image, name: str) -> str | None:
    actual, expected = actual.convert("RGB"), expected.convert("RGB")
    if actual.size != expected.size:
        _save(actual, f"{name}-actual")
        size, wanted = "×".join(map(str, actual.size)), "×".join(map(str, expected.size))
        return f"{name}: {size} px, the baseline {wanted} px"
    diff = ImageChops.difference(actual, expected)
    # The largest channel change per pixel, then which pixels changed by more than the tolerance.
    red, green, blue = diff.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    changed = largest.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    share = sum(changed.histogram()[255:]) / (actual.size[0] * actual.size[1])
    if share <= SHARE_TOLERANCE:
        return None
    _save(actual, f"{name}-actual")
    _save(changed, f"{name}-diff")
    return f"{name}: {share:.1%} of the pixels differ from the baseline"


def _save(image: Image.Image, name: str) -> None:
    FAILED.mkdir(parents=True, exist_ok=True)
    image.save(FAILED / f"{name}.png")
