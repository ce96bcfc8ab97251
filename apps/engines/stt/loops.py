"""Telling a decoder stuck in a repetition loop from audio that really repeats itself.

Whisper conditioned on its own previous text can fall into a loop ("My voice is my passport.
My phone is my passport. …") and stay there for minutes, each segment a near copy of the ones
before, while the real speech of those minutes is lost. Real speech repeats too (four people
saying the same sentence, a chorus, a refrain), but a few times, not dozens.
"""

import logging
import math
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# A segment that brings at most this share of word pairs not seen in the recent text repeats it.
_NOVEL_SHARE = 1 / 3
# How many earlier segments "recent text" covers.
_CONTEXT_SEGMENTS = 8
# One sentence said again this many times within a stretch of repeats is a loop: real audio
# repeats a sentence a few times (the corpus has four speakers saying it in turn), a stuck
# decoder dozens of times.
LOOP_REPEATS = 6
# Within one text: a run of this many words made of one short phrase said back to back (at
# least _RUN_COPIES times, the last copy perhaps cut short) is a loop, not speech. Whisper's
# compression check misses a short one: on an AMI training excerpt (base, far-field English
# then decoded as Welsh) the ladder sampled " a'r llwb i'r llwb i'r llwb ..." at a compression
# ratio of 2.35 (the limit is 2.4), likely enough to pass as text (docs/benchmarks.md, issue 9,
# session 28). A backchannel said a few times ("Yeah, yeah, yeah, yeah.") is far shorter.
_RUN_WORDS = 8
_RUN_COPIES = 2.5
_RUN_PHRASE_WORDS = 12
# Within one word: a piece of up to this many characters said _STUTTER_COPIES times or more back
# to back. base wrote "انانانان" over Telugu (unseen set 5, te_six_voices), then used it as the
# prompt of the next decode (docs/benchmarks.md, issue 9, session 32).
_STUTTER_UNIT = 4
_STUTTER_COPIES = 4


def _said_over(copies: int) -> re.Pattern:
    """A piece of up to _STUTTER_UNIT characters said `copies` times or more back to back."""
    return re.compile(rf"(\S{{1,{_STUTTER_UNIT}}}?)\1{{{copies - 1},}}")


_STUTTER = _said_over(_STUTTER_COPIES)
# A segment whose text is mostly (over _STUCK_SHARE of its characters, spaces aside) one such
# piece said _STUCK_COPIES times or more back to back is a loop within itself, which the guard
# cuts as it cuts a sentence said over and over: base wrote "Na'a'a'a'a'a'a'a'a'a'a'a'a'a'!"
# (14 copies, 93 % of its text) over Telugu (unseen set 5, te_six_voices). In the 612 segments
# base wrote on the corpus, AMI, LJ, the sonnets and sets 1-5, and in their references, no piece
# comes 4 times but an invented "-z" over crying (9 times, 43 % of the text: left alone);
# laughter written out ("Hahahahahaha", 5 copies), a song ("la la la": spaces) and a stammer
# ("I-I-I") stay under the line (docs/benchmarks.md, issue 9, session 32).
_STUCK_COPIES = 8
_STUCK_SHARE = 0.5
_STUCK = _said_over(_STUCK_COPIES)


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def repetitive(text: str) -> bool:
    """Whether `text` holds a loop: one phrase of up to _RUN_PHRASE_WORDS words said
    _RUN_COPIES times or more back to back, over _RUN_WORDS words or more, or one short piece
    said over and over within a word (`stuck`)."""
    if stuck(text):
        return True
    said = words(text)
    for size in range(1, _RUN_PHRASE_WORDS + 1):
        needed = max(_RUN_WORDS, math.ceil(_RUN_COPIES * size))
        run = size  # words since the phrase of `size` words began repeating itself
        for i in range(size, len(said)):
            run = run + 1 if said[i] == said[i - size] else size
            if run >= needed:
                return True
    return False


def stutters(text: str) -> bool:
    """Whether `text` says one piece of up to _STUTTER_UNIT letters (vowel signs counted) over
    and over inside a word ("انانانان", "hahahaha"): a loop too short for `repetitive`, which
    counts words."""
    return any(any(c.isalpha() for c in m.group(1)) for m in _STUTTER.finditer(text))


def stuck(text: str) -> bool:
    """Whether `text` is mostly one piece of up to _STUTTER_UNIT characters (a letter among
    them) said over and over without a space: a loop within one segment ("Na'a'a'a'a'a'a'a'")."""
    said = sum(not c.isspace() for c in text)
    return any(
        any(c.isalpha() for c in m.group(1)) and len(m.group(0)) > _STUCK_SHARE * said
        for m in _STUCK.finditer(text)
    )


def _pairs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    if len(w) < 2:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + 2]) for i in range(len(w) - 1)}


@dataclass
class RepetitionGuard:
    """Holds back segments that only repeat recent text, until it is clear whether the audio
    repeats itself (the segments are released) or the decoder is looping (`looping`). A segment
    stuck within itself (`stuck`) is a loop at once.

    Works on anything with `.text` (the engine's segments)."""

    loop_repeats: int = LOOP_REPEATS
    held: list = field(default_factory=list)
    _recent: deque = field(default_factory=lambda: deque(maxlen=_CONTEXT_SEGMENTS))

    def push(self, segment) -> list:
        """Takes the next segment; returns those now known not to be part of a loop."""
        pairs = _pairs(segment.text)
        seen = set().union(*self._recent)
        self._recent.append(pairs)
        if stuck(segment.text):
            self.held.append(segment)
            return []
        if pairs and len(pairs - seen) <= _NOVEL_SHARE * len(pairs):
            self.held.append(segment)
            return []
        return self.flush() + [segment]

    @property
    def looping(self) -> bool:
        counts = Counter(" ".join(words(s.text)) for s in self.held)
        return bool(counts) and (
            max(counts.values()) >= self.loop_repeats or any(stuck(s.text) for s in self.held)
        )

    def flush(self) -> list:
        held, self.held = self.held, []
        return held


def marking_loops(segments: Iterable, mark: Callable[[float, float], object]) -> Iterator:
    """`segments` with each loop replaced by one `mark(start, end)`. For a decoder that was given
    no earlier text: a loop there cannot be decoded away, only marked."""
    guard, loop = RepetitionGuard(), None
    for segment in segments:
        released = guard.push(segment)
        if released and loop:  # the loop ended: the repeats held since belong to it
            *repeats, segment = released
            yield _marked(mark, loop, repeats)
            loop, released = None, [segment]
        yield from released
        if guard.looping:  # one mark for the whole loop, however long it runs
            held = guard.flush()
            loop = (loop or held)[:1] + held[-1:]
    if loop:
        yield _marked(mark, loop, guard.flush())
    else:
        yield from guard.flush()


def _marked(mark, loop: list, repeats: list):
    first, last = loop[0], (repeats or loop)[-1]
    logger.warning("Repetition loop from %.1fs to %.1fs: marked", first.start, last.end)
    return mark(first.start, last.end)
