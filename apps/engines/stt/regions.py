"""Where a window has speech, in which language, and what the decoder left out of it.

Whisper asked for one language transcribes everything in it: German speech after English comes
out as an English paraphrase or not at all, and a stretch the decoder skips leaves no trace. So
the window's speech regions (Silero VAD, set more sensitive than the decoder's own filter) are
grouped into blocks of up to 30 s, the language of each block is detected, neighbouring blocks of
one language become one part decoded in that language, and every region no segment covers is
decoded again on its own or comes back as a marked gap.

A part leaves the recording's main language only on a sure, sustained detection: far-field
English is often heard as Welsh (AMI trn08: "cy" at 0.69 on 17 s of speech, English 0.29), and a
part decoded in the wrong language comes out as invented words with no timing.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from apps.core.media import SAMPLE_RATE

from .silero import SpeechProbabilities

# Silero VAD settings for finding speech (language blocks, speech left without text), tuned for
# far-field meeting audio against AMI excerpts with reference speech times (docs/benchmarks.md,
# "Speech that reaches the transcript"). faster-whisper's defaults (threshold 0.5, 2 s silence,
# 400 ms pad), which the decoder keeps, drop quiet distant speakers.
VAD_PARAMETERS = {
    "threshold": 0.35,
    "min_silence_duration_ms": 1000,
    "speech_pad_ms": 400,
}
# Whisper sees 30 s at a time: a block for language detection fits in one such view.
_BLOCK_SECONDS = 30.0
# A block is sure of its language when detection gives it this much on this much speech; an
# unsure block (a cough, a name, a short reply) keeps the language of the block before it.
_SURE_PROBABILITY = 0.7
SURE_SPEECH_SECONDS = 3.0
# Leaving the main language asks more: this probability, and this much more than the main
# language's in the same audio. On the AMI training excerpts (far-field English) the most a
# wrong language reached was 0.69 (Welsh, English 0.29 beside it); real German after English
# in the shared corpus is heard at 0.995 or more, English at 0.002 or less (docs/benchmarks.md,
# issue 9, "Session 28").
SWITCH_PROBABILITY = 0.8
SWITCH_MARGIN = 0.7
# A block detection is less sure of than this is halved and each half detected on its own (a
# language change inside it), down to pieces of _MIN_PIECE_SECONDS.
_SURE_BLOCK_PROBABILITY = 0.95
_MAX_SPLITS = 2
_MIN_PIECE_SECONDS = 3.0
# Quiet, where audio is cut (windows, lanes, halves): 100 ms frames within 10 dB of the
# quietest one are one pause (background noise varies a little); digital silence (energy 0)
# counts as quiet beside anything under -100 dB.
PAUSE_FRAME = SAMPLE_RATE // 10
_QUIET_RATIO = 10.0
_SILENT_ENERGY = 1e-10
# Where a piece is halved: in the pause nearest its middle, a quiet run at least
# _MIN_PAUSE_SECONDS long (a pause between phrases, not the closure of a "t"); the quietest
# frame where none is that long. Cut at the quietest frame anywhere, a piece was halved at its
# first pause: 17 s of English then 5 s of Japanese were cut at 3.2 s, then again at 3.2 s into
# the rest, and the last 11 s of English went to the Japanese part (three sentences written in
# katakana; unseen set 3, docs/benchmarks.md).
_MIN_PAUSE_SECONDS = 0.3
# Speech shorter than this left without text is not worth a mark (a breath, "mm").
MIN_GAP_SECONDS = 1.0
# Regions left without text closer together than this become one mark.
_GAP_JOIN_SECONDS = 2.0


@dataclass(frozen=True)
class Region:
    """Seconds from the start of the audio it was found in."""

    start: float
    end: float


@dataclass(frozen=True)
class Part:
    """A stretch of a window decoded in one language; parts cover the window end to end."""

    start: float
    end: float
    language: str | None
    probability: float


@dataclass(frozen=True)
class WindowLanguages:
    """The window's main language (its speech's, weighted by seconds; or the recording's, when
    known from an earlier window), how sure detection is of it, and the window's parts."""

    main: str | None
    probability: float
    parts: list[Part]


# Detection: the probability of each language in some audio, the likeliest first.
Detect = Callable[[np.ndarray], dict[str, float]]


