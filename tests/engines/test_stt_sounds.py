"""Laughter, applause or crying where speech without text would be marked: named as captions
write it, from the note Whisper writes there once notes are allowed; words never become one."""

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.stt.base import TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend, load_model
from apps.engines.stt.sounds import TONAL_FLATNESS, flatness, heard_sound, sound_named
from tests import media_factory
from tests.engines.stand_ins import StandInRun
from tests.engines.test_stt_seams import GapDecoder, sampled


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


@pytest.mark.parametrize(
    ("text", "tonal", "sound"),
    [
        (" (upbeat music)", True, "music"),  # base over music beds, development and unseen
        (" [soft music] ♪", True, "music"),
        (" (upbeat music)", False, ""),  # over a broadband sound: noise, claps
        (" [MUSIC PLAYING]", False, ""),  # base over synthesised claps
        (" [Music]", True, ""),  # base over far-field speech, music and noise alike
        (" (Music)", True, ""),
        (" (upbeat music) Come on!", True, ""),  # words: a song, not a bed
    ],
)
def test_music_is_named_from_a_note_that_says_more_over_a_tonal_sound(text, tonal, sound):
    assert sound_named(text, tonal=tonal) == sound


def test_speech_is_tonal_and_noise_is_not(corpus):
    # Music and speech are tonal (flatness 0.001-0.029 on development clips), recorded noise is
    # not (0.052-0.49): white noise, the flattest, at the far end.
    speech = decode_all(corpus / "jfk.flac")[: 4 * 16_000]
    noise = np.random.default_rng(0).normal(0.0, 0.05, 4 * 16_000).astype(np.float32)
    assert flatness(speech) < TONAL_FLATNESS < flatness(noise)


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


def mark_of(said, tmp_path, seconds, **options):
    """The mark for `seconds` of speech without text where the decoder writes `said`, with
    notes allowed or not (a note is no text: it is dropped from the text, wordless.py)."""
    backend = LocalWhisperBackend(alias="t", default_model="tiny.en", faint_marks=False, **options)
    request = TranscriptionRequest(audio_path=media_factory.silence(tmp_path / "a.wav", 5))
    run = StandInRun(backend, GapDecoder([sampled(said, 4)]), request, "en")
    run.announced = True
    audio = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    run.hear(audio)
    return [(s.gap, s.sound) for s in run._gap(audio, 0.0, [], 0.0, seconds)]


def test_a_long_stretch_whisper_notes_as_laughter_is_named_so(tmp_path):
    assert mark_of(" (laughing)", tmp_path, 3.6) == [("sound", "laughter")]
    assert mark_of(" (laughing)", tmp_path, 3.6, name_sounds=False) == [("no_text", "")]


def test_a_short_one_keeps_its_mark(tmp_path):
    # Where several people talk at once in a meeting for 2-2.4 s, Whisper wrote laughter notes
    # too, over what the AMI references count as speech.
    assert mark_of(" (laughing)", tmp_path, 2.4) == [("no_text", "")]


def test_with_short_sounds_short_applause_is_named_and_short_laughter_still_not(tmp_path):
    # Whisper wrote "[Applause]" over the unseen set's 2 s of applause; over meetings' 2.4 s of
    # voices at once, "[laughs]".
    assert mark_of(" [Applause]", tmp_path, 2.0) == [("no_text", "")]
    assert mark_of(" [Applause]", tmp_path, 2.0, name_short_sounds=True) == [("sound", "applause")]
    assert mark_of(" (laughing)", tmp_path, 2.4, name_short_sounds=True) == [("no_text", "")]
    assert mark_of(" [Applause]", tmp_path, 0.8, name_short_sounds=True) == [("no_text", "")]


def test_with_short_laughter_a_meetings_short_laugh_is_named_for_the_speakers_analysis(tmp_path):
    # ami_trn04's "[laughs]" at 14.0-16.4 s: the analysis gives it to the one laughing.
    assert mark_of(" [laughs]", tmp_path, 2.4, name_short_laughter=True) == [("sound", "laughter")]
    assert mark_of(" [Applause]", tmp_path, 2.0, name_short_laughter=True) == [("no_text", "")]
    assert mark_of(" [laughs]", tmp_path, 0.8, name_short_laughter=True) == [("no_text", "")]
