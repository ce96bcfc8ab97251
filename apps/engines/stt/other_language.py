"""Speech in another language than the one asked for, noticed from the encoder output the
decoder computes anyway.

Whisper asked for one language writes everything in it: with `language="en"` 70 s of Spanish
come out as an English translation (the second unseen set's es_then_en), and nothing tells the
reader. faster-whisper encodes each 30 s view of the audio before decoding it; detection reads
that encoder output with one decoder step (CTranslate2's `detect_language`), so here each view's
language is heard as it is decoded, and the segments of a view surely in another language are
flagged `other_language` with the language heard (`Segment.heard_language`). Their words stay
as asked: the user chose the language, the flag says where the audio did not follow.

The sureness is a part's to leave the language around it (regions.switches on at least
SURE_SPEECH_SECONDS of speech): far-field English is heard as Welsh at up to 0.69. Only a view
that may hold two languages costs encoder passes: its halves are detected on their own.

`hearing(model, heard)` gives a shallow copy of a faster_whisper.WhisperModel that appends each
view's language probabilities to `heard` before decoding it; the model itself, shared between
the lanes and the jobs of a worker, is left as it is (as greedy_first.py does).
"""

import copy
import dataclasses
from collections.abc import Callable, Iterator

from .base import Segment
from .regions import SURE_SPEECH_SECONDS, switches

FLAG = "other_language"

# A view heard neither surely in `main` nor surely in another language, with another at least
# this likely, may hold both (70 s of Spanish then English: the view across the change heard
# as English 0.50, Spanish 0.49): it is halved between its segments and each half detected on
# its own (one encoder pass each), twice at most, as regions.py halves an unsure block.
_MIXED_PROBABILITY = 0.3
_MAX_SPLITS = 2

# Seconds of speech in file seconds [start, end).
SpeechSeconds = Callable[[float, float], float]
# The language probabilities of file seconds [start, end) (an encoder pass).
Detect = Callable[[float, float], dict[str, float]]


def hearing(model, heard: list[dict[str, float]]):
    """A copy of `model` (faster_whisper.WhisperModel) that detects each view's language from
    the encoder output it decodes, appending the probabilities to `heard` in view order."""
    decoder = copy.copy(model)

    def generate_with_fallback(encoder_output, prompt, tokenizer, options):
        heard.append(_languages(model, encoder_output))
        return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)

    decoder.generate_with_fallback = generate_with_fallback
    return decoder


def _languages(model, encoder_output) -> dict[str, float]:
    found = model.model.detect_language(encoder_output)[0]
    return {token[2:-2]: float(probability) for token, probability in found}


def flagged(
    views: Iterator[tuple[Segment, dict[str, float]]],
    main: str,
    speech: SpeechSeconds,
    detect: Detect,
) -> Iterator[Segment]:
    """The segments of `views` (each with its view's language probabilities, in order), those
    of a view surely heard in another language than `main` flagged with it. A view's segments
    are held until the view ends (at most 30 s of text)."""
    held: list[Segment] = []
    probabilities: dict[str, float] = {}
    for segment, heard in views:
        if held and heard is not probabilities:
            yield from _judged(held, probabilities, main, speech, detect)
            held = []
        held.append(segment)
        probabilities = heard
    yield from _judged(held, probabilities, main, speech, detect)


def _judged(
    segments: list[Segment],
    probabilities: dict[str, float],
    main: str,
    speech: SpeechSeconds,
    detect: Detect,
    depth: int = 0,
) -> list[Segment]:
    """`segments` flagged where heard surely in another language than `main`; a view that may
    hold both is halved between its segments, each half detected on its own."""
    if not segments or not probabilities:
        return segments
    if switches(probabilities, main):
        if speech(segments[0].start, segments[-1].end) < SURE_SPEECH_SECONDS:
            return segments
        language = max(probabilities, key=probabilities.get)
        return [
            dataclasses.replace(s, flags=(*s.flags, FLAG), heard_language=language)
            for s in segments
        ]
    if depth >= _MAX_SPLITS or len(segments) < 2 or not _mixed(probabilities, main):
        return segments
    cut = _middle(segments)
    return [
        s
        for half in (segments[:cut], segments[cut:])
        for s in _judged(half, detect(half[0].start, half[-1].end), main, speech, detect, depth + 1)
    ]


def _mixed(probabilities: dict[str, float], main: str) -> bool:
    return any(p >= _MIXED_PROBABILITY for language, p in probabilities.items() if language != main)


def _middle(segments: list[Segment]) -> int:
    """The index of the segment that starts nearest the middle of `segments`' time (not 0)."""
    middle = (segments[0].start + segments[-1].end) / 2
    return min(range(1, len(segments)), key=lambda i: abs(segments[i].start - middle))
