"""Telling a decoder's repetition loop from audio that really repeats a sentence."""

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import (
    UNTRANSCRIBED_TEXT,
    LocalWhisperBackend,
    _carried,
    _temperatures,
)
from apps.engines.stt.loops import (
    LOOP_REPEATS,
    RepetitionGuard,
    marking_loops,
    repetitive,
    stuck,
    stutters,
)
from tests import media_factory
from tests.engines.stand_ins import StandInRun, decoded


@dataclass
class Seg:
    text: str


def feed(texts):
    guard, released = RepetitionGuard(), []
    for text in texts:
        released += [s.text for s in guard.push(Seg(text))]
        if guard.looping:
            return released, True
    return released + [s.text for s in guard.flush()], False


SPEECH = [
    "And so my fellow Americans, ask not what your country can do for you.",
    "The other two are located on the shore of the Yellow Sea.",
    "Unless to be rather cold hearted and rather selfish is to be ill disposed.",
    "Ladies and gentlemen, please fasten your seat belts.",
]


def test_it_passes_speech_that_does_not_repeat():
    assert feed(SPEECH) == (SPEECH, False)


def test_it_passes_a_sentence_the_audio_says_four_times():
    said = SPEECH[:1] + ["My voice is my passport, verify me."] * 4 + SPEECH[1:]
    assert feed(said) == (said, False)


def test_it_passes_a_long_passage_said_four_times():
    said = (SPEECH * 4) + ["Today only platforms one and three are used."]
    assert feed(said) == (said, False)


def test_it_stops_a_loop_of_one_sentence():
    loop = ["My voice is my passport."] * 40
    released, looping = feed(SPEECH[:2] + loop)
    assert looping
    assert released == SPEECH[:2] + loop[:1]


def test_it_stops_a_loop_of_near_copies():
    variants = [
        "My passport is my passport.",
        "My voice is my passport.",
        "My phone is my passport.",
    ]
    released, looping = feed(SPEECH[:1] + variants * 10)
    assert looping
    assert len(released) <= 1 + len(variants)


def test_it_holds_repeats_until_speech_moves_on():
    guard = RepetitionGuard()
    guard.push(Seg(SPEECH[0]))
    assert guard.push(Seg(SPEECH[0])) == []
    assert len(guard.held) == 1 and not guard.looping
    assert [s.text for s in guard.push(Seg(SPEECH[1]))] == [SPEECH[0], SPEECH[1]]
    assert guard.held == []


def test_it_counts_repeats_up_to_its_limit():
    released, looping = feed(["Thank you."] * LOOP_REPEATS)
    assert not looping
    released, looping = feed(["Thank you."] * (LOOP_REPEATS + 1))
    assert looping


def test_the_engine_decodes_with_whisper_s_fallback_ladder():
    # One fixed temperature switches off the compression-ratio and log-prob fallbacks.
    assert _temperatures(0.0) == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert _temperatures(0.6) == (0.6, 0.8, 1.0)
    assert _temperatures(1.0) == (1.0,)


def test_the_next_window_is_prompted_only_with_text_decoded_with_confidence():
    said = [
        Segment(0, 1, " Ask not what your country can do for you.", tokens=(50364, 1, 50414)),
        Segment(1, 2, " My passport is my passport.", temperature=0.8, tokens=(50414, 2, 50464)),
        Segment(2, 3, " The other two are located on the shore.", tokens=(50464, 3, 50514)),
    ]
    # Tokens with their timestamps, whole segments only.
    assert _carried(said) == (50464, 3, 50514)
    assert _carried(said[:2] + [Segment(3, 9, UNTRANSCRIBED_TEXT, untranscribed=True)]) == ()
    assert _carried(said[:1]) == (50364, 1, 50414)
    long = [Segment(t, t + 1, " Ask.", tokens=(50364, *range(100), 50414)) for t in range(3)]
    assert _carried(long) == long[1].tokens + long[2].tokens


