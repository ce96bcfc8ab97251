"""Text invented where nobody speaks: a known credit line over music is dropped, the same line
over speech and any other text over music are left to the other checks."""

import functools
from types import SimpleNamespace

import numpy as np
import pytest

from apps.core.media import decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.invented import invented
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun
from apps.engines.stt.silero import SpeechProbabilities

SR = 16_000
MUSIC_SECONDS = 4.0


def music(seconds: float) -> np.ndarray:
    """A loop of chords with a beat and a little hiss, as loud as speech: what a reading's
    background or a jingle after it sounds like to the VAD."""
    t = np.arange(int(seconds * SR)) / SR
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    beat = 0.5 + 0.5 * (np.sin(2 * np.pi * 2.0 * t) > 0)
    hiss = np.random.default_rng(0).normal(0, 0.05, t.size)
    return (0.08 * chords * beat + hiss).astype(np.float32)


@pytest.fixture(scope="module")
def audio(corpus):
    """JFK's 11 s of speech, then music."""
    return np.concatenate([decode_all(corpus / "jfk.flac"), music(MUSIC_SECONDS)])


@pytest.fixture(scope="module")
def speech_then_music(audio):
    """(Silero's speech seconds at the engine's threshold, where the speech ends)."""
    heard = functools.partial(SpeechProbabilities(audio).seconds_above, 0.35)
    return heard, len(audio) / SR - MUSIC_SECONDS


def segment(text, start, end):
    return SimpleNamespace(text=text, start=start, end=end)


def test_a_credit_line_over_the_music_after_the_last_word_is_invented(speech_then_music):
    heard, music_from = speech_then_music
    made_up = segment(" Copyright WDR 2020", music_from + 0.5, music_from + 1.5)
    assert heard(made_up.start, made_up.end) < 0.5
    assert invented(made_up, heard)
    # Words aligned to no time at all (as base aligned "WDR 2020") are judged over 0.2 s.
    assert invented(
        segment(" Untertitel im Auftrag des ZDF", music_from + 2, music_from + 2), heard
    )


def test_a_credit_line_over_speech_is_kept(speech_then_music):
    # A speaker may say it: under JFK's words the VAD hears speech.
    heard, _ = speech_then_music
    assert not invented(segment(" Thank you for watching.", 1.0, 3.0), heard)


def test_other_text_over_music_is_left_to_the_other_checks(speech_then_music):
    # A far-field backchannel is as faint to the VAD: only known credit lines are dropped.
    heard, music_from = speech_then_music
    assert not invented(segment(" Yeah.", music_from + 0.5, music_from + 1.0), heard)


class CreditWriter:
    """Stands in for the decoder as base behaved over music: whatever stretch without text it
    is given alone, it writes a subtitle credit over, sure of it (no-speech 0.42)."""

    model = SimpleNamespace(is_multilingual=False)


class CreditWritingRun(_WindowedRun):
    def _confidently(self, audio, offset, language, **options):
        end = offset + len(audio) / SR
        return [Segment(start=offset, end=end, text=" Copyright WDR 2020", no_speech_prob=0.42)]


def test_a_stretch_of_music_gets_a_mark_instead_of_the_credit_line(audio, corpus):
    backend = LocalWhisperBackend(alias="t", default_model="tiny.en", batch_size=1)
    run = CreditWritingRun(
        backend, CreditWriter(), TranscriptionRequest(audio_path=corpus / "jfk.flac"), "en"
    )
    run.hear(audio)
    music_from = len(audio) / SR - MUSIC_SECONDS
    over_music = list(run._gap(audio, 0.0, [], music_from + 0.5, music_from + 2.0))
    assert [(s.text, s.gap) for s in over_music] == [("", "no_text")]
    over_speech = list(run._gap(audio, 0.0, [], 1.0, 3.0))
    assert [s.text for s in over_speech] == [" Copyright WDR 2020"]
