"""Two parts of a recording decoded at once (apps/engines/stt/lanes.py): the transcript comes
out whole and in time order, a stop leaves a prefix to resume from, and no decoder runs on."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import SAMPLE_RATE, decode_all, probe
from apps.engines.stt.base import (
    Decoded,
    LanguageDetected,
    Segment,
    SpeechHeard,
    TranscriptionRequest,
    Word,
)
from apps.engines.stt.batched import cpu_threads
from apps.engines.stt.lanes import (
    DECODED_PAST_CUT_SECONDS,
    IDLE_CORES_FOR_LANES,
    idle_cores,
    in_order,
    lane_bounds,
    loudest_bin,
)
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun
from tests import long_recording, media_factory
from tests.wer import normalise, wer


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    """About a minute of corpus speech with short pauses, and what it says (clip by clip)."""
    path = tmp_path_factory.mktemp("lanes") / "speech.wav"
    clips = (
        "jfk.flac",
        "libri_2412-153948-0000.flac",
        "librivox_sns_0870.wav",
        "librivox_sns_0890.wav",
    )
    return path, long_recording.build(path, corpus, seconds=60, seed=5, clips=clips)


@pytest.fixture(scope="module")
def recording(built):
    """The recording and its reference."""
    path, said = built
    return path, long_recording.reference(said)


def halves(path):
    """Where two parts of the whole recording meet."""
    (_, cut), _ = lane_bounds(path, start=0.0, end=probe(path).duration, lanes=2)
    return cut


@pytest.fixture(scope="module")
def engine():
    return LocalWhisperBackend(
        alias="lanes",
        default_model="tiny.en",
        lanes=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


def segments_of(events):
    return [e for e in events if isinstance(e, Segment) and not e.gap]


def text_of(segments):
    return "".join(s.text for s in segments)


def test_parts_meet_in_a_pause(recording):
    path, _ = recording
    audio = decode_all(path)
    (a, cut), (cut_again, end) = lane_bounds(path, start=0.0, end=len(audio) / SAMPLE_RATE, lanes=2)
    assert a == 0.0 and cut == cut_again and end == len(audio) / SAMPLE_RATE
    assert abs(cut - end / 2) < 10
    # In the middle of a pause between two sentences, not in the gap between two words.
    around = audio[int((cut - 0.2) * SAMPLE_RATE) : int((cut + 0.2) * SAMPLE_RATE)]
    assert np.abs(around).max() < 1e-3


def test_every_part_is_floored_under_the_recordings_loudest_bin(engine, recording):
    """The floor parts decoded apart share is what one part's spectrogram takes, read from
    the file as it streams in blocks."""
    path, _ = recording
    extractor = engine.model("tiny.en").feature_extractor
    whole = extractor.loudest(decode_all(path))
    assert loudest_bin(path, start=0.0, of=extractor) == pytest.approx(whole, abs=1e-4)
    assert loudest_bin(path, start=halves(path), of=extractor) <= whole + 1e-4


def test_a_short_recording_is_one_part(recording):
    path, _ = recording
    assert lane_bounds(path, start=0.0, end=50.0, lanes=2) == [(0.0, 50.0)]
    assert lane_bounds(path, start=20.0, end=75.0, lanes=2) == [(20.0, 75.0)]


@pytest.fixture(scope="module")
def events(engine, recording):
    """The whole recording's events, from two parts decoded at once."""
    path, _ = recording
    return list(engine.transcribe(TranscriptionRequest(audio_path=path)))


def test_two_parts_decoded_at_once_give_the_whole_transcript_in_order(events, recording):
    path, reference = recording
    assert isinstance(events[0], LanguageDetected)
    assert sum(isinstance(e, LanguageDetected) for e in events) == 1
    segments = segments_of(events)
    assert wer(reference, text_of(segments)) < 0.03
    words = [w for s in segments for w in s.words]
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert [w.start for w in words] == sorted(w.start for w in words)
    # Both parts are there: text on each side of where they meet.
    (_, cut), _ = lane_bounds(path, start=0.0, end=segments[-1].end, lanes=2)
    assert segments[0].start < cut - 10 and segments[-1].end > cut + 10


