"""A redacted copy of a transcript: personal details replaced by their type ("[PERSON]",
"[PHONE]"), as text exports and as audio with a tone (or silence) over those words. The
original stays as it is for its owner.

What counts as personal: the names, organisations and places the entities analysis found (every
place each is said, not only the one it was found at), and what patterns find in any language:
e-mail addresses, phone numbers, card numbers (Luhn-checked) and street addresses.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

from apps.engines.analysis.base import Entity
from apps.transcripts.formats import DocumentSegment, DocumentWord, TranscriptDocument

# Entity types (spaCy's OntoNotes labels) that name or place a person.
REDACTED_TYPES = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC")

_DIGITS = r"\d(?:[ \-.]?\d)"
PATTERNS = (
    # Checked in this order; an earlier match wins where two overlap.
    (
        "EMAIL",
        re.compile(
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
            r"|\b[\w.]+ at [\w-]+ dot (?:com|org|net|edu|gov|io|co|uk|de|fr)\b",
            re.I,
        ),
    ),
    ("CARD_NUMBER", re.compile(rf"(?<![\w+]){_DIGITS}{{12,18}}(?!\w)")),
    (
        "PHONE",
        re.compile(r"(?<![\w+])(?:\+\d{1,3}[ \-.]?)?(?:\(\d{2,5}\)[ \-.]?)?\d[\d \-.]{5,}\d(?!\w)"),
    ),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,5}(?: [A-Z][\w'-]*){1,3} (?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|"
            r"Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Terrace)\b\.?",
        ),
    ),
)
# Audio: a 1 kHz tone a little quieter than speech, over each redacted word and a margin.
TONE_HZ = 1000.0
TONE_LEVEL = 0.2
MARGIN_SECONDS = 0.05


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


def pii_spans(text: str, entities: tuple[Entity, ...] = ()) -> list[Span]:
    """Where `text` holds personal details, by pattern and by the entities' own texts; sorted,
    not overlapping."""
    found: list[Span] = []
    for label, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if label == "CARD_NUMBER" and not _luhn(m.group()):
                continue
            if label == "PHONE" and sum(c.isdigit() for c in m.group()) < 7:
                continue
            found.append(Span(m.start(), m.end(), label))
    # Longest names first: "John Smith" is one span, not "John" and "Smith".
    names = sorted({(e.text.strip(), e.type) for e in entities if e.type in REDACTED_TYPES},
                   key=lambda n: -len(n[0]))  # fmt: skip
    for name, label in names:
        if len(name) < 2:
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I):
            found.append(Span(m.start(), m.end(), label))
    return _without_overlaps(found)


def redacted_text(text: str, spans: list[Span]) -> str:
    out, at = [], 0
    for span in spans:
        out += [text[at : span.start], f"[{span.label}]"]
        at = span.end
    return "".join(out) + text[at:]


def redacted_document(doc: TranscriptDocument) -> TranscriptDocument:
    """The document with personal details replaced in every segment and word, its speakers
    known by letter only, and no analyses (their texts quote the transcript)."""
    segments = tuple(_segment(s, doc.entities) for s in doc.segments)
    speakers = {s.label: _anonymous(s) for s in doc.speakers}
    segments = tuple(
        replace(s, speaker=speakers.get(s.speaker.label, _anonymous(s.speaker))) if s.speaker else s
        for s in segments
    )
    title = redacted_text(doc.title, pii_spans(doc.title, doc.entities))
    return TranscriptDocument(
        language=doc.language,
        duration=doc.duration,
        segments=segments,
        task=doc.task,
        title=f"{title} (redacted)" if title else "Redacted transcript",
        speakers=tuple(speakers.values()),
    )


def redacted_times(doc: TranscriptDocument) -> list[tuple[float, float]]:
    """When the redacted words of a redacted document are said."""
    return [
        (w.start, w.end)
        for s in doc.segments
        for w in s.words
        if re.fullmatch(r"\s*\[[A-Z_]+\][^\w]*", w.word)
    ]


def redacted_audio(audio: np.ndarray, times, *, rate: int, tone: bool = True) -> np.ndarray:
    """`audio` with a tone (or silence) over each stretch in `times`."""
    out = audio.copy()
    for start, end in times:
        first = max(0, int((start - MARGIN_SECONDS) * rate))
        last = min(len(out), int((end + MARGIN_SECONDS) * rate))
        if last <= first:
            continue
        if tone:
            t = np.arange(last - first) / rate
            out[first:last] = TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)
        else:
            out[first:last] = 0.0
    return out


def _segment(s: DocumentSegment, entities) -> DocumentSegment:
    if not s.words:
        return replace(s, text=redacted_text(s.text, pii_spans(s.text, entities)), tokens=())
    text = "".join(w.word for w in s.words)
    spans = pii_spans(text, entities)
    words, at, span_index = [], 0, 0
    for w in s.words:
        begin, end = at, at + len(w.word)
        at = end
        while span_index < len(spans) and spans[span_index].end <= begin:
            span_index += 1
        span = spans[span_index] if span_index < len(spans) else None
        if not span or span.start >= end:
            words.append(w)
            continue
        tail = w.word[max(0, span.end - begin) :] if span.end < end else ""
        label = f" [{span.label}]{tail if not any(c.isalnum() for c in tail) else ''}"
        if words and words[-1].word.startswith(f" [{span.label}]") and span.start < begin:
            words[-1] = replace(words[-1], end=w.end, word=label)  # one label per span
        else:
            words.append(DocumentWord(label, w.start, w.end, w.probability))
    return replace(s, text="".join(w.word for w in words), words=tuple(words), tokens=())


def _anonymous(speaker):
    """A speaker known by letter only: a name given to a speaker is personal too."""
    number = speaker.label.rsplit("_", 1)[-1]
    letter = chr(ord("A") + int(number)) if number.isdigit() and int(number) < 26 else "?"
    return replace(speaker, name=letter, display_name=f"Speaker {letter}", profile="")


def _without_overlaps(spans: list[Span]) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