def test_no_decode_is_prompted_with_a_loop_or_with_another_language():
    sure = Segment(0, 1, " Ask not what your country can do for you.", tokens=(50364, 1, 50414))
    # What base wrote over Telugu, then prompted the held word's decode with (unseen set 5).
    stutter = Segment(1, 2, " انانانان", tokens=(50414, 2, 50464), language="te")
    assert _carried([sure, stutter], "te") == ()
    doubted = dataclasses.replace(sure, flags=("repeats_later",))
    assert _carried([sure, doubted]) == ()
    # Text decoded in English prompts no decode in Telugu, but one in English.
    english = dataclasses.replace(sure, language="en")
    assert _carried([english], "te") == ()
    assert _carried([english], "en") == sure.tokens
    assert _carried([sure], "te") == sure.tokens  # the run's own language


def test_a_word_said_over_and_over_within_itself_is_a_loop():
    assert stutters(" انانانان") and stutters(" hahahaha")
    assert not any(
        map(stutters, [*SPEECH, " banana", " 1000000", " どんどん", " Yeah, yeah, yeah."])
    )


# As base wrote it over Telugu (unseen set 5, te_six_voices), and what Whisper writes for real
# laughter, songs and stammers, which stay.
STUCK = " Na'a'a'a'a'a'a'a'a'a'a'a'a'a'!"
SAID_OVER_AND_OVER = [
    " Hahaha.",
    " Hahahahahaha!",
    " Ha ha ha ha ha ha ha ha ha.",
    " La la la la la la la la.",
    " No, no, no, no, no.",
    " I-I-I don't know.",
    " Mmmmmm.",
    " Yeah, yeah, yeah, yeah, yeah, yeah.",
    " Hahahahahahahahahahaha, that was the funniest thing I have heard all week.",
]


def test_a_segment_that_is_mostly_one_piece_said_over_and_over_is_stuck():
    assert stuck(STUCK) and stuck(" انانانانانانانانان") and stuck(" lalalalalalalalala")
    # Every check that reads a word loop from text (a decode's kept text, a prompt) sees it too.
    assert repetitive(STUCK) and not repetitive(SAID_OVER_AND_OVER[-1])
    assert not any(map(stuck, [*SPEECH, *SAID_OVER_AND_OVER, *SAMPLED_LOOPS]))


def test_the_guard_cuts_a_segment_stuck_within_itself():
    assert feed([*SPEECH[:2], STUCK, SPEECH[2]]) == (SPEECH[:2], True)
    assert feed(SAID_OVER_AND_OVER) == (SAID_OVER_AND_OVER, False)


def test_the_engine_decodes_again_from_a_segment_stuck_within_itself(tmp_path):
    model = LoopingModel(loop=STUCK)
    segments = transcribe_with(model, media_factory.silence(tmp_path / "a.wav", 60))
    assert model.calls == [(True, 60), (False, 50)]
    assert not any(s.text == STUCK for s in segments)
    assert [(s.start, s.flags) for s in segments if s.flags] == [(10, ("loop_cut",))]


def test_the_engine_marks_a_segment_stuck_even_decoded_afresh(tmp_path):
    segments = transcribe_with(
        LoopingModel(loops_afresh=True, loop=STUCK), media_factory.silence(tmp_path / "a.wav", 60)
    )
    assert not any(s.text == STUCK for s in segments)
    marked = [(s.start, s.end, s.flags) for s in segments if s.untranscribed]
    assert marked == [(20, 59.5, ("loop",))]


class LoopingModel:
    """Stands in for faster-whisper: conditioned on its own text it loops from 10 s on, as
    tiny.en did on an hour of speech; decoded afresh it hears the speech (or loops anyway)."""

    def __init__(self, *, loops_afresh=False, loop="My voice is my passport."):
        self.loops_afresh = loops_afresh
        self.loop = loop
        self.calls = []

    def transcribe(self, audio, *, condition_on_previous_text, **options):
        seconds = len(audio) / 16_000
        self.calls.append((condition_on_previous_text, round(seconds)))
        looping = condition_on_previous_text or self.loops_afresh
        segments = [
            decoded(t, self.loop if looping and t >= 10 else f"Part {t}.")
            for t in range(0, int(seconds), 2)
        ]
        return iter(segments), SimpleNamespace(language="en", language_probability=1.0)


