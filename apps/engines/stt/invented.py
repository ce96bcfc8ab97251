"""Telling text the decoder invented in a stretch where nobody speaks.

A stretch the sensitive VAD kept but the first pass left without text is decoded again on its
own (local.py, `_gap`). On music or noise that second decode sometimes writes what Whisper
learned from subtitle files' credits: over a second of salsa after the last word of a German
reading, base wrote "Copyright WDR 2020" at temperature 0.4, likely enough and at no-speech 0.42,
so it passed the checks for text found in a gap (docs/benchmarks.md, issue 9).

Neither signal alone is enough. Silero heard 0.06 s of speech under its 1.0 s, but far-field
backchannels found the same way on AMI's tuning part are as faint ("Mm." 0.1 of 0.54 s, "Yeah."
0.22 of 0.54 s), and not decoding stretches with little VAD speech lost far-field words. A
credit line is rarely what a meeting or a reading says, yet "thank you for watching" can be
said: so text is dropped only where it is made of Whisper's stock phrases AND Silero hears
speech under less than half of it. The same phrases flag a segment on the page (flags.py).
"""

import re
from collections.abc import Callable

from .loops import words

# What Whisper writes over silence and music: the subtitle credits and sign-offs of the video
# it was trained on. Matched on lower-case words without punctuation.
STOCK_PHRASES = (
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "please subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "don't forget to subscribe",
    "see you in the next video",
    "see you next time",
    "subtitles by",
    "subtitled by",
    "captions by",
    "captioning by",
    "transcribed by",
    "transcription by",
    "translated by",
    "amara org",
    "www mooji org",
    "copyright wdr",
    "untertitel der amara org community",
    "untertitel im auftrag des zdf",
    "untertitelung des zdf",
    "vielen dank fürs zuschauen",
    "wir sehen uns im nächsten video",
    "sous titres réalisés par",
    "sous titrage st",
    "subtítulos realizados por la comunidad de amara org",
    "subtítulos por la comunidad de amara org",
    "gracias por ver el video",
    "sottotitoli creati dalla comunità amara org",
    "legendas pela comunidade amara org",
    "продолжение следует",
    "ご視聴ありがとうございました",
)
# Whole words; a phrase of a script without spaces between words matches anywhere.
_STOCK_PATTERNS = [
    re.compile(rf"(?<!\S){re.escape(p)}(?!\S)" if " " in p else re.escape(p)) for p in STOCK_PHRASES
]
# A stock phrase inside a long stretch of real speech is likely said; only a segment made
# mostly of it counts ("Copyright WDR 2020": the year is one of the words allowed beside it).
_STOCK_EXTRA_WORDS = 4
# Below this share of its span heard as speech, stock phrases found in a gap are invented.
LITTLE_SPEECH_SHARE = 0.5
# A segment whose words were aligned to no time is judged over this much audio.
MIN_SPAN_SECONDS = 0.2


def stock_phrase(text: str) -> bool:
    """Whether `text` is made mostly of Whisper's stock phrases (a few other words may go with
    them: "Thank you so much for watching and I'll see you in the next video")."""
    plain = " ".join(words(text))
    rest = plain
    for pattern in _STOCK_PATTERNS:
        rest = pattern.sub(" ", rest)
    return rest != plain and len(rest.split()) <= _STOCK_EXTRA_WORDS


def invented(segment, speech_seconds: Callable[[float, float], float]) -> bool:
    """Whether `segment` (text decoded alone in a stretch without text) is a stock phrase the
    decoder made up: over audio where `speech_seconds(start, end)` (file seconds) hears little
    speech."""
    if not stock_phrase(segment.text):
        return False
    end = max(segment.end, segment.start + MIN_SPAN_SECONDS)
    return speech_seconds(segment.start, end) < LITTLE_SPEECH_SHARE * (end - segment.start)