def test_nothing_is_lost_where_the_parts_meet(events, built):
    """The sentences either side of the cut come out whole: the first part's last words are
    not dropped at its end, nor the second part's first words at its start."""
    path, said = built
    cut = halves(path)
    words = [w for s in segments_of(events) for w in s.words]
    before = max(i for i, (start, _) in enumerate(said) if start < cut)
    for (start, text), (end, _) in zip(said[before:], said[before + 1 : before + 3], strict=False):
        heard = "".join(w.word for w in words if start - 0.5 <= w.start < end - 0.5)
        assert wer(text, heard) < 0.1, (start, heard)


def test_a_later_part_is_prompted_with_the_text_before_it(engine, built):
    """As each window is conditioned on the text before it, a part decoded alongside the one
    before it starts with the words said just before its start as its prompt."""
    path, said = built
    cut = halves(path)
    model = engine.model("tiny.en")
    request = TranscriptionRequest(audio_path=path)
    run = _WindowedRun(engine, model, request, "en", start=cut)
    run.prime()
    prompt = run.carried
    end_of_text = model.hf_tokenizer.token_to_id("<|endoftext|>")
    text = model.hf_tokenizer.decode([t for t in prompt if t < end_of_text])  # no timestamps
    said_before = normalise(long_recording.reference([c for c in said if c[0] < cut]))
    heard = normalise(text)
    assert len(heard) >= 10
    assert wer(" ".join(said_before[-len(heard) :]), text) < 0.1


def test_a_stopped_job_keeps_a_prefix_and_resumes_after_it(engine, recording):
    path, reference = recording
    given = []

    def stop_after_five():
        return len(given) >= 5

    for event in engine.transcribe(
        TranscriptionRequest(audio_path=path, should_stop=stop_after_five)
    ):
        if isinstance(event, Segment):
            given.append(event)
    assert len(given) == 5
    assert [s.start for s in given] == sorted(s.start for s in given)
    # The other part's decoder stopped with the job: nothing runs on behind it.
    assert not [t for t in threading.enumerate() if t.name == "stt-lane"]

    # Resumed where the stored segments end, as the job does.
    rest = segments_of(
        engine.transcribe(TranscriptionRequest(audio_path=path, start_at=given[-1].end))
    )
    assert rest[0].start >= given[-1].end
    assert wer(reference, text_of(given + rest)) < 0.03


def lane(items, log, name):
    def run(stop):
        for item in items:
            if stop():
                log.append(f"{name} stopped")
                return
            yield item

    return run


def test_later_lanes_wait_their_turn():
    done = threading.Event()

    def second(stop):
        yield "b1"
        yield "b2"
        done.set()

    def first(stop):
        done.wait(5)  # the second lane finishes before the first gives anything
        yield "a1"
        yield "a2"

    assert list(in_order([first, second], should_stop=lambda: False)) == ["a1", "a2", "b1", "b2"]


def test_an_error_in_a_later_lane_is_raised_in_its_turn():
    def broken(stop):
        yield "b1"
        raise ValueError("bad audio")

    got = []
    with pytest.raises(ValueError, match="bad audio"):
        for item in in_order([lane(["a1", "a2"], [], "a"), broken], should_stop=lambda: False):
            got.append(item)
    assert got == ["a1", "a2", "b1"]


def test_closing_early_stops_every_lane():
    log = []
    started = threading.Event()

    def endless(stop):
        started.set()
        while not stop():
            yield "b"
        log.append("b stopped")

    items = in_order([lane(["a1", "a2"], log, "a"), endless], should_stop=lambda: False)
    assert next(items) == "a1"
    started.wait(5)
    items.close()
    assert log == ["b stopped"]


