"""Two people talking at once are marked "overlap" (some words may be missing): the text can
hold one voice at most there. One person talking is never so marked."""

import wave

import numpy as np
from django.conf import settings

from apps.core.media import SAMPLE_RATE, decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.overlap import overlapped, with_overlap_marks
from apps.engines.stt.pauses import Pieces
from tests import media_factory

MODEL_CACHE = str(settings.VOICEPORTAL_MODEL_CACHE)


def talking_over(first, second, seconds):
    """`second` starting `seconds` before `first` ends."""
    shift = int(seconds * SAMPLE_RATE)
    audio = np.zeros(len(first) + len(second) - shift, dtype=np.float32)
    audio[: len(first)] += first
    audio[len(first) - shift :] += second
    return audio / max(1.0, float(np.abs(audio).max()))


def test_two_people_talking_at_once_are_heard_there_and_only_there(corpus):
    first = decode_all(corpus / "eagle_spk1_utt1.wav")
    second = decode_all(corpus / "eagle_spk2_test.wav")
    audio = talking_over(first, second, 3.0)
    both = (len(first) / SAMPLE_RATE - 3.0, len(first) / SAMPLE_RATE)
    found = overlapped(audio)
    assert found
    inside = sum(max(0.0, min(b, both[1]) - max(a, both[0])) for a, b in found)
    assert inside >= 1.0
    assert inside >= 0.9 * sum(b - a for a, b in found)


def test_one_person_talking_is_never_marked(corpus):
    for name in ("jfk.flac", "libri_2412-153948-0000.flac", "eagle_spk1_test.wav"):
        assert overlapped(decode_all(corpus / name)) == [], name


def test_a_mark_comes_held_to_the_segment_that_reaches_its_end(corpus):
    """A job resumes after the last segment or mark it stored: a mark inside a segment comes
    just before the first piece that reaches its end, held to it (`continues`), so no stop
    falls between them, nor between a split segment's pieces."""
    first = decode_all(corpus / "eagle_spk1_utt1.wav")
    audio = talking_over(first, decode_all(corpus / "eagle_spk2_test.wav"), 3.0)
    [(a, b)] = overlapped(audio)
    pieces = [
        Segment(start=0.0, end=b - 0.5, text=" One", continues=True),
        Segment(start=b - 0.4, end=b + 0.5, text=" two."),
        Segment(start=b + 1.0, end=len(audio) / SAMPLE_RATE, text=" Three."),
    ]
    events = list(
        with_overlap_marks(
            iter(pieces),
            audio,
            0.0,
            start=0.0,
            end=len(audio) / SAMPLE_RATE,
            mark=lambda start, end: Segment(start, end, "", untranscribed=True, gap="overlap"),
        )
    )
    mark = Segment(a, b, "", untranscribed=True, gap="overlap", continues=True)
    assert events == [pieces[0], mark, *pieces[1:]]
    stops = Pieces()
    assert [stops.stoppable_after(e) for e in events] == [False, False, True, True]


def test_the_engine_marks_two_people_at_once(corpus, tmp_path):
    """Through the engine (tiny.en), by default: the stretch where the second speaker starts
    before the first has finished is marked "overlap" among the segments; with `overlap_marks`
    off it is not."""
    first = decode_all(corpus / "eagle_spk1_utt1.wav")
    audio = talking_over(first, decode_all(corpus / "eagle_spk2_test.wav"), 3.0)
    path = tmp_path / "two.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((audio * 32767).astype("<i2").tobytes())
    both = (len(first) / SAMPLE_RATE - 3.0, len(first) / SAMPLE_RATE)

    def marks(**options):
        backend = LocalWhisperBackend(
            alias="o", default_model="tiny.en", model_cache=MODEL_CACHE, **options
        )
        events = [e for e in backend.transcribe(TranscriptionRequest(audio_path=path))]
        segments = [e for e in events if isinstance(e, Segment)]
        assert [s.text for s in segments if not s.gap]  # the words are still written
        return [(s.start, s.end) for s in segments if s.gap == "overlap"]

    [(a, b)] = marks()
    assert both[0] - 0.2 <= a < b <= both[1] + 0.2 and b - a >= 1.0
    assert marks(overlap_marks=False) == []


def test_a_job_stopped_after_the_segment_that_reaches_a_mark_keeps_the_mark(corpus, tmp_path):
    """A job stopped right after a segment resumes at its end (the last segment or mark it
    stored): the overlap mark that segment reaches is given before the stop, not lost between
    the two runs (the resumed run starts after it)."""
    path = media_factory.two_people_at_once(tmp_path / "two.wav", corpus)
    backend = LocalWhisperBackend(alias="o", default_model="tiny.en", model_cache=MODEL_CACHE)
    whole = [e for e in backend.transcribe(TranscriptionRequest(audio_path=path))]
    [mark] = [e for e in whole if isinstance(e, Segment) and e.gap == "overlap"]
    seen: list[Segment] = []

    def reached_the_mark() -> bool:
        return any(not e.gap and e.end >= mark.end for e in seen)

    for event in backend.transcribe(
        TranscriptionRequest(audio_path=path, should_stop=reached_the_mark)
    ):
        if isinstance(event, Segment):
            seen.append(event)
    assert seen[-1].end < whole[-1].end  # it did stop early
    resumed_at = max(e.end for e in seen)
    rest = [
        e
        for e in backend.transcribe(TranscriptionRequest(audio_path=path, start_at=resumed_at))
        if isinstance(e, Segment)
    ]
    marks = [(e.start, e.end) for e in (*seen, *rest) if e.gap == "overlap"]
    assert marks == [(mark.start, mark.end)]
