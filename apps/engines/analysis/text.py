"""A transcript as one string whose characters know their time, and its sentences.

Text analyses work on characters (spaCy offsets, sentence spans); the page needs seconds. The
text is built from the words when the engine gave word timestamps, so a character maps to the
word it belongs to; without words, time is interpolated across the segment.
"""

import bisect
import re
from dataclasses import dataclass
from functools import cached_property

from .base import Transcript, _base_language

# pysbd's rule sets, by language code.
PYSBD_LANGUAGES = frozenset({
    "am", "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy",
    "it", "ja", "kk", "mr", "my", "nl", "pl", "ru", "sk", "ur", "zh",
})  # fmt: skip


@dataclass(frozen=True)
class Span:
    text: str
    start_char: int
    end_char: int
    start: float
    end: float


class TimedText:
    """The transcript's text with a time for every character."""

    def __init__(self, transcript: Transcript):
        self.language = _base_language(transcript.language)
        parts: list[str] = []
        # Parallel lists: each piece of text starts at char_starts[i] and lasts times[i].
        self._char_starts: list[int] = []
        self._times: list[tuple[float, float]] = []
        length = 0
        for segment in transcript.segments:
            pieces = [(w.word, w.start, w.end) for w in segment.words] or _interpolated(segment)
            for text, start, end in pieces:
                if not parts:
                    text = text.lstrip()
                elif not text[:1].isspace():
                    text = " " + text
                if not text.strip():
                    continue
                self._char_starts.append(length + len(text) - len(text.lstrip()))
                self._times.append((start, end))
                parts.append(text)
                length += len(text)
        self.text = "".join(parts)

    def times(self, start_char: int, end_char: int) -> tuple[float, float]:
        """Start and end time of the characters [start_char, end_char)."""
        if not self._times:
            return 0.0, 0.0
        first = max(0, bisect.bisect_right(self._char_starts, start_char) - 1)
        last = max(first, bisect.bisect_right(self._char_starts, max(start_char, end_char - 1)) - 1)
        return self._times[first][0], self._times[last][1]

    def span(self, start_char: int, end_char: int) -> Span:
        start, end = self.times(start_char, end_char)
        return Span(self.text[start_char:end_char], start_char, end_char, start, end)

    @cached_property
    def sentences(self) -> list[Span]:
        return [self.span(a, b) for a, b in sentence_bounds(self.text, self.language)]


def _interpolated(segment) -> list[tuple[str, float, float]]:
    """Words of a segment without word timestamps, timed by their share of its characters."""
    words = segment.text.split()
    total = sum(len(w) + 1 for w in words) or 1
    duration = segment.end - segment.start
    pieces, done = [], 0
    for word in words:
        start = segment.start + duration * done / total
        done += len(word) + 1
        end = segment.start + duration * done / total
        pieces.append((word, round(start, 3), round(end, 3)))
    return pieces


def sentence_bounds(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`, trimmed of surrounding spaces."""
    if language in PYSBD_LANGUAGES:
        import pysbd

        # A segmenter keeps state while it works, and costs microseconds to make: one per call.
        segmenter = pysbd.Segmenter(language=language, clean=False, char_span=True)
        spans = [(s.start, s.end) for s in segmenter.segment(text)]
    else:
        spans = [(m.start(), m.end()) for m in re.finditer(r"[^.!?。？！]+[.!?。？！]*", text)]
    bounds = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            bounds.append((start + lead, start + lead + len(stripped)))
    return bounds
