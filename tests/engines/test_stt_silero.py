"""One Silero pass read with several settings finds what a pass per setting finds."""

import wave

import numpy as np
import pytest
from django.conf import settings as django_settings
from faster_whisper.vad import VadOptions, get_speech_timestamps

from apps.core.media import decode_all
from apps.engines.stt import local, silero
from apps.engines.stt.base import Segment, SpeechHeard, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.regions import VAD_PARAMETERS
from apps.engines.stt.silero import SpeechProbabilities
from apps.engines.stt.vad import speech_regions

# The engine's settings (sensitive, the decoder's, faster-whisper's own, the batched clips'), the
# silence flags', and a short longest-speech limit, so speech is also cut mid-region.
SETTINGS = [
    VadOptions(**VAD_PARAMETERS),
    VadOptions(min_silence_duration_ms=local.DECODER_SILENCE_MS),
    VadOptions(),
    VadOptions(max_speech_duration_s=29),
    VadOptions(min_silence_duration_ms=500, speech_pad_ms=200),
    VadOptions(max_speech_duration_s=4),
]


@pytest.mark.parametrize("name", ["jfk.flac", "ami_trn04.wav"])
def test_each_setting_finds_the_chunks_of_a_pass_of_its_own(corpus, name, monkeypatch):
    # The rules alone: one pass over the whole audio, as faster-whisper makes (no fresh pass).
    monkeypatch.setattr(silero, "_FRESH_SECONDS", 3600.0)
    audio = decode_all(corpus / name)
    probabilities = SpeechProbabilities(audio)
    for options in SETTINGS:
        assert probabilities.chunks(options) == get_speech_timestamps(audio, options)
    assert len(probabilities.chunks(SETTINGS[-1])) > len(probabilities.chunks(SETTINGS[1]))


def test_a_far_voice_after_a_near_one_is_heard_as_it_is_heard_alone(corpus):
    # Silero's state carries the audio before: after 25 s of a near voice, the far-field
    # meeting speech that follows was heard in 0.29 of its frames, against 0.58 alone.
    near = decode_all(corpus / "rtvc_1320.mp3")
    near = np.tile(near, 5)[: 25 * 16_000]
    far = decode_all(corpus / "ami_trn05.wav")
    alone = SpeechProbabilities(far).probabilities >= 0.5
    after = SpeechProbabilities(np.concatenate([near, far])).probabilities[near.size // 512 :]
    assert np.mean(after[: alone.size] >= 0.5) >= 0.8 * np.mean(alone)


def test_the_engine_tells_where_it_heard_speech_as_the_silence_flags_would_find_it(corpus):
    path = corpus / "jfk.flac"
    engine = LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    events = list(engine.transcribe(TranscriptionRequest(audio_path=path)))
    heard = [e for e in events if isinstance(e, SpeechHeard)]
    assert len(heard) == 1 and heard[0].start == 0.0 and heard[0].end == pytest.approx(11.0, 0.01)
    assert isinstance(events[-1], SpeechHeard)  # after the window's segments
    assert list(heard[0].regions) == speech_regions(path)


def test_the_decoder_reads_the_window_s_probabilities_instead_of_its_own_pass(
    corpus, tmp_path, monkeypatch
):
    # 128,003 samples: a length whose seconds times the rate round down by one sample.
    path = tmp_path / "clip.wav"
    samples = decode_all(corpus / "jfk.flac")[:128_003]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    passes = []

    class Counted(SpeechProbabilities):
        def __init__(self, audio):
            passes.append(len(audio))
            super().__init__(audio)

    monkeypatch.setattr(local, "SpeechProbabilities", Counted)
    engine = LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    events = list(engine.transcribe(TranscriptionRequest(audio_path=path)))
    assert any(isinstance(e, Segment) and e.text for e in events)
    assert passes.count(128_003) == 1 and 128_002 not in passes


def test_speech_as_heard_is_the_chunks_without_padding_and_ends_where_the_voice_fell(corpus):
    options = VadOptions(**VAD_PARAMETERS)
    pad = options.speech_pad_ms * 16
    meeting = SpeechProbabilities(decode_all(corpus / "ami_trn04.wav"))
    padded, heard = meeting.chunks(options), meeting.unpadded(options)
    # Each chunk closed by silence is its speech widened by the padding, no more.
    closed = [(c["start"], c["end"]) for c in padded[1:-1]]
    assert closed == [(h["start"] - pad, h["end"] + pad) for h in heard[1:-1]]
    # One English sentence and 0.9 s of quiet: too short a silence to close the chunk, which
    # then runs to the last sample. As heard, the speech ends about 0.9 s before.
    audio = decode_all(corpus / "cheetah_en.wav")
    reading = SpeechProbabilities(audio)
    assert reading.chunks(options)[-1]["end"] == len(audio)
    assert 3.3 < reading.unpadded(options)[-1]["end"] / 16_000 < 3.8
