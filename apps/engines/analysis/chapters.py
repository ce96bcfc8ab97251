"""Chapters by topic shift (TextTiling over MiniLM sentence embeddings).

Every gap between two sentences is scored by how unlike each other the sentences on either side
are (cosine of the mean embeddings of a few sentences before and after). A gap whose similarity
sits in a valley deeper than the text's usual ups and downs is a topic change; the deepest gaps
are taken first, keeping chapters at least `min_seconds` and `min_sentences` long. Each chapter
is headed by its most central sentence, and its gist is its top keywords.
"""

from dataclasses import dataclass

import numpy as np

from .base import Chapter
from .keywords import extract
from .minilm import encoder
from .text import Span, TimedText

# all-MiniLM-L6-v2 was trained on English sentence pairs.
LANGUAGES = frozenset({"en"})
_HEADLINE_WORDS = 25


@dataclass(frozen=True)
class ChapterOptions:
    min_seconds: float = 20.0
    min_sentences: int = 2
    # A gap must be at least this much deeper than its surroundings (cosine units).
    min_depth: float = 0.1
    window: int = 3  # sentences either side of a gap


def chapters(timed: TimedText, options: ChapterOptions = ChapterOptions()) -> tuple[Chapter, ...]:
    sentences = timed.sentences
    if not sentences:
        return ()
    vectors = encoder().encode([s.text for s in sentences])
    starts = [0, *boundaries(vectors, sentences, options), len(sentences)]
    return tuple(
        _chapter(sentences[a:b], vectors[a:b], timed.language)
        for a, b in zip(starts, starts[1:], strict=False)
    )


def boundaries(vectors: np.ndarray, sentences: list[Span], options: ChapterOptions) -> list[int]:
    """Indices of the sentences that start a new chapter, in order."""
    n = len(vectors)
    if n < 2 * options.min_sentences:
        return []
    window = max(1, min(options.window, n // 4))
    similarity = np.array(
        [
            _cosine(
                vectors[max(0, i - window) : i].mean(axis=0), vectors[i : i + window].mean(axis=0)
            )
            for i in range(1, n)
        ]
    )
    depth = _depth(similarity)
    cutoff = max(options.min_depth, depth.mean() - depth.std() / 2)
    chosen: list[int] = []
    for gap in np.argsort(-depth):
        if depth[gap] < cutoff:
            break
        index = int(gap) + 1  # the sentence after the gap starts the chapter
        if _fits(index, chosen, sentences, options):
            chosen.append(index)
    return sorted(chosen)


def _depth(similarity: np.ndarray) -> np.ndarray:
    """TextTiling depth: how far a gap's similarity lies below the peaks on either side."""
    depth = np.zeros_like(similarity)
    for i, value in enumerate(similarity):
        left = right = value
        for j in range(i - 1, -1, -1):
            if similarity[j] < left:
                break
            left = similarity[j]
        for j in range(i + 1, len(similarity)):
            if similarity[j] < right:
                break
            right = similarity[j]
        depth[i] = (left - value) + (right - value)
    return depth


def _fits(index: int, chosen: list[int], sentences: list[Span], options: ChapterOptions) -> bool:
    edges = sorted([0, *chosen, len(sentences)])
    before = max(e for e in edges if e < index)
    after = min(e for e in edges if e > index)
    for a, b in ((before, index), (index, after)):
        if b - a < options.min_sentences:
            return False
        if sentences[b - 1].end - sentences[a].start < options.min_seconds:
            return False
    return True


def _chapter(sentences: list[Span], vectors: np.ndarray, language: str) -> Chapter:
    centroid = vectors.mean(axis=0)
    central = sentences[int(np.argmax(vectors @ centroid))]
    text = " ".join(s.text for s in sentences)
    gist = ", ".join(phrase for phrase, _ in extract(text, language, top=3, max_words=2))
    return Chapter(
        start=sentences[0].start, end=sentences[-1].end, headline=_shorten(central.text), gist=gist
    )


def _shorten(sentence: str) -> str:
    words = sentence.split()
    return sentence if len(words) <= _HEADLINE_WORDS else " ".join(words[:_HEADLINE_WORDS]) + "…"


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-9))
