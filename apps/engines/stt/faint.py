"""Speech that Whisper's VAD never heard, marked so that none goes missing unseen.

Silero (regions.py) misses quiet, distant and overlapped voices of far-field meetings: on the
AMI tuning excerpts most of the reference speech that got neither a word nor a mark (7.3 of
9.1 %) lay outside every region it found. pyannote's segmentation-3.0
(engines/analysis/segmentation.py), trained on such meetings, hears part of it. It is run only
over the stretches that nothing covers yet (no segment, no mark) and over long pauses between a
segment's words, each with real audio around it for context, and where it hears speech the
stretch is marked "faint": the decoder is not asked (its own VAD skipped that audio, or its
text left it out; text decoded from it would be a guess).

segmentation-3.0 also hears steady noise as speech (room noise, dishes, a running tap): speech
it hears that hardly rises over the noise floor is not marked (`floor_at`, the engine option
`faint_over_floor`, on by default; the floor around the mark with `faint_local_floor`, on by
default too).

With the engine option `faint_decoded` (off by default) the stretch between two segments where
faint speech rises far over the floor (a whisper up close, which Silero barely hears) is decoded
whole instead (`text` of with_faint_marks), its marks kept where no text passes.
"""

import dataclasses
import functools
from collections.abc import Callable, Iterator

import numpy as np

from apps.core.media import SAMPLE_RATE

from .base import Segment
from .loudness import frame_levels
from .silero import SpeechProbabilities

# Speech probability (segmentation-3.0, averaged over its overlapping windows) above which a
# 10 ms frame counts as speech. Tuned on the AMI training excerpts (docs/benchmarks.md): 0.5
# missed more speech, 0.2 marked more seconds where nobody spoke than it found.
THRESHOLD = 0.3
# A mark shorter than this is not kept (a click); pauses shorter than _JOIN_SECONDS inside one
# are bridged. 0.2 (was 0.3) marks the short replies of far-field meetings, with no more marks
# where nobody spoke on the AMI tuning excerpts and none on clean recordings.
MIN_MARK_SECONDS = 0.2
_JOIN_SECONDS = 0.5
# Speech heard only this close to a segment (or to a word, in a pause within a segment) is taken
# for its words' edges (Whisper's timestamps are off by a few hundred ms): on clean recordings,
# marks there were the ends of transcribed words (0.3 s put four on them). Speech that goes on
# past the margin is marked whole, up to the segment.
MARGIN_SECONDS = 0.5
# Context the model sees around a stretch: its windows are 10 s long.
_CONTEXT_SECONDS = 5.0
_STEP_SECONDS = 2.5
# A stretch this quiet (RMS) is silence whatever the model says, and costs no model pass
# (the pauses between sentences of a clean recording).
_SILENT_RMS = 1e-4
# Where Silero's speech probability stays under this over the stretch, segmentation-3.0 found
# no speech either on the AMI training excerpts, and the stretch costs no model pass (half the
# passes on clean recordings: pauses Silero hears as silence).
_SILERO_FLOOR = 0.02
# With `floor_at` (the noise floor), speech heard where the louder tenth of the 10 ms
# levels (90th percentile) stays within this of the floor is taken for the noise itself: on
# room noise and steady recorded noise segmentation-3.0 hears speech in the noise's own
# fluctuation (6-14 dB over the floor), far-field meeting speech it marks rises 27-48 dB above
# it (docs/benchmarks.md, issue 9, session 31 "faint marks over noise").
OVER_FLOOR_DB = 18.0


def faint_speech(
    audio: np.ndarray,
    start: float,
    end: float,
    *,
    lead: float = 0.0,
    trail: float = 0.0,
    silero: SpeechProbabilities | None = None,
    floor_at: Callable[[float], float] | None = None,
) -> list[tuple[float, float]]:
    """Where segmentation-3.0 hears speech in `audio`'s seconds [start, end), for at least
    MIN_MARK_SECONDS of it inside [start + lead, end - trail]: speech heard only in those
    margins is not kept, speech that reaches into them is kept whole. `silero`: `audio`'s
    speech probabilities, where they are at hand; `floor_at`: its noise floor (the level of
    its quieter 10 ms) at a second of `audio`, speech heard no more than OVER_FLOOR_DB above
    the floor at its middle not kept."""
    from apps.engines.analysis.segmentation import speech_activity

    inner = audio[int((start + lead) * SAMPLE_RATE) : int((end - trail) * SAMPLE_RATE)]
    if len(inner) < MIN_MARK_SECONDS * SAMPLE_RATE or _rms(inner) < _SILENT_RMS:
        return []
    if silero is not None and silero.peak(start + lead, end - trail) < _SILERO_FLOOR:
        return []
    middle = (start + end) / 2
    lo = max(0.0, min(start, middle - _CONTEXT_SECONDS))
    hi = min(len(audio) / SAMPLE_RATE, max(end, middle + _CONTEXT_SECONDS))
    activity = speech_activity(
        audio[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)], step=_STEP_SECONDS
    )
    frame = 0.01
    a, b = round((start - lo) / frame), round((end - lo) / frame)
    first, last = round(lead / frame), b - a - round(trail / frame)
    return [
        (round(float(lo + (a + x) * frame), 3), round(float(lo + (a + y) * frame), 3))
        for x, y in frame_runs(activity.speech[a:b] > THRESHOLD, frame)
        if (min(y, last) - max(x, first)) * frame >= MIN_MARK_SECONDS
        and (
            floor_at is None
            or _over_floor(audio, lo + (a + x) * frame, lo + (a + y) * frame, floor_at)
        )
    ]


