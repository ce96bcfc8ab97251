"""Splitting text into the sentences engines speak one at a time."""

import re

import pysbd
import pysbd.languages

from ..errors import ErrorKind, ProviderError

# A sentence longer than this is cut at a comma or a space: engines degrade (or refuse) on
# very long inputs, and the first audio would wait for all of it.
MAX_SENTENCE_CHARS = 300

_SAYABLE = re.compile(r"[^\W_]")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:\u3001\uff0c])\s+|\s+(?=[\u2013\u2014-]\s)")


def split_sentences(text: str, *, language: str = "en", max_chars: int) -> list[str]:
    """The sentences of `text`, each at most MAX_SENTENCE_CHARS long, in order.

    Raises INVALID_INPUT for a text with nothing to say or longer than `max_chars`.
    """
    stripped = text.strip()
    if not stripped:
        raise ProviderError("There is no text to speak.", kind=ErrorKind.INVALID_INPUT)
    if len(stripped) > max_chars:
        raise ProviderError(
            f"The text is {len(stripped):,} characters long; the limit is {max_chars:,}. "
            "Split it into several requests.",
            kind=ErrorKind.INVALID_INPUT,
        )
    # A Segmenter keeps state while it works, so each call has its own.
    segmenter = pysbd.Segmenter(language=_pysbd_language(language), clean=False)
    sentences = []
    for paragraph in re.split(r"\n\s*\n", stripped):
        for sentence in segmenter.segment(paragraph):
            sentence = " ".join(sentence.split())
            if _SAYABLE.search(sentence):  # not punctuation alone
                sentences.extend(_cut_long(sentence, MAX_SENTENCE_CHARS))
    if not sentences:
        raise ProviderError("There is no text to speak.", kind=ErrorKind.INVALID_INPUT)
    return sentences


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of `text`, each on one line: split at empty lines, or at every line break
    where the text has no empty line (a paste from a web page). Lines wrapped inside a paragraph
    (a book's) are joined; a paragraph with nothing to say ("* * *") is left out."""
    stripped = text.strip()
    breaks = r"\n\s*\n" if re.search(r"\n\s*\n", stripped) else r"\n"
    paragraphs = (" ".join(p.split()) for p in re.split(breaks, stripped))
    return [p for p in paragraphs if _SAYABLE.search(p)]


def _pysbd_language(language: str) -> str:
    code = language.lower().replace("_", "-").split("-")[0]
    if code in ("cmn", "yue"):
        code = "zh"
    return code if code in pysbd.languages.LANGUAGE_CODES else "en"


def _cut_long(sentence: str, limit: int) -> list[str]:
    """Cut at clause breaks, then at spaces, then anywhere, into pieces of at most `limit`."""
    if len(sentence) <= limit:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for part in _CLAUSE_BREAK.split(sentence):
        for word in _fit(part, limit):
            joined = f"{current} {word}" if current else word
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = word
    if current:
        pieces.append(current)
    return pieces


def _fit(part: str, limit: int) -> list[str]:
    """`part` as one piece if it fits, else its words (a word over `limit` cut by force)."""
    if len(part) <= limit:
        return [part]
    words = []
    for word in part.split():
        words.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return words


def short_first(sentences: list[str], limit: int, *, clause_only: bool = False) -> list[str]:
    """`sentences` with the first cut in two when longer than `limit` characters, at its first
    clause break past a few words (up to half as far again) or else, unless `clause_only`, at
    the last space before `limit`: the first audio then waits for a few words, not a whole
    sentence. A cut at a clause break joins without a seam (the pause a comma has anyway); one
    between words can be heard as a short break, so engines that end each piece like a
    sentence cut at clauses only. A cut that would leave one word alone is not made."""
    if not sentences or limit <= 0 or len(sentences[0]) <= limit:
        return sentences
    first = sentences[0]
    cut = next(
        (m.start() for m in _CLAUSE_BREAK.finditer(first) if 12 <= m.start() <= limit * 3 // 2),
        None,
    )
    if cut is None:
        cut = -1 if clause_only else first.rfind(" ", 0, limit)
    if cut <= 0:
        return sentences
    head, tail = first[:cut].strip(), first[cut:].strip()
    # One word left alone is spoken out of context (Kokoro's "portal." alone was heard as
    # "photos"), and saves little: the sentence stays whole.
    return [head, tail, *sentences[1:]] if len(tail.split()) >= 2 else sentences
