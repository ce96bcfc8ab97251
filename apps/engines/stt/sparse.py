"""Telling a segment that holds far too few words for the speech under it.

Whisper at temperature 0 sometimes writes one sentence over twenty seconds of speech (tiny.en on
a development recording: a 21 s segment repeating a sentence said 24 s later, the passage under
it lost). Neither the loop guard (one repeat is no loop) nor the gap check (the segment covers
the speech) sees it; the rate does: read or conversational English runs at 2-3.5 words a second
of speech, and such a segment at well under one.

It also stops writing before the speech under a segment ends: at a window's end tiny.en wrote
"... how much there might be" and dropped "prudently in his power to do for them", and the word
alignment stretched "be" over the 2.7 s of speech left (`held_word`).
"""

from collections.abc import Iterable

from .loops import words
from .regions import Region, seconds_within

# A segment is judged only over this much speech: a short one's rate says little (a long name,
# a pause the VAD's padding counts as speech).
MIN_SPEECH_SECONDS = 8.0
# Fewer words than this per second of speech under a segment is too few. The corpus's speech
# runs at 2-3.5; the sensitive VAD pads each region by 0.4 s on both sides and joins across
# pauses under 1 s, so its speech time is longer than the words' (figures in docs/benchmarks.md).
MIN_WORDS_PER_SECOND = 1.0
# A word aligned over more than this is held over speech it does not hold (a drawn-out word
# lasts a second or so) where the VAD hears HELD_SPEECH_SECONDS of speech in it after its first
# second; a word stretched over a pause has no speech there.
LONG_WORD_SECONDS = 2.0
HELD_SPEECH_SECONDS = 1.0


def speech_under(segment, regions: Iterable[Region]) -> float:
    """Seconds of VAD speech within the segment's span."""
    return seconds_within(regions, segment.start, segment.end)


def too_few_words(segment, regions: Iterable[Region]) -> bool:
    """Whether `segment` (with `.start`, `.end`, `.text`) has far too few words for the
    speech the VAD found under it (`regions`, in the same seconds)."""
    if getattr(segment, "untranscribed", False) or not segment.text.strip():
        return False
    speech = speech_under(segment, regions)
    return speech >= MIN_SPEECH_SECONDS and len(words(segment.text)) < MIN_WORDS_PER_SECOND * speech


def held_word(segment, regions: Iterable[Region]):
    """The first of `segment`'s words (with `.start`, `.end`) aligned over seconds of speech
    the VAD found (`regions`) that no word can take that long to say, or None."""
    regions = list(regions)
    for word in segment.words:
        if word.end - word.start > LONG_WORD_SECONDS:
            after_its_first_second = Region(word.start + 1.0, word.end)
            if speech_under(after_its_first_second, regions) >= HELD_SPEECH_SECONDS:
                return word
    return None


def word_count(segments: Iterable) -> int:
    return sum(len(words(s.text)) for s in segments)