def faint_seconds(
    audio: np.ndarray, start: float, end: float, *, silero: SpeechProbabilities | None = None
) -> float:
    """Seconds of `audio`'s [start, end) where segmentation-3.0 hears speech (as faint_speech
    marks it, no margins)."""
    return sum(
        min(b, end) - max(a, start) for a, b in faint_speech(audio, start, end, silero=silero)
    )


def with_faint_marks(
    events: Iterator,
    audio: np.ndarray,
    offset: float,
    *,
    start: float,
    end: float,
    mark: Callable[[float, float], Segment],
    silero: SpeechProbabilities | None = None,
    floor_at: Callable[[float], float] | None = None,
    text: Callable[[float, float, list], list] | None = None,
) -> Iterator:
    """`events` (in time order; file seconds) with `mark(start, end)` put where faint speech
    lies between segments and marks, from file second `start` to `end`, and in long pauses
    between a segment's words (just before that segment, held to it: `continues`). `audio` is
    the window that begins at file second `offset`; `silero`, its speech probabilities where
    they are at hand; `floor_at`, its noise floor at a window second where speech at the floor
    is not to be marked (faint_speech); `text(start, end, runs)`, where given, the text to put
    instead of the marks `runs` of a stretch [start, end) between segments (none: the marks; a
    pause within a segment keeps its marks, text there would lie inside the segment)."""
    marks = functools.partial(_marks, audio, offset, mark=mark, silero=silero, floor_at=floor_at)
    reached, lead = start, 0.0
    for event in events:
        if hasattr(event, "end"):
            yield from marks(reached, event.start, lead=lead, trail=MARGIN_SECONDS, text=text)
            reached, lead = max(reached, event.end), MARGIN_SECONDS
        # Marks within a segment come just before it, held to it: a job resumes after the last
        # segment or mark it stored, and one stopped between the segment and a mark after it
        # never made the mark.
        for a, b in _pauses(event):
            for found in marks(a, b, lead=MARGIN_SECONDS, trail=MARGIN_SECONDS):
                yield dataclasses.replace(found, continues=True)
        yield event
    yield from marks(reached, end, lead=lead, trail=0.0, text=text)


def _pauses(event) -> Iterator[tuple[float, float]]:
    """Pauses between a segment's words long enough to hold a mark past both margins: on
    far-field meetings, a word or two the decoder left out there, or another voice."""
    words = getattr(event, "words", ())
    for before, after in zip(words, words[1:], strict=False):
        if after.start - before.end >= 2 * MARGIN_SECONDS + MIN_MARK_SECONDS:
            yield before.end, after.start


def _marks(
    audio,
    offset: float,
    start: float,
    end: float,
    *,
    mark,
    lead,
    trail,
    silero,
    floor_at,
    text=None,
):
    if end - start - lead - trail < MIN_MARK_SECONDS:
        return
    found = faint_speech(
        audio,
        start - offset,
        end - offset,
        lead=lead,
        trail=trail,
        silero=silero,
        floor_at=floor_at,
    )
    runs = [(offset + a, offset + b) for a, b in found]
    # The whole stretch is decoded: the detector hears only part of a whisper (1 s of 5).
    said = text(start, end, runs) if text is not None and runs else []
    yield from said or [mark(a, b) for a, b in runs]


def frame_runs(
    mask: np.ndarray, frame: float, *, least: float = MIN_MARK_SECONDS, join: float = _JOIN_SECONDS
) -> list[tuple[int, int]]:
    """Runs (first, end frame) of True frames `frame` seconds long, pauses under `join` seconds
    bridged, runs under `least` seconds dropped."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    runs: list[list[int]] = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if runs and (a - runs[-1][1]) * frame < join:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(int(a), int(b)) for a, b in runs if (b - a) * frame >= least]


def rise_over_floor(audio: np.ndarray, start: float, end: float, floor_at) -> float:
    """How far (dB) the louder tenth of `audio`'s [start, end) rises over the noise floor at
    its middle."""
    return _loud_db(audio, start, end) - floor_at((start + end) / 2)


def _over_floor(audio: np.ndarray, start: float, end: float, floor_at) -> bool:
    """Whether the louder tenth of `audio`'s [start, end) rises OVER_FLOOR_DB or more over the
    noise floor at its middle."""
    return _loud_db(audio, start, end) >= floor_at((start + end) / 2) + OVER_FLOOR_DB


def _loud_db(audio: np.ndarray, start: float, end: float) -> float:
    """The level of the louder tenth (90th percentile) of `audio`'s 10 ms in [start, end)."""
    levels = frame_levels(audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)])
    return float(np.percentile(levels, 90)) if len(levels) else -120.0


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
