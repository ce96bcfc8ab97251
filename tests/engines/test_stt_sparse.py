"""A segment with far too few words for the speech under it: decoded again, or flagged."""

import dataclasses
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest, Word
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun
from apps.engines.stt.regions import VAD_PARAMETERS, Region, speech_regions
from apps.engines.stt.sparse import held_word, too_few_words
from tests.wer import wer

# What tiny.en wrote over 21 s of a development recording (the first half of the benchmark's
# seed-7 recording, decoded alone): a sentence said 24 s later, the speech under it lost. Here
# shortened to its first words, to be as far too few for an 11 s clip (13 words over 17 s).
STRAY_SENTENCE = " If the reader will excuse me."


@pytest.fixture(scope="module")
def backend():
    return LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


def windowed_run(backend, path, model=None):
    model = model or backend.model("tiny.en")
    run = _WindowedRun(backend, model, TranscriptionRequest(audio_path=path), "en")
    run.announced = True  # as within a transcription, after its language was announced
    return run


def test_real_speech_decoded_as_usual_has_enough_words(backend, corpus):
    for name in ("jfk.flac", "libri_2412-153948-0000.flac"):
        audio = decode_all(corpus / name)
        regions = speech_regions(audio, VAD_PARAMETERS)
        segments = [
            e for e in windowed_run(backend, corpus / name).events() if isinstance(e, Segment)
        ]
        # Whole clips of about 11 s of speech: long enough to be judged, segment or clip.
        whole = Segment(0.0, len(audio) / SAMPLE_RATE, "".join(s.text for s in segments))
        assert segments and not too_few_words(whole, regions)
        assert not any(too_few_words(s, regions) for s in segments)
        assert not any(s.flags for s in segments)
        # Clean speech: no stretch marked as speech without text (faint.py, regions.py).
        assert not any(s.gap for s in segments)


def test_a_stray_sentence_over_a_passage_is_decoded_again(backend, corpus):
    audio = decode_all(corpus / "jfk.flac")
    regions = speech_regions(audio, VAD_PARAMETERS)
    stray = Segment(0.0, len(audio) / SAMPLE_RATE, STRAY_SENTENCE, avg_logprob=-0.3)
    assert too_few_words(stray, regions)
    run = windowed_run(backend, corpus / "jfk.flac")
    segments = list(run._dense(iter([stray]), audio, 0.0, regions))
    reference = (corpus / "jfk.txt").read_text()
    assert wer(reference, "".join(s.text for s in segments)) < 0.1
    assert not any(s.flags for s in segments)
    assert all(0.0 <= s.start < s.end <= 11.0 for s in segments)


class OneSentenceModel:
    """Stands in for a decoder that writes the same one sentence however it is asked."""

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, temperature, **_):
        self.calls.append((condition_on_previous_text, len(audio) / SAMPLE_RATE, temperature))
        segment = SimpleNamespace(
            start=0.0,
            end=len(audio) / SAMPLE_RATE,
            text=STRAY_SENTENCE,
            words=[],
            avg_logprob=-0.4,
            no_speech_prob=0.0,
            compression_ratio=1.1,
            temperature=0.0,
            tokens=[],
        )
        return iter([segment]), SimpleNamespace(language="en", language_probability=1.0)


def test_a_segment_no_better_decoded_again_is_kept_and_flagged(backend, corpus):
    audio = decode_all(corpus / "jfk.flac")
    regions = speech_regions(audio, VAD_PARAMETERS)
    model = OneSentenceModel()
    run = windowed_run(backend, corpus / "jfk.flac", model=model)
    stray = Segment(2.0, 11.0, STRAY_SENTENCE)
    segments = list(run._dense(iter([stray]), audio, 0.0, regions))
    assert [(s.start, s.end, s.text, s.flags) for s in segments] == [
        (2.0, 11.0, STRAY_SENTENCE, ("too_few_words",))
    ]
    # Decoded again on its own: that span only, no text before it, the fallback ladder.
    [(conditioned, seconds, temperatures)] = model.calls
    assert not conditioned and seconds == pytest.approx(9.0) and len(temperatures) > 1


def test_a_word_is_held_over_speech_only_where_the_vad_hears_speech_under_it():
    held = Segment(0.0, 6.0, " might be", words=(Word(" might", 0.0, 0.4), Word(" be", 0.5, 6.0)))
    # "be" aligned over 5.5 s: speech under most of it is speech the text does not hold...
    assert held_word(held, [Region(0.0, 6.0)]) == held.words[1]
    # ... a pause under it is not (the aligner stretched the last word over silence).
    assert held_word(held, [Region(0.0, 2.0)]) is None
    # A word of 2 s or less is a drawn-out word, not a sign.
    short = Segment(0.0, 6.0, " be", words=(Word(" be", 0.0, 2.0),))
    assert held_word(short, [Region(0.0, 6.0)]) is None


def test_speech_after_a_word_held_to_the_end_is_decoded_again(backend, corpus):
    """What tiny.en did at a window's end on a development recording: it stopped writing a
    sentence before its speech ended and the aligner held the last word over the rest."""
    audio = decode_all(corpus / "jfk.flac")
    regions = speech_regions(audio, VAD_PARAMETERS)
    run = windowed_run(backend, corpus / "jfk.flac")
    decoded = [e for e in run.events() if isinstance(e, Segment) and e.words]
    words = [w for s in decoded for w in s.words]
    whole = Segment(decoded[0].start, decoded[-1].end, "", words=tuple(words), avg_logprob=-0.3)
    # Up to "... what your country can do for you": enough words for the rate (too_few_words).
    cut = next(i for i, w in enumerate(words) if w.word.strip(" ,.") == "you") + 1
    stopped = dataclasses.replace(
        whole,
        text="".join(w.word for w in words[:cut]),
        words=(*words[: cut - 1], dataclasses.replace(words[cut - 1], end=whole.end)),
    )
    assert held_word(stopped, regions) is not None and not too_few_words(
        dataclasses.replace(stopped, words=()), regions
    )
    segments = list(run._dense(iter([stopped]), audio, 0.0, regions))
    reference = (corpus / "jfk.txt").read_text()
    assert wer(reference, "".join(s.text for s in segments)) < 0.1
    # The words before the held one are kept as they were; the rest follows in time order.
    assert segments[0].words[: cut - 1] == stopped.words[: cut - 1]
    assert all(a.start <= b.start for a, b in zip(segments, segments[1:], strict=False))
