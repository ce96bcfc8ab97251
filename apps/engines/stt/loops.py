"""Telling a decoder stuck in a repetition loop from audio that really repeats itself.

Whisper conditioned on its own previous text can fall into a loop ("My voice is my passport.
My phone is my passport. …") and stay there for minutes, each segment a near copy of the ones
before, while the real speech of those minutes is lost. Real speech repeats too (four people
saying the same sentence, a chorus, a refrain), but a few times, not dozens.
"""

import re
from collections import Counter, deque
from dataclasses import dataclass, field

# A segment that brings at most this share of word pairs not seen in the recent text repeats it.
_NOVEL_SHARE = 1 / 3
# How many earlier segments "recent text" covers.
_CONTEXT_SEGMENTS = 8
# One sentence said again this many times within a stretch of repeats is a loop: real audio
# repeats a sentence a few times (the corpus has four speakers saying it in turn), a stuck
# decoder dozens of times.
LOOP_REPEATS = 6


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def _pairs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    if len(w) < 2:
        return {tuple(w)} if w else set()
    return {tuple(w[i : i + 2]) for i in range(len(w) - 1)}


@dataclass
class RepetitionGuard:
    """Holds back segments that only repeat recent text, until it is clear whether the audio
    repeats itself (the segments are released) or the decoder is looping (`looping`).

    Works on anything with `.text` (the engine's segments)."""

    loop_repeats: int = LOOP_REPEATS
    held: list = field(default_factory=list)
    _recent: deque = field(default_factory=lambda: deque(maxlen=_CONTEXT_SEGMENTS))

    def push(self, segment) -> list:
        """Takes the next segment; returns those now known not to be part of a loop."""
        pairs = _pairs(segment.text)
        seen = set().union(*self._recent)
        self._recent.append(pairs)
        if pairs and len(pairs - seen) <= _NOVEL_SHARE * len(pairs):
            self.held.append(segment)
            return []
        return self.flush() + [segment]

    @property
    def looping(self) -> bool:
        counts = Counter(" ".join(words(s.text)) for s in self.held)
        return bool(counts) and max(counts.values()) >= self.loop_repeats

    def flush(self) -> list:
        held, self.held = self.held, []
        return held
