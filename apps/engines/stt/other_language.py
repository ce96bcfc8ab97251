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
that may hold two languages costs encoder passes: its halves are detected on their own. At the
edges of other-language speech (the view that holds the change, a short stretch after it) a
view is judged with its neighbours: beside speech surely in another language, a view not sure
of the language asked for is halved, a stretch too short to be sure alone is flagged when
detection is sure of it, and a piece heard likeliest in the language beside it is flagged when
the language asked for is as unlikely as a switch needs, though close languages share the rest
(Spanish, Galician, Basque). The batched first pass hears each clip the same way
(hearing_clips).

`hearing(model, heard)` gives a shallow copy of a faster_whisper.WhisperModel that appends each
view's language probabilities to `heard` before decoding it; the model itself, shared between
the lanes and the jobs of a worker, is left as it is (as greedy_first.py does).
"""

import copy
import dataclasses
from collections.abc import Callable, Iterator

from .base import Segment
from .regions import SURE_SPEECH_SECONDS, SWITCH_MARGIN, SWITCH_PROBABILITY, switches

FLAG = "other_language"

# A view heard neither surely in `main` nor surely in another language, with another at least
# this likely, may hold both (70 s of Spanish then English: the view across the change heard
# as English 0.50, Spanish 0.49): it is halved between its segments and each half detected on
# its own (one encoder pass each), twice at most, as regions.py halves an unsure block.
_MIXED_PROBABILITY = 0.3
_MAX_SPLITS = 2
# Beside speech heard surely in another language, a view less sure of `main` than this is
# halved too: the change lies in it or at its edge (17 s of English then 10 s of German heard
# as English 0.86, German 0.13, before a view of German). Far-field English is heard at 0.47-0.94
# (AMI training excerpts), so this needs the neighbour: alone, English would be halved
# everywhere, for an encoder pass a half.
_SURE_MAIN_PROBABILITY = 0.95
# A view's encoder output holds 30 s of audio from where its segments start; when they end
# well before (the decoder moves on to the last whole segment), the rest is the next view's
# speech, and a view of English followed by German was heard as German 0.93 over its English
# segments. A view heard in another language over segments spanning less than this is heard
# again on their audio alone (one encoder pass) before it is flagged.
_COVERED_SECONDS = 25.0

# Seconds of speech in file seconds [start, end).
SpeechSeconds = Callable[[float, float], float]
# The language probabilities of file seconds [start, end) (an encoder pass).
Detect = Callable[[float, float], dict[str, float]]
# The languages of segments already flagged beside file seconds [start, end).
Around = Callable[[float, float], set[str]]


def hearing(model, heard: list[dict[str, float]]):
    """A copy of `model` (faster_whisper.WhisperModel) that detects each view's language from
    the encoder output it decodes, appending the probabilities to `heard` in view order."""
    decoder = copy.copy(model)

    def generate_with_fallback(encoder_output, prompt, tokenizer, options):
        heard.append(_languages(model, encoder_output))
        return model.generate_with_fallback(encoder_output, prompt, tokenizer, options)

    decoder.generate_with_fallback = generate_with_fallback
    return decoder


def hearing_clips(model, heard: list[dict[str, float]]):
    """A copy of `model` whose encoder appends the language probabilities of each clip it
    encodes to `heard`, in order: BatchedInferencePipeline encodes a batch of clips at once
    and decodes them without generate_with_fallback."""
    encoder = copy.copy(model)

    def encode(features):
        output = model.encode(features)
        heard.extend(_by_name(found) for found in model.model.detect_language(output))
        return output

    encoder.encode = encode
    return encoder


def _languages(model, encoder_output) -> dict[str, float]:
    return _by_name(model.model.detect_language(encoder_output)[0])


def _by_name(found: list[tuple[str, float]]) -> dict[str, float]:
    return {token[2:-2]: float(probability) for token, probability in found}


def flagged(
    views: Iterator[tuple[Segment, dict[str, float]]],
    main: str,
    speech: SpeechSeconds,
    detect: Detect,
    around: Around | None = None,
) -> Iterator[Segment]:
    """The segments of `views` (each with its view's language probabilities, in order), those
    of a view (or part of one) surely heard in another language than `main` flagged with it.
    A view's segments are held until the next view is heard (at most 60 s of text). `around`
    gives the languages of segments flagged before beside a view's time (a stretch decoded
    again on its own has no view before or after it)."""
    judge = _Judge(main, speech, detect)
    near = around or (lambda start, end: set())
    before, pending = "", None
    for segments, probabilities in _grouped(views):
        heard = judge.own(segments, probabilities)
        if pending is not None:
            beside = {before, judge.sure(segments, heard)} | near(*_span(pending[0]))
            judged = judge.pieces(*pending, beside - {""})
            yield from judged
            before = judged[-1].heard_language
        pending = (segments, heard)
    if pending is not None:
        yield from judge.pieces(*pending, ({before} | near(*_span(pending[0]))) - {""})


def _span(segments: list[Segment]) -> tuple[float, float]:
    return segments[0].start, segments[-1].end


def _grouped(views: Iterator[tuple[Segment, dict[str, float]]]):
    """Each view's segments with its probabilities (one dict per view, in order)."""
    held: list[Segment] = []
    probabilities: dict[str, float] = {}
    for segment, heard in views:
        if held and heard is not probabilities:
            yield held, probabilities
            held = []
        held.append(segment)
        probabilities = heard
    if held:
        yield held, probabilities


