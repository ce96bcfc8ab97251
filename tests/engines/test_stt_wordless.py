"""A segment with no word in it ("." over music) is no transcript: the engine drops it, and the
stretch under it is checked as any speech without text is."""

import asyncio

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.streaming import streaming_backends
from apps.engines.stt.streaming.base import Final, StreamConfig
from apps.engines.stt.wordless import wordless
from tests import media_factory
from tests.live.conftest import pcm24

SR = 16_000


@pytest.mark.parametrize("text", [" .", " . .", " ... ...", " [Music]", " (applause)", " ♪♪", ""])
def test_punctuation_and_notes_of_sound_are_wordless(text):
    assert wordless(text)


@pytest.mark.parametrize("text", [" 1.", " Yes.", "砸自己的脚", " (laughs) Yes.", " Mm-hmm."])
def test_a_word_of_any_script_or_a_number_is_text(text):
    assert not wordless(text)


@pytest.fixture(scope="module")
def hum(corpus, tmp_path_factory):
    """A 150 Hz hum that swells and fades with JFK's loudness: no speech, but shaped like it,
    so the VAD and the decoder take some of it for speech."""
    jfk = decode_all(corpus / "jfk.flac")
    loudness = np.convolve(np.abs(jfk), np.ones(800) / 800, mode="same")
    tone = np.sin(2 * np.pi * 150.0 * np.arange(jfk.size) / SR)
    path = tmp_path_factory.mktemp("hum") / "hum.wav"
    return media_factory.write_wav(path, (5 * loudness * tone).astype(np.float32))


def test_a_hum_gets_no_lines_of_dots(hum):
    # With a prompt of dots, tiny.en wrote " ... ..." over the hum twice: two lines on the page.
    engine = LocalWhisperBackend(
        alias="t",
        default_model="tiny.en",
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    request = TranscriptionRequest(audio_path=hum, model="tiny.en", prompt="...")
    segments = [e for e in engine.transcribe(request) if isinstance(e, Segment)]
    assert segments, "the stretch the VAD took for speech is accounted for"
    assert all(s.untranscribed and not s.text for s in segments)


def test_live_captions_over_a_hum_have_no_dots(hum):
    # The live engine's final text over the same hum and prompt was " ..." (0.07-1.97 s).
    async def run():
        session = await streaming_backends["local"].open(StreamConfig(language="en", prompt="..."))
        await session.send(pcm24(hum))
        await session.finish()
        return [event async for event in session.events()]

    finals = [e for e in asyncio.run(run()) if isinstance(e, Final)]
    assert finals, "each utterance the VAD heard still ends with a final"
    assert [f.segment.text for f in finals if f.segment.text and wordless(f.segment.text)] == []
