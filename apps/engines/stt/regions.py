"""Where a window has speech, in which language, and what the decoder left out of it.

Whisper asked for one language transcribes everything in it: German speech after English comes
out as an English paraphrase or not at all, and a stretch the decoder skips leaves no trace. So
the window's speech regions (Silero VAD, set more sensitive than the decoder's own filter) are
grouped into blocks of up to 30 s, the language of each block is detected, neighbouring blocks of
one language become one part decoded in that language, and every region no segment covers is
decoded again on its own or comes back as a marked gap.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

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
# A block changes the language only when detection is this sure on this much speech; an unsure
# block (a cough, a name, a short reply) keeps the language of the block before it.
_SWITCH_PROBABILITY = 0.7
SURE_SPEECH_SECONDS = 3.0
# A block detection is less sure of than this is halved and each half detected on its own (a
# language change inside it), down to pieces of _MIN_PIECE_SECONDS.
_SURE_BLOCK_PROBABILITY = 0.95
_MAX_SPLITS = 2
_MIN_PIECE_SECONDS = 3.0
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


def speech_regions(audio: np.ndarray | SpeechProbabilities, vad: dict) -> list[Region]:
    """Speech in `audio` (or in the audio whose probabilities are given) by `vad`'s settings."""
    from faster_whisper.vad import VadOptions

    probabilities = audio if isinstance(audio, SpeechProbabilities) else SpeechProbabilities(audio)
    found = probabilities.chunks(VadOptions(**vad))
    return [Region(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in found]


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
    language: str = ""
    probability: float = 0.0


def language_parts(
    audio: np.ndarray, regions: list[Region], detect: Callable[[np.ndarray], tuple[str, float]]
) -> list[Part]:
    """The window cut into parts of one language each: between blocks in their silence, inside
    a block (where detection was unsure of the whole) at its quietest moment near the middle.
    `detect(samples)` gives the language of some audio and its probability."""
    duration = len(audio) / SAMPLE_RATE
    pieces = [
        piece
        for group in blocks(regions)
        for piece in _detected(
            audio, _Piece(group[0].start, group[-1].end, _speech(group)), regions, detect, depth=0
        )
    ]
    if not pieces:
        return [Part(0.0, duration, None, 0.0)]
    parts: list[Part] = []
    for piece, language in zip(pieces, _settled(pieces), strict=True):
        if parts and language == parts[-1].language:
            probability = max(parts[-1].probability, piece.probability)
            parts[-1] = Part(parts[-1].start, piece.end, language, probability)
            continue
        if parts:  # the cut goes midway through the silence between the pieces
            cut = (parts[-1].end + piece.start) / 2
            parts[-1] = Part(parts[-1].start, cut, parts[-1].language, parts[-1].probability)
        parts.append(Part(parts[-1].end if parts else 0.0, piece.end, language, piece.probability))
    parts[-1] = Part(parts[-1].start, duration, parts[-1].language, parts[-1].probability)
    return parts


def _detected(audio, piece: _Piece, regions, detect, *, depth: int) -> list[_Piece]:
    """`piece` with its language; halved (twice at most) while detection is unsure of it, so a
    block where the language changes is found out without detecting every short region. Where
    both halves are heard in the piece's own language, nothing changes inside it: halving on
    would only spend an encoder pass per quarter (far-field English is rarely 95 % sure; seven
    detections per 30 s block made detection the larger part of a far-field transcription)."""
    return _refined(audio, _language_of(audio, piece, detect), regions, detect, depth)


def _refined(audio, piece: _Piece, regions, detect, depth: int) -> list[_Piece]:
    """A half whose language is known: halved again while unsure (see _detected)."""
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
    language, probability = detect(samples)
    return _Piece(piece.start, piece.end, piece.speech, language, probability)


def _halves(audio, piece: _Piece, regions) -> list[_Piece]:
    """`piece` cut in two at its quietest moment near the middle, each with its speech."""
    samples = audio[int(piece.start * SAMPLE_RATE) : int(piece.end * SAMPLE_RATE)]
    middle = _quietest(samples, _MIN_PIECE_SECONDS) / SAMPLE_RATE + piece.start
    return [
        _Piece(a, b, sum(max(0.0, min(b, r.end) - max(a, r.start)) for r in regions))
        for a, b in ((piece.start, middle), (middle, piece.end))
    ]


def _quietest(samples: np.ndarray, margin: float) -> int:
    """The sample at the quietest 100 ms of `samples`, at least `margin` seconds from each end."""
    frame = SAMPLE_RATE // 10
    first, last = (
        int(margin * SAMPLE_RATE) // frame,
        (len(samples) - int(margin * SAMPLE_RATE)) // frame,
    )
    frames = samples[: (len(samples) // frame) * frame].reshape(-1, frame)
    energy = (frames[first:last] ** 2).mean(axis=1)
    return (first + int(np.argmin(energy))) * frame + frame // 2


def _settled(pieces: list[_Piece]) -> list[str]:
    """Each piece's language: its own where detection is sure on enough speech, else that of
    the nearest sure piece before it (after it, for the first ones)."""
    sure = [
        p.probability >= _SWITCH_PROBABILITY and p.speech >= SURE_SPEECH_SECONDS for p in pieces
    ]
    if not any(sure):  # nothing sure: the most likely language of the most speech
        return [max(pieces, key=lambda p: p.speech * p.probability).language] * len(pieces)
    languages, current = [], pieces[sure.index(True)].language
    for piece, is_sure in zip(pieces, sure, strict=True):
        current = piece.language if is_sure else current
        languages.append(current)
    return languages


def _speech(group: list[Region]) -> float:
    return sum(r.end - r.start for r in group)


def uncovered(
    segments: Iterable, regions: list[Region], gap: Callable[[float, float], Iterable]
) -> Iterator:
    """`segments` (in time order, with `.start` and `.end`) with `gap(start, end)`'s items put
    where speech regions got no segment: every second of speech ends up transcribed or marked.
    A segment that is itself a mark (`untranscribed`) covers its stretch too."""
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