def test_automatic_lanes_give_way_to_another_job(recording):
    """Lanes chosen automatically take both cores of a job alone; while another job runs on
    the machine, one part (one lane's thread) leaves it the other core. Lanes set by hand stay."""
    if cpu_threads() < 2:
        pytest.skip("one core: the automatic choice is one part anyway")
    path, _ = recording
    cache = str(django_settings.VOICEPORTAL_MODEL_CACHE)
    auto = LocalWhisperBackend(
        alias="auto", default_model="tiny.en", lanes=0, lanes_idle_cores=0, model_cache=cache
    )
    fixed = LocalWhisperBackend(alias="two", default_model="tiny.en", lanes=2, model_cache=cache)
    alone = TranscriptionRequest(audio_path=path)
    sharing = TranscriptionRequest(audio_path=path, shares_cores=True)
    assert len(auto._parts(alone)[1]) == 2
    assert auto._parts(sharing)[1] == [(0.0, None)] and auto.cpu_threads == cpu_threads() // 2
    assert len(fixed._parts(sharing)[1]) == 2


def test_automatic_lanes_give_way_to_a_busy_machine(recording):
    """With every core busy with another program when a job starts, lanes chosen automatically
    decode one part on every thread (the cores a second part would run on are taken); lanes
    set by hand still cut the recording in two."""
    path, _ = recording
    cache = str(django_settings.VOICEPORTAL_MODEL_CACHE)
    auto = LocalWhisperBackend(alias="auto", default_model="tiny.en", lanes=0, model_cache=cache)
    fixed = LocalWhisperBackend(alias="two", default_model="tiny.en", lanes=2, model_cache=cache)
    spinning = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        time.sleep(0.5)
        assert idle_cores() < IDLE_CORES_FOR_LANES
        assert auto._parts(TranscriptionRequest(audio_path=path))[1] == [(0.0, None)]
        assert len(fixed._parts(TranscriptionRequest(audio_path=path))[1]) == 2
    finally:
        for process in spinning:
            process.kill()
            process.wait()


