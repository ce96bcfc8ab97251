"""Signs that a segment's text may be made up: Whisper's repetition loops and the text it invents
over silence or music. Each sign is a flag; the page shows and filters them, the API counts them,
exports can leave flagged segments out. A flag is a warning for a reader, never a deletion.

Thresholds are Whisper's own where it has one (its fallback and no-speech rules); the figures
that chose the others are in docs/benchmarks.md.
"""

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from apps.engines.stt.base import SEGMENT_FLAGS
from apps.engines.stt.invented import stock_phrase
from apps.engines.stt.loops import stuck, words

FLAGS = {
    "loop": "Repeats itself",
    "loop_cut": "Loop cut",
    "too_few_words": "Words missing?",
    "repeats_later": "Said later?",
    "other_language": "Another language?",
    "wrong_script": "Wrong script",
    "lone_word": "Lone word",
    "stock_phrase": "Stock phrase",
    "silence": "Text over silence",
    "no_speech": "Probably no speech",
    "low_confidence": "Very unsure",
    "compression": "Repetitive text",
}

_FROM_TEXT = ("loop",)
# Flags from what the engine heard, which neither the text nor its scores show: kept when the
# flags are worked out again. Every engine flag but "loop", which the rules read from the text.
HEARD_ONLY = tuple(flag for flag in SEGMENT_FLAGS if flag not in _FROM_TEXT)

# Whisper skips a window as silent above this no-speech probability (with a low log prob).
NO_SPEECH_PROB = 0.6
# Whisper decodes again, hotter, below this average log probability…
LOW_AVG_LOGPROB = -1.0
# …and above this compression ratio of the text (a loop compresses well). Whisper's own figure is
# for the whole 30 s window, so real speech said twice in one window (the VAD joins speech
# across a long pause) would flag every segment in it: each segment's own text is measured.
COMPRESSION_RATIO = 2.4
# An n-gram said this many times in a row inside one segment is a loop ("the the the the").
_WORD_REPEATS = 4
_PHRASE_REPEATS = 3
_MAX_NGRAM = 8
# The same sentence (of at least this many words) as this many of the few segments before it.
_SENTENCE_WORDS = 3
_SENTENCE_REPEATS = 2
PREVIOUS_SEGMENTS = 4
# A segment with less speech than this share of its time (VAD) holds text over silence.
SPEECH_SHARE = 0.1
# A language detected with a probability under this, over at least UNSURE_LANGUAGE_SECONDS of
# transcribed speech, is shown as unsure: Whisper writes a language it barely knows (Scottish
# Gaelic, Telugu, Finnish) as confident-looking German, Kannada or Latin, detected at 0.24,
# 0.40 and 0.43, where every recording whose language came out right is heard at 0.53 or more
# (far-field English 0.55; two-language files 0.47-0.50; docs/benchmarks.md, issue 9,
# session 32).
UNSURE_LANGUAGE_PROBABILITY = 0.45
UNSURE_LANGUAGE_SECONDS = 5.0


@dataclass(frozen=True)
class SegmentSigns:
    """What a segment's flags are read from (an engine segment, a row, a document segment)."""

    text: str
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    untranscribed: bool = False


def segment_flags(signs: SegmentSigns, previous_texts: Iterable[str] = ()) -> list[str]:
    """The flags of one segment, in FLAGS order; `previous_texts`: the few segments before."""
    said = words(signs.text)
    found = set()
    looping = _loops_within(said) or stuck(signs.text)
    if signs.untranscribed or looping or _repeats_before(said, previous_texts):
        found.add("loop")
    if stock_phrase(signs.text):
        found.add("stock_phrase")
    if signs.no_speech_prob >= NO_SPEECH_PROB:
        found.add("no_speech")
    if signs.avg_logprob < LOW_AVG_LOGPROB:
        found.add("low_confidence")
    if compression_ratio(signs.text) > COMPRESSION_RATIO:
        found.add("compression")
    return [f for f in FLAGS if f in found]


def language_unsure(*, probability: float | None, given: bool, speech_seconds: float) -> bool:
    """Whether a detected language is too unsure to trust: a language the user gave is sure."""
    return (
        not given
        and probability is not None
        and probability < UNSURE_LANGUAGE_PROBABILITY
        and speech_seconds >= UNSURE_LANGUAGE_SECONDS
    )


def compression_ratio(text: str) -> float:
    """Whisper's measure (zlib, as its decoder uses), of this text alone."""
    data = text.strip().encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def merged(*flag_lists: Iterable[str]) -> list[str]:
    """Flags from several sources (ours, the engine's), once each, in FLAGS order; an engine's
    own flags that we do not know come last."""
    every = [f for flags in flag_lists for f in flags]
    known = [f for f in FLAGS if f in every]
    return known + list(dict.fromkeys(f for f in every if f not in FLAGS))


def speech_share(start: float, end: float, regions: list[tuple[float, float]]) -> float:
    """The share of [start, end] that the VAD's speech regions cover."""
    if end <= start:
        return 1.0
    covered = sum(max(0.0, min(end, e) - max(start, s)) for s, e in regions)
    return covered / (end - start)


def _loops_within(said: list[str]) -> bool:
    for n in range(1, min(_MAX_NGRAM, len(said) // 2) + 1):
        needed = _WORD_REPEATS if n == 1 else _PHRASE_REPEATS
        for i in range(len(said) - n * needed + 1):
            gram = said[i : i + n]
            if all(said[i + k * n : i + (k + 1) * n] == gram for k in range(1, needed)):
                return True
    return False


def _repeats_before(said: list[str], previous_texts: Iterable[str]) -> bool:
    if len(said) < _SENTENCE_WORDS:
        return False
    same = sum(1 for text in previous_texts if words(text) == said)
    return same >= _SENTENCE_REPEATS
