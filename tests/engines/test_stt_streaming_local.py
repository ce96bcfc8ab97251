"""The local streaming engine's parts on real audio: the resampler, the streaming VAD against
faster-whisper's own VAD run, LocalAgreement-2, and a whole session that is finished twice."""

import asyncio

import numpy as np
import pytest

from apps.engines.stt.streaming.agreement import LocalAgreement
from apps.engines.stt.streaming.base import Final, StreamConfig, StreamError
from apps.engines.stt.streaming.local import Resampler
from apps.engines.stt.streaming.vad import WINDOW, StreamingVad
from tests.live.conftest import pcm24


def test_local_agreement_commits_what_two_hypotheses_share():
    agreement = LocalAgreement()
    assert agreement.update(["And", "so"]) == ("", "And so")
    # Agreement ignores case and punctuation; the newer spelling is committed.
    assert agreement.update(["And", "so,", "my"]) == ("And so,", "And so, my")
    # A later hypothesis that disagrees does not take committed words back.
    assert agreement.update(["Ant"]) == ("And so,", "And so,")
    assert agreement.update(["And", "so", "my", "fellow"]) == ("And so,", "And so, my fellow")


def test_the_resampler_keeps_length_and_pitch_across_chunks():
    t = np.arange(24000) / 24000
    tone = (np.sin(2 * np.pi * 440 * t) * 16000).astype("<i2").tobytes()
    resample = Resampler()
    out = np.concatenate([resample(tone[i : i + 4802]) for i in range(0, len(tone), 4802)])
    assert len(out) == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(out[:16000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 Hz bins over one second
    assert resample(b"").size == 0


def test_the_streaming_vad_agrees_with_the_whole_file_run(corpus):
    from faster_whisper import decode_audio
    from faster_whisper.vad import get_vad_model

    audio = decode_audio(str(corpus / "jfk.flac"))
    audio = audio[: len(audio) - len(audio) % WINDOW]
    whole = get_vad_model()(audio).reshape(-1)
    vad = StreamingVad()
    windows = audio.reshape(-1, WINDOW)
    streamed = np.concatenate(
        [vad.probabilities(windows[i : i + 7]) for i in range(0, len(windows), 7)]
    )
    assert np.allclose(whole, streamed, atol=1e-4)


def test_finish_with_nothing_pending_gives_the_last_final(settings, corpus):
    from apps.engines.stt.streaming import streaming_backends

    pcm = pcm24(corpus / "jfk.flac")[: 48000 * 2]  # cut mid-utterance: no silence ends it

    async def run():
        session = await streaming_backends["local"].open(StreamConfig(language="en"))
        await session.send(pcm)
        await session.finish()
        return [event async for event in session.events()]

    events = asyncio.run(run())
    assert not [e for e in events if isinstance(e, StreamError)]
    finals = [e for e in events if isinstance(e, Final)]
    assert len(finals) == 1 and "fellow" in finals[0].segment.text.lower()


def test_the_short_context_encoder_hears_what_the_full_one_does(corpus):
    from faster_whisper import WhisperModel, decode_audio

    from apps.engines.stt.streaming.short_context import ShortContextWhisper
    from apps.engines.stt.whisper_models import model_path

    audio = decode_audio(str(corpus / "librivox_sns_0870.wav"))
    path = str(model_path("tiny.en"))
    texts = []
    for model_class in (WhisperModel, ShortContextWhisper):
        model = model_class(path, device="cpu", compute_type="int8", cpu_threads=1)
        segments, _ = model.transcribe(audio, language="en", beam_size=1, word_timestamps=True)
        segments = list(segments)
        texts.append("".join(s.text for s in segments))
        assert segments[-1].words[-1].end <= len(audio) / 16000 + 0.5
    assert texts[0] == texts[1]


def test_a_live_utterance_in_another_language_than_the_one_asked_is_flagged(corpus, tmp_path):
    """Asked for English, a German sentence comes out as English; the final says it was heard
    as German (as a file's segments do), and an English one says nothing."""
    from apps.core.media import SAMPLE_RATE, decode_all
    from apps.engines.stt.streaming import streaming_backends
    from tests import media_factory

    german = decode_all(corpus / "multilingual.mp3")[int(31.0 * SAMPLE_RATE) : 38 * SAMPLE_RATE]
    english = decode_all(corpus / "jfk.flac")
    silence = np.zeros(SAMPLE_RATE * 2, dtype=np.float32)
    path = media_factory.write_wav(
        tmp_path / "de_en.wav", np.concatenate([german, silence, english])
    )

    async def run():
        config = StreamConfig(language="en", model="base")
        session = await streaming_backends["local"].open(config)
        await session.send(pcm24(path))
        await session.finish()
        return [event async for event in session.events()]

    finals = [e for e in asyncio.run(run()) if isinstance(e, Final) and e.segment.text]
    german_finals = [f for f in finals if f.segment.start < 7.0]
    english_finals = [f for f in finals if f.segment.start >= 8.5]
    assert german_finals and english_finals
    assert all(f.segment.heard_language == "de" for f in german_finals)
    assert all("other_language" in f.segment.flags for f in german_finals)
    assert not any(f.segment.flags or f.segment.heard_language for f in english_finals)
