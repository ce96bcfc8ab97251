"""Which segments a language heard flags: a sure other language on enough speech only, and a
view that may hold two languages halved between its segments (other_language.py)."""

from apps.engines.stt.base import Segment
from apps.engines.stt.other_language import flagged

GERMAN = {"de": 0.99, "en": 0.01}
ENGLISH = {"en": 0.98, "de": 0.02}
BOTH = {"en": 0.5, "de": 0.49}


def segment(start: float, end: float) -> Segment:
    return Segment(start, end, " words")


def speech_between(start: float, end: float) -> float:
    return end - start  # every second of these segments is speech


def heard_by_time(start: float, end: float) -> dict[str, float]:
    """German up to 10 s, English after."""
    return GERMAN if end <= 10 else ENGLISH if start >= 10 else BOTH


def test_a_sure_other_language_on_too_little_speech_is_no_flag():
    short = [(segment(0.0, 2.5), GERMAN)]
    kept = list(flagged(iter(short), "en", speech_between, heard_by_time))
    assert kept[0].flags == () and kept[0].heard_language == ""


def test_a_view_of_two_languages_is_flagged_over_the_other_one_only():
    view = [(segment(a, a + 4.0), BOTH) for a in (0.0, 5.0, 10.5, 15.0)]
    kept = list(flagged(iter(view), "en", speech_between, heard_by_time))
    assert [s.heard_language for s in kept] == ["de", "de", "", ""]
    assert [s.flags for s in kept] == [("other_language",)] * 2 + [()] * 2
