"""A segment whose words come again soon after, over other audio: decoded again, kept when it
is real speech said twice, else flagged."""

import logging
from types import SimpleNamespace

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend, _span, _WindowedRun
from apps.engines.stt.repeats import repeats_later, too_fast
from tests import media_factory
from tests.wer import wer

# What tiny.en wrote over "Today only platforms one and three are used" on a development
# recording (the first half of the benchmark's seed-7 recording, decoded alone): the sentence
# said 24 s later.
LATER = " If the reader will excuse me, I will say nothing of my antecedents."


def seg(start, end, text):
    return SimpleNamespace(start=start, end=end, text=text)


def test_it_tells_a_sentence_that_comes_again_over_other_audio():
    stray = seg(57.7, 60.6, " If the reader will excuse me, I will say nothing of my heart.")
    later = [seg(63.7, 65.6, " And so it begins."), seg(82.0, 84.7, LATER)]
    assert repeats_later(stray, later)
    # Split over two later segments, still the same words.
    assert repeats_later(stray, [seg(82.0, 83.5, " If the reader will"), seg(83.5, 86, LATER)])
    # Said again more than 30 s on, or over the same audio: not something Whisper copied.
    assert not repeats_later(stray, [seg(91.0, 94.0, LATER)])
    assert not repeats_later(stray, [seg(59.0, 62.0, LATER)])
    # Short phrases come back all the time.
    assert not repeats_later(seg(1, 2, " Thank you."), [seg(5, 6, " Thank you.")])
    assert not repeats_later(stray, [seg(70, 72, " If the reader agrees, we will go on.")])


def test_a_sentence_written_over_a_pause_holds_more_words_than_anyone_says():
    # base wrote the 24-word sentence said 25 s later over a 1.6 s pause (seed-7 recording).
    copied = " If the reader will excuse me, I will say nothing of my antecedents, nor of the"
    copied += " circumstances which led to my leaving my native country."
    assert too_fast(seg(55.8, 57.4, copied))
    # The same words where they are said, and a fast talker's phrase, are speech.
    assert not too_fast(seg(81.6, 89.0, copied))
    assert not too_fast(seg(3.0, 4.2, " Yes, yes, I know, I know that."))


def test_the_later_words_may_sit_inside_a_longer_text():
    power = seg(60.3, 62.8, " in his power to do for them.")
    later = [
        seg(65.0, 70.5, " And Mr. John Dashwood had then leisure to consider how much there"),
        seg(70.5, 73.0, " might be prudently in his power to do for them."),
    ]
    assert repeats_later(power, later)
    # Decoded again without the text before it, a little differently: still the same words.
    variant = seg(60.3, 62.8, " and is power to do for them.")
    assert repeats_later(variant, later, share=0.5, min_words=1)
    assert not repeats_later(seg(60.3, 62.8, " Today, only platforms 1 and 3."), later, share=0.5)


@pytest.fixture(scope="module")
def backend():
    return LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


@pytest.fixture(scope="module")
def two_clips(corpus, tmp_path_factory):
    """A 7.1 s reading, a second of silence, then JFK (11 s)."""
    audio = np.concatenate(
        [
            decode_all(corpus / "librivox_sns_0870.wav"),
            np.zeros(SAMPLE_RATE, dtype=np.float32),
            decode_all(corpus / "jfk.flac"),
        ]
    )
    return audio, media_factory.write_wav(tmp_path_factory.mktemp("two") / "two.wav", audio)


def windowed_run(backend, path, model=None):
    model = model or backend.model("tiny.en")
    run = _WindowedRun(backend, model, TranscriptionRequest(audio_path=path), "en")
    run.announced = True  # as within a transcription, after its language was announced
    return run


JFK = " And so, my fellow Americans, ask not what your country can do for you."


def test_a_sentence_from_later_over_a_passage_is_decoded_again(backend, corpus, two_clips):
    audio, path = two_clips
    stray = Segment(0.0, 7.1, JFK, avg_logprob=-0.3)
    jfk = Segment(8.1, 19.1, JFK + " Ask what you can do for your country.", avg_logprob=-0.2)
    segments = list(windowed_run(backend, path)._unrepeated(iter([stray, jfk]), audio, 0.0))
    reading = (corpus / "librivox_sns_0870.txt").read_text()
    assert segments[-1] == jfk
    assert wer(reading, "".join(s.text for s in segments[:-1])) < 0.2
    assert all(0.0 <= s.start < s.end <= 7.2 and not s.flags for s in segments[:-1])


