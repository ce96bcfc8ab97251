"""Telling a segment that holds a sentence said later in the recording.

Whisper sees 30 s at a time and at temperature 0 sometimes writes, over one passage, a sentence
said further on in the same 30 s (tiny.en on a development recording: "If the reader will excuse
me, I will say nothing of my heart." over "Today only platforms one and three are used", the
sentence itself said 24 s later). The rate of words is normal, so the density guard (sparse.py)
cannot see it; the same words coming again a few seconds later, over other audio, show it.

Real speech repeats too (a chorus, a sentence two people say in turn, "thank you"): a phrase
under MIN_WORDS is never judged, and a segment that, decoded again on its own, gives the same
words again is real speech said twice and stays as it was (local.py).
"""

from collections.abc import Sequence
from difflib import SequenceMatcher

from .loops import words

# Shorter segments are never judged: "thank you", "yes, yes", "okay, so" come back all the time.
MIN_WORDS = 6
# Share of the segment's words found again, in order, in the text after it.
MIN_SHARE = 0.8
# The later text must start within Whisper's 30 s view of the segment: what the decoder can
# have copied from.
HORIZON_SECONDS = 30.0
# Decoded again on its own, a segment that still has this share of the later words is real
# speech said twice, whatever the decoder changed (Whisper decodes a sentence without the text
# before it a little differently: "and is power to do for them" for "in his power ...").
SAME_SHARE = 0.5
# A segment whose every word the aligner placed with at least this probability is taken as
# heard where it stands, and not judged: text copied from other audio leaves a word that fits
# nowhere (the development failure: 0.011 at its least; five real repeats there: 0.11-0.94,
# four of them above this, so the guard costs a decode on few real repeats).
SURE_WORD_PROBABILITY = 0.5
# Later segments read together, for a sentence split over two or three segments.
_JOINED = 3
# More words a second than anyone says (read speech runs at 2-3.5, fast talkers at 5-6): a
# segment that repeats a later one at such a rate holds the later sentence written over a short
# stretch (base with the spectrogram computed as faster-whisper does, decoder cutting 2 s
# silences, a development recording: a 24-word sentence said 25 s later written over the 1.6 s
# pause before "Today only platforms ..."; docs/benchmarks.md, issue 9, session 30).
MAX_WORDS_PER_SECOND = 8.0


def repeats_later(
    segment, later: Sequence, *, share: float = MIN_SHARE, min_words: int = MIN_WORDS
) -> bool:
    """Whether `share` of `segment`'s words (it has `.start`, `.end`, `.text`; at least
    `min_words`) come again, in order, in segments of `later` (the ones after it, in time
    order) that start after it ends and within HORIZON_SECONDS of its start."""
    said = words(segment.text)
    if len(said) < max(1, min_words) or _sure_everywhere(segment):
        return False
    for i, other in enumerate(later):
        if other.start >= segment.start + HORIZON_SECONDS:
            break
        if other.start < segment.end:
            continue  # the same audio, or overlapping it: not elsewhere
        again = [w for s in later[i : i + _JOINED] for w in words(s.text)]
        if _shared(said, again) >= share * len(said):
            return True
    return False


def too_fast(segment) -> bool:
    """Whether `segment` (with `.start`, `.end`, `.text`) holds more words than its time
    could: MAX_WORDS_PER_SECOND."""
    return len(words(segment.text)) > MAX_WORDS_PER_SECOND * (segment.end - segment.start)


def _shared(first: list[str], second: list[str]) -> int:
    """Words of `first` found in `second` in the same order, in runs of two or more (single
    common words, "the", "and", scattered over a longer text, say nothing)."""
    blocks = SequenceMatcher(None, first, second, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks if b.size >= 2)


def _sure_everywhere(segment) -> bool:
    aligned = getattr(segment, "words", ())
    return bool(aligned) and min(w.probability for w in aligned) >= SURE_WORD_PROBABILITY