def test_a_later_part_left_to_detect_takes_the_language_before_it(built):
    """With the language left to detect, the part before's language is detected where the
    prompt is decoded, and the prompt kept (the first window's parts still switch language,
    and drop the prompt, where the speech does)."""
    path, _ = built
    engine = LocalWhisperBackend(
        alias="lanes-detect",
        default_model="base",
        lanes=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    request = TranscriptionRequest(audio_path=path)
    run = _WindowedRun(engine, engine.model("base"), request, None, start=halves(path))
    run.prime()
    assert run.language == "en" and run.carried


def test_a_recording_too_short_to_cut_is_decoded_with_every_thread(engine, corpus):
    """One part alone is not held to its share of the threads: it gets a model of its own
    with all of them (base on one thread took 1.3x the wall time on this clip)."""
    events = list(engine.transcribe(TranscriptionRequest(audio_path=corpus / "jfk.flac")))
    assert "ask what you can do for your country" in text_of(segments_of(events)).lower()
    alone, side_by_side = engine.model("tiny.en", parts=1), engine.model("tiny.en")
    assert alone.model.num_workers == 1 and side_by_side.model.num_workers == 2


def test_a_part_before_another_writes_no_later_sentence_before_its_end(corpus, tmp_path):
    """Cut off at its end, a part's last 30 s view ended in padding, and Whisper, taking it for
    the end of the recording, wrote a sentence said 25 s later over the pause after "... to
    be ill-disposed" (base, decoder cutting 2 s silences, this development recording: the
    3-minute benchmark's with seed 7). Decoded on past its end, each sentence comes out where
    it is said, none after the end, and the speech heard is reported up to it."""
    path = tmp_path / "seed7.wav"
    said = long_recording.build(path, corpus, seconds=180, seed=7)
    cut = halves(path)
    engine = LocalWhisperBackend(
        alias="lanes-base",
        default_model="base",
        lanes=2,
        decoder_silence_ms=2000,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )
    run = _WindowedRun(
        engine,
        engine.model("base"),
        TranscriptionRequest(audio_path=path),
        None,
        start=0.0,
        end=cut,
        past_end=DECODED_PAST_CUT_SECONDS,
    )
    events = list(run.events())
    words = [w for s in segments_of(events) for w in s.words]
    assert words and words[-1].start < cut
    openings = {" ".join(normalise(text)[:6]) for _, text in said}
    ends = [start for start, _ in said[1:]] + [cut]
    for (start, text), end in zip(said, ends, strict=False):
        heard = " ".join(
            normalise("".join(w.word for w in words if start - 0.5 <= w.start < end - 0.5))
        )
        if start < cut:
            assert wer(text, heard) < 0.5, (start, heard)  # one part repeats a clause here
        said_later = {o for o in openings if o in heard} - {" ".join(normalise(text)[:6])}
        assert not said_later, (start, heard)
    last_heard = [e for e in events if isinstance(e, SpeechHeard)][-1]
    assert last_heard.end == cut and all(b <= cut for _, b in last_heard.regions)


def test_a_word_aligned_across_the_end_goes_to_the_part_it_is_said_in(engine, built):
    """The aligner stretches words over the pause where two parts meet: a part's last word goes
    with the part if it was said before the end, and a first word of the next part's speech,
    stretched back over the pause, is left to that part (kept, it came out twice)."""
    path, said = built
    cut = halves(path)
    said_next = min(start for start, _ in said if start > cut)
    run = _WindowedRun(
        engine,
        engine.model("tiny.en"),
        TranscriptionRequest(audio_path=path),
        "en",
        start=0.0,
        end=cut,
        past_end=DECODED_PAST_CUT_SECONDS,
    )
    words = (
        Word(" said", cut - 3.0, cut - 1.5),
        Word(" before", cut - 1.5, cut + 0.2),  # the pause is at most 1.2 s: speech before
        Word(" after", cut - 0.2, said_next + 0.3),  # the rest of the pause, then speech
    )
    segment = Segment(start=cut - 3.0, end=said_next + 0.3, text=" said before after", words=words)
    kept = run._cut_at_end(segment, decode_all(path), 0.0)
    assert [w.word for w in kept.words] == [" said", " before"]
    assert kept.text.split() == ["said", "before"] and kept.end == cut + 0.2


@pytest.fixture(scope="module")
def split_in_the_second_part(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("pieces") / "pieces.wav"
    return media_factory.split_sentence_in_second_half(path, corpus)


def test_a_job_paused_between_pieces_in_a_later_part_resumes_without_a_word_twice(
    engine, split_in_the_second_part
):
    # The second part's segments are queued until the first part is done, and the job was
    # stopped after any one of them: right after the piece " This" it resumed from its end,
    # where the word's tail (after the silence) was heard again: "This This is what".
    path = split_in_the_second_part
    (_, cut), _ = lane_bounds(path, start=0.0, end=probe(path).duration, lanes=2)
    assert 33.0 < cut < 34.5, "the parts meet in the second of silence"
    saved = []
    paused = lambda: any(s.start > cut and s.text.strip() == "This" for s in saved)  # noqa: E731
    for event in engine.transcribe(TranscriptionRequest(audio_path=path, should_stop=paused)):
        if isinstance(event, Segment):
            saved.append(event)
    assert paused(), "asked to pause once the piece was given"
    resumed = TranscriptionRequest(audio_path=path, start_at=saved[-1].end)
    saved += segments_of(engine.transcribe(resumed))

    after = "".join(s.text for s in saved if s.start > cut)
    assert after.count("This") == 1, after
    assert "is what a crocodile sounds like" in after


def test_progress_follows_every_part_not_only_the_first(engine, recording):
    # The second part's segments wait until the first part is done, and the job's progress bar
    # (which followed the segments given) stood within the first part as long as that ran,
    # then jumped to the end. The engine says how much all parts have decoded together.
    path, _ = recording
    cut = halves(path)
    told, before_second = [], None
    for event in engine.transcribe(TranscriptionRequest(audio_path=path)):
        if isinstance(event, Decoded):
            told.append(event.seconds)
        elif isinstance(event, Segment) and event.start >= cut and before_second is None:
            before_second = list(told)
    assert told == sorted(told)
    assert told[-1] <= probe(path).duration + 0.1
    assert max(before_second) > cut + 5.0, "the second part's decoding counts before its turn"