def switches(probabilities: dict[str, float], main: str | None) -> bool:
    """Whether detection heard another language than `main` surely enough to decode it so."""
    language, probability = _top(probabilities)
    return (
        main is not None
        and language != main
        and probability >= SWITCH_PROBABILITY
        and probability - probabilities.get(main, 0.0) >= SWITCH_MARGIN
    )


def _top(probabilities: dict[str, float]) -> tuple[str, float]:
    return max(probabilities.items(), key=lambda item: item[1])


def speech_regions(audio: np.ndarray | SpeechProbabilities, vad: dict) -> list[Region]:
    """Speech in `audio` (or in the audio whose probabilities are given) by `vad`'s settings."""
    from faster_whisper.vad import VadOptions

    probabilities = audio if isinstance(audio, SpeechProbabilities) else SpeechProbabilities(audio)
    found = probabilities.chunks(VadOptions(**vad))
    return [Region(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in found]


def speech_heard(probabilities: SpeechProbabilities, vad: dict) -> list[Region]:
    """The speech `speech_regions` pads, as the VAD heard it: without the padding, and to where
    the probability fell at the audio's end (SpeechProbabilities.unpadded)."""
    from faster_whisper.vad import VadOptions

    found = probabilities.unpadded(VadOptions(**vad))
    return [Region(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in found]


def ended(regions: list[Region], heard: list[Region], pad: float) -> list[Region]:
    """`regions` with a last one that the audio's end left open ended `pad` seconds after the
    speech `heard` (`speech_heard`), as the VAD pads speech elsewhere. Silero ends speech only
    after its minimum silence (1 s here); audio that ends sooner after the last word kept the
    region to its last sample, and the quiet after the last word was taken for speech
    without text: false "no text" marks at the end of clean readings (docs/benchmarks.md,
    issue 9, session 30)."""
    if not regions or not heard:
        return regions
    last = regions[-1]
    end = max(last.start, min(last.end, heard[-1].end + pad))
    return [*regions[:-1], Region(last.start, end)]


def blocks(regions: list[Region]) -> list[list[Region]]:
    """Consecutive regions grouped so that each group spans at most 30 s (a longer region alone)."""
    grouped: list[list[Region]] = []
    for region in regions:
        if grouped and region.end - grouped[-1][0].start <= _BLOCK_SECONDS:
            grouped[-1].append(region)
        else:
            grouped.append([region])
    return grouped


@dataclass(frozen=True)
class _Piece:
    start: float
    end: float
    speech: float  # seconds of VAD speech inside
    probabilities: dict = field(default_factory=dict)

    @property
    def language(self) -> str:
        return _top(self.probabilities)[0] if self.probabilities else ""

    @property
    def probability(self) -> float:
        return _top(self.probabilities)[1] if self.probabilities else 0.0


def language_parts(
    audio: np.ndarray, regions: list[Region], detect: Detect, *, main: str | None = None
) -> WindowLanguages:
    """The window cut into parts of one language each: between blocks in their silence, inside
    a block (where detection was unsure of the whole) at its quietest moment near the middle.
    `main` is the recording's language where an earlier window found it; else the window's
    speech gives it."""
    duration = len(audio) / SAMPLE_RATE
    whole = [_Piece(group[0].start, group[-1].end, _speech(group)) for group in blocks(regions)]
    whole = [_language_of(audio, piece, detect) for piece in whole]
    if not whole:
        return WindowLanguages(main, 0.0, [Part(0.0, duration, None, 0.0)])
    known = main
    main, probability = _main(whole, main)
    pieces = [p for piece in whole for p in _refined(audio, piece, regions, detect, depth=0)]
    languages = _settled(pieces, main)
    if known is None:
        main, probability = _most_spoken(pieces, languages, (main, probability))
    return WindowLanguages(main, probability, _joined(pieces, languages, duration))


def _most_spoken(
    pieces: list[_Piece], languages: list[str], heard: tuple[str, float]
) -> tuple[str, float]:
    """The language most of the speech was settled in, with how sure detection was of it in
    those pieces (weighted by their speech); `heard` (the blocks' main language) where that is
    the one. Detection of a whole block is pulled to the language it hears best: 17 s of
    English before 5 s of Japanese were heard as Japanese at 0.82, and the transcript was
    labelled Japanese (unseen set 3)."""
    speech: dict[str, float] = {}
    for piece, language in zip(pieces, languages, strict=True):
        speech[language] = speech.get(language, 0.0) + piece.speech
    language = max(speech, key=speech.__getitem__)
    if language == heard[0] or not speech[language]:
        return heard
    sure = sum(
        p.speech * p.probabilities.get(language, 0.0)
        for p, settled in zip(pieces, languages, strict=True)
        if settled == language
    )
    return language, sure / speech[language]


def _joined(pieces: list[_Piece], languages: list[str], duration: float) -> list[Part]:
    """Neighbouring pieces of one language as one part, each with the likeliest its language
    was heard in one of them."""
    parts: list[Part] = []
    for piece, language in zip(pieces, languages, strict=True):
        heard = piece.probabilities.get(language, 0.0)
        if parts and language == parts[-1].language:
            probability = max(parts[-1].probability, heard)
            parts[-1] = Part(parts[-1].start, piece.end, language, probability)
            continue
        if parts:  # the cut goes midway through the silence between the pieces
            cut = (parts[-1].end + piece.start) / 2
            parts[-1] = Part(parts[-1].start, cut, parts[-1].language, parts[-1].probability)
        parts.append(Part(parts[-1].end if parts else 0.0, piece.end, language, heard))
    parts[-1] = Part(parts[-1].start, duration, parts[-1].language, parts[-1].probability)
    return parts


def _main(whole: list[_Piece], known: str | None) -> tuple[str, float]:
    """The main language (`known`, else the likeliest over the blocks, weighted by their
    speech) and its probability over the blocks."""
    weights = sum(p.speech for p in whole) or 1.0
    mean: dict[str, float] = {}
    for piece in whole:
        for language, probability in piece.probabilities.items():
            mean[language] = mean.get(language, 0.0) + probability * piece.speech / weights
    main = known or _top(mean)[0]
    return main, mean.get(main, 0.0)


def _refined(audio, piece: _Piece, regions, detect, depth: int) -> list[_Piece]:
    """A piece whose language is known: halved (twice at most) while detection is unsure of it,
    so a block where the language changes is found out without detecting every short region.
    Where both halves are heard in the piece's own language, nothing changes inside it: halving
    on would only spend an encoder pass per quarter (far-field English is rarely 95 % sure;
    seven detections per 30 s block made detection the larger part of a far-field
    transcription)."""
    if _settled_piece(piece, depth):
        return [piece]
    halves = [_language_of(audio, half, detect) for half in _halves(audio, piece, regions)]
    if all(h.language == piece.language for h in halves):
        return [piece]
    return [p for half in halves for p in _refined(audio, half, regions, detect, depth + 1)]


def _settled_piece(piece: _Piece, depth: int) -> bool:
    return (
        piece.probability >= _SURE_BLOCK_PROBABILITY
        or depth >= _MAX_SPLITS
        or piece.end - piece.start < 2 * _MIN_PIECE_SECONDS
    )


def _language_of(audio, piece: _Piece, detect) -> _Piece:
    samples = audio[int(piece.start * SAMPLE_RATE) : int(piece.end * SAMPLE_RATE)]
    return _Piece(piece.start, piece.end, piece.speech, detect(samples))


def _halves(audio, piece: _Piece, regions) -> list[_Piece]:
    """`piece` cut in two in the pause nearest its middle, each with its speech."""
    samples = audio[int(piece.start * SAMPLE_RATE) : int(piece.end * SAMPLE_RATE)]
    middle = _pause_near_middle(samples, _MIN_PIECE_SECONDS) / SAMPLE_RATE + piece.start
    return [
        _Piece(a, b, seconds_within(regions, a, b))
        for a, b in ((piece.start, middle), (middle, piece.end))
    ]


def _pause_near_middle(samples: np.ndarray, margin: float) -> int:
    """The sample in the middle of the pause nearest the middle of `samples` (the quietest
    100 ms where no pause is long enough), at least `margin` seconds from each end."""
    frame = PAUSE_FRAME
    first = int(margin * SAMPLE_RATE) // frame
    last = (len(samples) - int(margin * SAMPLE_RATE)) // frame
    if last <= first:  # a piece of just twice the margin (its seconds rounded down to samples)
        return len(samples) // 2
    energy, runs = quiet_runs(samples[first * frame : last * frame])
    pauses = [(a, n) for a, n in runs if n * frame >= _MIN_PAUSE_SECONDS * SAMPLE_RATE]
    if not pauses:
        return (first + int(np.argmin(energy))) * frame + frame // 2
    middle = len(samples) / 2
    centres = [(first + a) * frame + n * frame // 2 for a, n in pauses]
    return min(centres, key=lambda centre: abs(centre - middle))


def quiet_runs(samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The energy of each whole PAUSE_FRAME of `samples` (at least one), and (first frame,
    length) of each run of quiet frames: within 10 dB of the quietest, so never none."""
    frames = len(samples) // PAUSE_FRAME
    energy = (samples[: frames * PAUSE_FRAME].reshape(frames, PAUSE_FRAME) ** 2).mean(axis=1)
    quiet = energy <= energy.min() * _QUIET_RATIO + _SILENT_ENERGY
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    return energy, [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _settled(pieces: list[_Piece], main: str) -> list[str]:
    """Each piece's language: its own where detection is sure of it on enough speech (another
    than `main` surer still, see `switches`), else that of the nearest sure piece before it
    (after it, for the first ones); `main` where none is sure. Before, with none sure, the
    likeliest language of the most speech won: on AMI trn08 a Welsh half (0.55 on 10 s) over
    an English one (0.55 on 7 s), though the whole block was heard as English."""
    sure = [_sure(p, main) for p in pieces]
    if not any(sure):
        return [main] * len(pieces)
    languages, current = [], pieces[sure.index(True)].language
    for piece, is_sure in zip(pieces, sure, strict=True):
        current = piece.language if is_sure else current
        languages.append(current)
    return languages


def _sure(piece: _Piece, main: str) -> bool:
    if piece.speech < SURE_SPEECH_SECONDS:
        return False
    if piece.language == main:
        return piece.probability >= _SURE_PROBABILITY
    return switches(piece.probabilities, main)


def within(regions: list[Region], start: float, end: float) -> list[Region]:
    """What of `regions` lies in [start, end). A part cut inside a block at its quietest moment
    can cut through a region (pauses under a second are bridged): each part then answers for
    its own side only. Given whole to the part it starts in, the region's other side was checked
    against that part's text alone and marked "no text" though the next part had transcribed
    it (French, then Russian after a 0.6 s pause: 2.2 s marked over Russian words)."""
    return [
        Region(max(r.start, start), min(r.end, end))
        for r in regions
        if r.start < end and r.end > start
    ]


def seconds_within(regions: Iterable[Region], start: float, end: float) -> float:
    """Seconds of [start, end) inside `regions` (apart from one another)."""
    return sum(max(0.0, min(end, r.end) - max(start, r.start)) for r in regions)


def _speech(group: list[Region]) -> float:
    return sum(r.end - r.start for r in group)


def uncovered(
    segments: Iterable,
    regions: list[Region],
    gap: Callable[[float, float], Iterable],
    *,
    whole: bool = False,
) -> Iterator:
    """`segments` (in time order, with `.start` and `.end`) with `gap(start, end)`'s items put
    where speech regions got no segment: every second of speech ends up transcribed or marked.
    A segment that is itself a mark (`untranscribed`) covers its stretch too. With `whole`, a
    region any segment touches is covered whole: a translation's segments say a sentence in
    fewer words and end before its speech does."""
    pending = list(regions)
    left: list[Region] = []  # speech without text since the last segment

    def leave(region: Region) -> Iterator:
        if left and region.start - left[-1].end > _GAP_JOIN_SECONDS:
            yield from close()
        left.append(region)

    def close() -> Iterator:
        if sum(r.end - r.start for r in left) >= MIN_GAP_SECONDS:
            yield from gap(left[0].start, left[-1].end)
        left.clear()

    for segment in segments:
        if not hasattr(segment, "end"):  # another event of the stream (a language detected)
            yield segment
            continue
        while pending and pending[0].start < segment.end:
            region = pending.pop(0)
            if whole and region.end > segment.start:
                continue
            if region.start < segment.start:
                yield from leave(Region(region.start, min(region.end, segment.start)))
            if region.end > segment.end:  # the rest of the region is after the segment
                pending.insert(0, Region(segment.end, region.end))
                break
        yield from close()
        yield segment
    for region in pending:
        yield from leave(region)
    yield from close()
