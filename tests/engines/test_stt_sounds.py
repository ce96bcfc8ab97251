"""Laughter, applause or crying where speech without text would be marked: named as captions
write it, from the note Whisper writes there once notes are allowed; words never become one."""

import pytest
from django.conf import settings as django_settings

from apps.core.media import decode_all
from apps.engines.stt.local import load_model
from apps.engines.stt.sounds import heard_sound, sound_named


@pytest.mark.parametrize(
    ("text", "sound"),
    [
        (" (laughing)", "laughter"),
        (" (laughs)", "laughter"),
        (" *laughs*", "laughter"),
        (" [applause]", "applause"),
        (" (audience applauding)", "applause"),
        (" [Applause] [Applause]", "applause"),
        (" (baby crying)", "crying"),
        (" *sobs*", "crying"),
    ],
)
def test_whisper_s_notes_of_a_sound_name_it(text, sound):
    # Each as base wrote it over the laughter and applause of the fourth unseen set.
    assert sound_named(text) == sound


@pytest.mark.parametrize(
    "text",
    [
        " Hahaha!",  # a word: text, not a note
        " (laughs) Oh, yes.",  # words beside the note
        " [Music]",  # written over far-field speech too
        " [BLANK_AUDIO]",
        " (mimics)",
        " I cry every time.",
        "",
    ],
)
def test_words_and_other_notes_name_no_sound(text):
    assert sound_named(text) == ""


@pytest.fixture(scope="module")
def tiny():
    return load_model(
        "tiny.en",
        device="cpu",
        compute_type="int8",
        cpu_threads=0,
        cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


def test_speech_decoded_with_notes_allowed_names_no_sound(tiny, corpus):
    # The first sentence of JFK's address, decoded as a marked stretch is.
    assert heard_sound(tiny, decode_all(corpus / "jfk.flac")[: 4 * 16_000]) == ""
