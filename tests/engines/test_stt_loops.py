"""Telling a decoder's repetition loop from audio that really repeats a sentence."""

from dataclasses import dataclass

from apps.engines.stt.loops import LOOP_REPEATS, RepetitionGuard


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
