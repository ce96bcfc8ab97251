"""Word times inside their segment, each with a length: far-field English decoded in the wrong
language (AMI trn08) came out with words that start and end at the same moment."""

import pytest
from django.conf import settings as django_settings

from apps.engines.stt.base import LanguageDetected, Segment, TranscriptionRequest, Word
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.timing import MIN_WORD_SECONDS, timed_words


def words(*spans):
    return tuple(Word(text, start, end) for text, start, end in spans)


def test_words_of_no_length_get_one_inside_their_segment():
    # Word times as the aligner gave them on AMI trn08 (decoded as Welsh), 4.88-7.8 s.
    aligned = words(
        (" Mae", 4.88, 5.62),
        ("'r", 5.62, 5.62),
        (" sy", 5.62, 5.62),
        ("'n", 5.62, 5.62),
        (" gweithio", 5.62, 5.64),
        (" hwnw", 5.64, 6.08),
        (" i", 6.08, 7.42),
        (" arfnydda.", 7.42, 7.8),
    )
    timed, end = timed_words(aligned, 4.88, 7.8)
    assert end == 7.8
    assert all(w.end - w.start >= MIN_WORD_SECONDS - 1e-9 for w in timed)
    assert all(a.end <= b.start for a, b in zip(timed, timed[1:], strict=False))
    assert timed[0] == aligned[0] and timed[-1] == aligned[-1]  # long enough: left alone


def test_words_at_a_segments_end_are_moved_back_into_it():
    timed, end = timed_words(words((" yn", 13.85, 13.85), (" cael", 13.85, 13.9)), 7.8, 13.85)
    assert end == 13.85
    assert [(w.start, w.end) for w in timed] == [(13.65, 13.75), (13.75, 13.85)]


def test_a_segment_too_short_for_its_words_shares_itself_out():
    timed, end = timed_words(words((" a", 1.0, 1.0), (" b", 1.0, 1.0)), 1.0, 1.1)
    assert end == 1.1 and [(w.start, w.end) for w in timed] == [(1.0, 1.05), (1.05, 1.1)]
    timed, end = timed_words(words((" a", 2.0, 2.0)), 2.0, 2.0)
    assert timed[0].end > timed[0].start and end == timed[0].end


@pytest.fixture(scope="module")
def far_field(corpus):
    """ami_trn04 (AMI, far-field English, 3-4 speakers) through the multilingual model with the
    language detected, as a user's upload with the defaults."""
    engine = LocalWhisperBackend(
        alias="local",
        default_model="base",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    request = TranscriptionRequest(audio_path=corpus / "ami_trn04.wav", model="base")
    return list(engine.transcribe(request))


def test_far_field_english_comes_out_in_english_with_timed_words(far_field):
    assert next(e for e in far_field if isinstance(e, LanguageDetected)).language == "en"
    segments = [e for e in far_field if isinstance(e, Segment) and not e.gap]
    assert segments and {s.language for s in segments} == {"en"}
    for segment in segments:
        for word in segment.words:
            assert segment.start <= word.start < word.end <= segment.end