class UnsureModel:
    """Stands in for a decoder that, asked again, writes something it is very unsure of."""

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, temperature, beam_size, **_):
        seconds = len(audio) / SAMPLE_RATE
        self.calls.append((condition_on_previous_text, seconds, temperature, beam_size))
        segment = SimpleNamespace(
            start=0.0,
            end=len(audio) / SAMPLE_RATE,
            text=" Mumble, mumble.",
            words=[],
            avg_logprob=-1.6,
            no_speech_prob=0.1,
            compression_ratio=1.1,
            temperature=1.0,
            tokens=[],
        )
        return iter([segment]), SimpleNamespace(language="en", language_probability=1.0)


def test_a_repeat_that_decodes_no_better_is_kept_and_flagged(backend, two_clips):
    audio, path = two_clips
    model = UnsureModel()
    stray = Segment(0.0, 7.1, JFK)
    jfk = Segment(8.1, 19.1, JFK)
    segments = list(windowed_run(backend, path, model)._unrepeated(iter([stray, jfk]), audio, 0.0))
    assert [(s.text, s.flags) for s in segments] == [(JFK, ("repeats_later",)), (JFK, ())]
    # Only the first segment's span, decoded on its own: a quick greedy look, then (the
    # question still open) the beam with the fallback ladder.
    glance, full = model.calls
    assert glance == (False, pytest.approx(7.1), (0.0,), 1)
    assert full[:2] == (False, pytest.approx(7.1)) and len(full[2]) > 1 and full[3] > 1


class CountingModel:
    """The real model, counting the beams it is asked to decode with."""

    def __init__(self, model):
        self.model, self.beams = model, []

    def transcribe(self, audio, **options):
        self.beams.append(options["beam_size"])
        return self.model.transcribe(audio, **options)


def test_real_speech_said_twice_stays_as_it_was(backend, corpus, tmp_path, caplog):
    """One sentence, another, the first again: the first, judged and decoded again, gives the
    same words, so it stays as it was and is not flagged."""
    sentence = decode_all(corpus / "cheetah_en.wav")
    between = decode_all(corpus / "librivox_sns_0870.wav")
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    audio = np.concatenate([sentence, pause, between, pause, sentence])
    path = media_factory.write_wav(tmp_path / "twice.wav", audio)
    said = " Today, only platforms 1 and 3 are used."
    segments = [
        Segment(0.4, 4.2, said),
        Segment(5.4, 12.4, " And Mr. John Dashwood had then leisure to consider how much."),
        Segment(13.4, 16.1, said),
    ]
    caplog.set_level(logging.INFO, logger="apps.engines.stt.local")
    model = CountingModel(backend.model("tiny.en"))
    kept = list(windowed_run(backend, path, model)._unrepeated(iter(segments), audio, 0.0))
    assert "said twice, kept" in caplog.text
    assert kept == segments
    # The greedy look was enough to tell: no beam decode.
    assert model.beams == [1]


def test_words_the_aligner_is_sure_of_are_not_judged():
    stray = seg(57.7, 60.6, " If the reader will excuse me, I will say nothing of my heart.")
    later = [seg(82.0, 84.7, LATER)]
    aligned = [SimpleNamespace(probability=p) for p in (0.9, 0.8, 0.7)]
    assert not repeats_later(SimpleNamespace(**vars(stray), words=aligned), later)
    aligned.append(SimpleNamespace(probability=0.01))  # a word that fits nowhere here
    assert repeats_later(SimpleNamespace(**vars(stray), words=aligned), later)


def test_a_span_starting_a_few_samples_before_its_window_is_read_from_the_window_start():
    # Segment times are rounded to the millisecond; a window may start between two of them.
    audio = np.ones(2 * SAMPLE_RATE, dtype=np.float32)
    first, piece = _span(audio, 600.00625, 600.006, 601.0)
    assert first == 0
    assert len(piece) == int((601.0 - 600.00625) * SAMPLE_RATE)