def transcribe_with(model, path):
    # One clip at a time: the model stands in for the one-at-a-time decoder.
    backend = LocalWhisperBackend(alias="t", default_model="tiny.en", batch_size=1)
    request = TranscriptionRequest(audio_path=path)
    events = list(StandInRun(backend, model, request, "en").events())
    return [e for e in events if isinstance(e, Segment)]


def test_the_engine_decodes_a_loop_again_without_conditioning(tmp_path):
    model = LoopingModel()
    segments = transcribe_with(model, media_factory.silence(tmp_path / "a.wav", 60))
    texts = [s.text.strip() for s in segments]
    assert texts.count("My voice is my passport.") == 1
    # Decoded again from the first repeat (12 s) to the end, in the file's time.
    assert model.calls == [(True, 60), (False, 48)]
    assert segments[-1].start == 58 and not any(s.untranscribed for s in segments)
    # Where the loop was cut is flagged for review, once.
    assert [(s.start, s.flags) for s in segments if s.flags] == [(12, ("loop_cut",))]
    assert [s.start for s in segments] == sorted(s.start for s in segments)


def test_the_engine_marks_a_loop_it_cannot_leave(tmp_path):
    segments = transcribe_with(
        LoopingModel(loops_afresh=True), media_factory.silence(tmp_path / "a.wav", 60)
    )
    marked = [s for s in segments if s.untranscribed]
    # Decoded afresh from 12 s, it loops from 22 s: the first time is kept, the rest is one mark.
    assert [(s.start, s.end, s.text) for s in marked] == [(24, 59.5, UNTRANSCRIBED_TEXT)]
    assert marked[0].flags == ("loop",)
    assert sum(s.text.strip() == "My voice is my passport." for s in segments) <= LOOP_REPEATS


@dataclass
class Timed:
    start: float
    end: float
    text: str


def test_a_loop_and_the_repeats_after_it_become_one_mark():
    loop = [Timed(10 + t, 11 + t, "My voice is my passport.") for t in range(12)]
    after = Timed(30, 32, SPEECH[1])
    out = list(marking_loops([Timed(0, 5, SPEECH[0])] + loop + [after], lambda a, b: (a, b)))
    # The first time is kept: the audio says it at least once.
    assert out == [Timed(0, 5, SPEECH[0]), loop[0], (11, 22), after]


# Loops as the decoder writes them on speech without text decoded again, each compressing less
# than Whisper's limit (2.4): the form base sampled on far-field English heard as Welsh (AMI
# trn08, docs/benchmarks.md, issue 9, session 28), a sentence's tail said again, and tiny.en's
# beam on a development recording (dev3 seed 7) cut off by a token cap.
SAMPLED_LOOPS = [
    " a'r llwb i'r llwb i'r llwb i'r llwb i'r llwb",
    " I think it's the same. It's the same. It's the same. It's the same.",
    " and then we'll take a look at how we can do this and then we'll take a look at how we can"
    " do this and then we'll take a look at how we can",
]


def test_text_that_says_one_phrase_again_and_again_is_a_loop():
    for text in SAMPLED_LOOPS:
        assert repetitive(text), text


def test_speech_said_a_few_times_is_no_loop():
    said = [
        *SPEECH,
        " Yeah, yeah, yeah, yeah.",
        " No, no, no.",
        " Felly it's hard to know what that is.",
        " Ladies and gentlemen, please fasten your seat belts. Ladies and gentlemen, please"
        " fasten your seat belts.",
        " Ask not what your country can do for you, ask what you can do for your country.",
    ]
    for text in said:
        assert not repetitive(text), text
