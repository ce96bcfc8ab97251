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


def test_a_view_heard_in_another_language_over_audio_past_its_segments_is_heard_again():
    """English segments ending at 16 s, in a view whose last 14 s are German (heard as German
    0.93 on the whole view): heard again on their own audio, they are English."""
    whole_view = {"de": 0.93, "en": 0.06}
    view = [(segment(0.0, 10.0), whole_view), (segment(11.0, 16.0), whole_view)]

    def heard(start: float, end: float) -> dict[str, float]:
        return ENGLISH if end <= 17 else GERMAN

    kept = list(flagged(iter(view), "en", speech_between, heard))
    assert [s.flags for s in kept] == [(), ()]


def test_beside_another_language_a_view_not_sure_of_the_main_one_is_halved():
    """17 s of English then 10 s of German heard as English 0.86 (not mixed by itself), before
    a view of German: halved, its German is flagged, its English not."""
    unsure = {"en": 0.86, "de": 0.13}
    view = [(segment(a, a + 4.0), unsure) for a in (0.0, 5.0, 10.5, 15.0)]
    after = [(segment(a, a + 4.0), GERMAN) for a in (30.0, 35.0)]

    def heard(start: float, end: float) -> dict[str, float]:
        return GERMAN if start >= 10 else ENGLISH if end <= 10 else unsure

    kept = list(flagged(iter(view + after), "en", speech_between, heard))
    assert [s.heard_language for s in kept] == ["", "", "de", "de", "de", "de"]
    # Alone (no German view beside it) the same view is English: nothing halved, nothing flagged.
    alone = list(flagged(iter(view), "en", speech_between, heard))
    assert [s.flags for s in alone] == [()] * 4


def test_a_short_stretch_surely_in_another_language_beside_a_flagged_one_is_flagged():
    """2 s of French right after a view of German: too little speech alone, flagged beside."""
    french = {"fr": 0.97, "en": 0.01}
    views = [(segment(0.0, 25.0), GERMAN), (segment(26.0, 28.0), french)]
    views += [(segment(30.0, 40.0), ENGLISH)]

    def heard(start: float, end: float) -> dict[str, float]:
        return GERMAN if end <= 25 else french if end <= 29 else ENGLISH

    kept = list(flagged(iter(views), "en", speech_between, heard))
    assert [s.heard_language for s in kept] == ["de", "fr", ""]
    alone = list(flagged(iter(views[1:]), "en", speech_between, heard))
    assert [s.flags for s in alone] == [(), ()]


def test_the_last_seconds_of_another_language_heard_with_its_close_neighbours_are_flagged():
    """70 s of Spanish end in a place and a date (3.6 s) heard as Spanish 0.78, Galician 0.11,
    Basque 0.05: under the 0.8 a switch needs alone, but beside the Spanish it is surely not
    English. English beside it, or a piece heard as English at 0.25, is not flagged."""
    spanish = {"es": 0.96, "gl": 0.03, "en": 0.01}
    tail = {"es": 0.78, "gl": 0.11, "eu": 0.05, "en": 0.004}
    unsure = {"es": 0.72, "en": 0.25}
    views = [(segment(0.0, 25.0), spanish), (segment(26.0, 29.6), tail)]
    views += [(segment(31.0, 40.0), ENGLISH)]

    def heard(start: float, end: float) -> dict[str, float]:
        return spanish if end <= 25 else tail if end <= 30 else ENGLISH

    kept = list(flagged(iter(views), "en", speech_between, heard))
    assert [s.heard_language for s in kept] == ["es", "es", ""]
    alone = list(flagged(iter(views[1:]), "en", speech_between, heard))
    assert [s.flags for s in alone] == [(), ()]
    doubtful = [views[0], (segment(26.0, 29.6), unsure), views[2]]
    kept = list(flagged(iter(doubtful), "en", speech_between, lambda a, b: doubtful[1][1]))
    assert [s.heard_language for s in kept] == ["es", "", ""]


def test_a_stretch_decoded_again_on_its_own_is_judged_beside_the_flagged_speech_around_it():
    """0.8 s decoded again inside German (its own view, none before or after it): German 0.81,
    English 0.12, then 0.91 on its own. Beside German flagged around it, it is flagged; with
    nothing flagged around it, a second is too little speech to be sure of."""
    lone = [(segment(9.5, 10.3), {"de": 0.81, "en": 0.12})]

    def heard(start: float, end: float) -> dict[str, float]:
        return {"de": 0.91, "en": 0.04}

    def german_around(start: float, end: float) -> set[str]:
        return {"de"}

    kept = list(flagged(iter(lone), "en", speech_between, heard, german_around))
    assert [s.heard_language for s in kept] == ["de"]
    alone = list(flagged(iter(lone), "en", speech_between, heard))
    assert [s.flags for s in alone] == [()]
