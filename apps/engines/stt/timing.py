"""Word times a reader, a player and a subtitle file can use: inside their segment, each with a
length.

Whisper's word times come from the cross-attention's alignment (DTW), which puts several tokens
on one frame where it finds no place for them: text decoded in the wrong language (AMI trn08,
16 of 44 words of zero length) and the pieces of a number ("5", "-2") come out as words that
start and end at the same moment, so nothing highlights or seeks to them.
"""

from dataclasses import replace

from .base import Word

# The shortest a word is made (stable-ts' `min_word_dur` default); less where the segment does
# not hold that much per word.
MIN_WORD_SECONDS = 0.1
# A segment too short for its words (times rounded to the millisecond) is widened to this much
# per word, so none is left without a length.
_FLOOR_SECONDS = 0.01


def timed_words(
    words: tuple[Word, ...], start: float, end: float
) -> tuple[tuple[Word, ...], float]:
    """`words` clamped within [start, end], in order, each at least MIN_WORD_SECONDS long where
    the segment holds it (words moved as little as that allows), and the segment's end (later
    only where the segment was too short to give each word a length)."""
    if not words:
        return words, end
    end = round(max(end, start + _FLOOR_SECONDS * len(words)), 3)
    least = min(MIN_WORD_SECONDS, (end - start) / len(words))
    spans = [(min(max(w.start, start), end), min(max(w.end, start), end)) for w in words]
    # Forward: each word starts after the one before and lasts at least `least`...
    forward, reached = [], start
    for first, last in spans:
        first = max(first, reached)
        last = max(last, first + least)
        forward.append((first, last))
        reached = last
    # ...backward: none ends after the segment, each still `least` long.
    timed, limit = [], end
    for first, last in reversed(forward):
        last = min(last, limit)
        first = min(first, last - least)
        timed.append((first, last))
        limit = first
    timed.reverse()
    pairs = zip(words, timed, strict=True)
    return tuple(replace(w, start=round(a, 3), end=round(b, 3)) for w, (a, b) in pairs), end
