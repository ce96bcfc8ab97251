"""Keywords with YAKE (unsupervised, per document; LGPL-3), located in the transcript's time."""

import importlib.util
import re
from functools import cache
from pathlib import Path

from .base import Keyword, Keywords
from .text import TimedText

# YAKE ships stop-word lists under its own names; the rest are ISO 639-1 codes already.
_YAKE_CODES = {"cs": "cz"}
# Languages written without spaces between words cannot be split into candidate phrases.
_UNSPACED = {"zh", "ja", "th", "my", "km", "lo"}


@cache
def languages() -> frozenset[str]:
    """The languages YAKE has a stop-word list for (found without importing YAKE)."""
    spec = importlib.util.find_spec("yake")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(next(iter(spec.submodule_search_locations))) / "core" / "StopwordsList"
    codes = {p.stem.removeprefix("stopwords_") for p in folder.glob("stopwords_*.txt")}
    codes |= {iso for iso, own in _YAKE_CODES.items() if own in codes}
    return frozenset(codes - {"noLang"} - set(_YAKE_CODES.values()) - _UNSPACED)


def extract(
    text: str, language: str, *, top: int = 10, max_words: int = 3
) -> list[tuple[str, float]]:
    """(phrase, relevance) pairs, most relevant first; relevance is 1.0 for the best phrase."""
    import yake

    if not text.strip():
        return []
    extractor = yake.KeywordExtractor(
        lan=_YAKE_CODES.get(language, language), n=max_words, dedup_lim=0.7, top=top * 2
    )
    # YAKE scores fall as relevance rises; relative to the best they read as a 0–1 relevance.
    found = sorted(extractor.extract_keywords(text), key=lambda pair: pair[1])
    if not found:
        return []
    best = max(found[0][1], 1e-12)
    kept: list[tuple[str, float]] = []
    for phrase, score in found:
        # "Yellow Sea" makes "Sea" and "Yellow" redundant.
        if any(_contains(chosen, phrase) for chosen, _ in kept):
            continue
        kept.append((phrase, round(float(min(1.0, best / max(score, 1e-12))), 4)))
    return kept[:top]


def _contains(longer: str, shorter: str) -> bool:
    return set(shorter.lower().split()) <= set(longer.lower().split())


def keywords(timed: TimedText, *, top: int = 10, max_timestamps: int = 20) -> Keywords:
    items = []
    for phrase, relevance in extract(timed.text, timed.language, top=top):
        spans = [m.span() for m in _occurrences(phrase, timed.text)]
        items.append(
            Keyword(
                text=phrase,
                score=relevance,
                count=max(1, len(spans)),
                timestamps=tuple(timed.times(a, b) for a, b in spans[:max_timestamps]),
            )
        )
    return Keywords(tuple(items))


def _occurrences(phrase: str, text: str):
    words = [re.escape(w) for w in phrase.split()]
    return re.finditer(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", text, flags=re.IGNORECASE)
