"""Sentiment per sentence with VADER (rule-based, lexicon bundled; Apache-2.0), English only."""

from functools import cache

from .base import SentenceSentiment, SentimentLabel
from .text import TimedText

LANGUAGES = frozenset({"en"})
# VADER's own recommended cut-offs on the compound score.
_POSITIVE = 0.05
_NEGATIVE = -0.05


@cache
def _analyzer():
    import vader

    return vader.SentimentIntensityAnalyzer()


def sentiment(timed: TimedText) -> tuple[SentenceSentiment, ...]:
    analyzer = _analyzer()
    results = []
    for sentence in timed.sentences:
        compound = analyzer.polarity_scores(sentence.text)["compound"]
        label, confidence = classify(compound)
        results.append(
            SentenceSentiment(
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                label=label,
                confidence=confidence,
            )
        )
    return tuple(results)


def classify(compound: float) -> tuple[SentimentLabel, float]:
    """A label and a 0.5–1.0 confidence from VADER's compound score (-1 to 1).

    Polar labels grow surer with the score's strength (0.05 -> 0.5, 1 -> 1.0); neutral is surest
    at 0 and falls to 0.5 at the cut-offs."""
    if compound >= _POSITIVE:
        label: SentimentLabel = "positive"
    elif compound <= _NEGATIVE:
        label = "negative"
    else:
        return "neutral", round(1.0 - 0.5 * abs(compound) / _POSITIVE, 4)
    strength = (abs(compound) - _POSITIVE) / (1.0 - _POSITIVE)
    return label, round(0.5 + 0.5 * strength, 4)