@dataclasses.dataclass(frozen=True)
class _Judge:
    main: str
    speech: SpeechSeconds
    detect: Detect

    def own(self, segments: list[Segment], probabilities: dict[str, float]) -> dict[str, float]:
        """The view's probabilities, heard again on its segments alone where it switches over
        segments that leave much of it to the next view's speech."""
        start, end = segments[0].start, segments[-1].end
        if probabilities and switches(probabilities, self.main) and end - start < _COVERED_SECONDS:
            return self.detect(start, end)
        return probabilities

    def sure(self, segments: list[Segment], probabilities: dict[str, float]) -> str:
        """The other language `segments` are surely heard in on enough speech, else ""."""
        if not probabilities or not switches(probabilities, self.main):
            return ""
        if self.speech(segments[0].start, segments[-1].end) < SURE_SPEECH_SECONDS:
            return ""
        return max(probabilities, key=probabilities.get)

    def pieces(
        self,
        segments: list[Segment],
        probabilities: dict[str, float],
        beside: set[str],
        depth: int = 0,
    ) -> list[Segment]:
        """`segments` flagged where heard surely in another language than `main` (on enough
        speech, or beside enough speech surely in another language: `beside`, the languages
        of those neighbours); a view that may hold two languages is halved between its
        segments, each half detected on its own (a lone segment: detected on its own)."""
        if not segments or not probabilities:
            return segments
        if switches(probabilities, self.main) or self._continued(probabilities, beside):
            language = max(probabilities, key=probabilities.get)
            if not beside and not self.sure(segments, probabilities):
                return segments
            return [
                dataclasses.replace(s, flags=(*s.flags, FLAG), heard_language=language)
                for s in segments
            ]
        if depth >= _MAX_SPLITS or not self._halved(probabilities, beside):
            return segments
        if len(segments) < 2:
            if depth > 0:
                return segments
            # One segment cannot be halved; its view's language is partly the next view's.
            heard = self.detect(segments[0].start, segments[0].end)
            return self.pieces(segments, heard, beside, _MAX_SPLITS)
        cut = _middle(segments)
        halves = [segments[:cut], segments[cut:]]
        heard = [self.detect(half[0].start, half[-1].end) for half in halves]
        sure = [self.sure(half, p) for half, p in zip(halves, heard, strict=True)]
        return [
            *self.pieces(halves[0], heard[0], beside | {sure[1]} - {""}, depth + 1),
            *self.pieces(halves[1], heard[1], beside | {sure[0]} - {""}, depth + 1),
        ]

    def _continued(self, probabilities: dict[str, float], beside: set[str]) -> bool:
        """Whether a piece beside speech surely in another language is that language's: heard
        likeliest in it, and as surely not in `main` as a switch must be. The language beside
        names which: the rest of the probability may lie with its close neighbours (the last
        3.6 s of 70 s of Spanish, a place and a date, heard as Spanish 0.78, Galician 0.11,
        Basque 0.05, English under 0.01: under the 0.8 a switch needs on its own)."""
        language = max(probabilities, key=probabilities.get)
        main = probabilities.get(self.main, 0.0)
        return (
            language in beside
            and main <= 1.0 - SWITCH_PROBABILITY
            and probabilities[language] - main >= SWITCH_MARGIN
        )

    def _halved(self, probabilities: dict[str, float], beside: set[str]) -> bool:
        if any(p >= _MIXED_PROBABILITY for lang, p in probabilities.items() if lang != self.main):
            return True
        return bool(beside) and probabilities.get(self.main, 0.0) < _SURE_MAIN_PROBABILITY


def _middle(segments: list[Segment]) -> int:
    """The index of the segment that starts nearest the middle of `segments`' time (not 0)."""
    middle = (segments[0].start + segments[-1].end) / 2
    return min(range(1, len(segments)), key=lambda i: abs(segments[i].start - middle))
