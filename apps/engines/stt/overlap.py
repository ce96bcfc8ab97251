"""Two people talking at once, marked: Whisper writes one voice there (or neither), and the
words of the other are lost. The text cannot show it, so a mark does ("overlap": some words may
be missing), as the faint marks show speech the decoder never heard (faint.py).

pyannote's segmentation-3.0 (engines/analysis/segmentation.py), which the faint marks already
use, gives each 10 ms the probability that two people talk at once; here it runs over the whole
part, its 10 s windows side by side (about 1 CPU s in 4 minutes of audio: 5 % of base's decode
of read speech, 2 % of far-field meetings), and where that probability stays over THRESHOLD for
MIN_MARK_SECONDS the stretch is marked. The speaker analysis marks such stretches with who
talks (apps/analysis); this is for transcripts without it.
"""

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from apps.core.media import SAMPLE_RATE

from .base import Segment
from .faint import frame_runs

# Tuned on the AMI training excerpts and a development file of corpus voices talking over each
# other (docs/benchmarks.md, issue 9, session 33); none on single-speaker recordings.
THRESHOLD = 0.4
MIN_MARK_SECONDS = 0.3
_JOIN_SECONDS = 0.5
# The model's windows every 10 s, not overlapping: the same marks within 0.5 s as every 2.5 s
# (the faint marks' step) on the tuning recordings, at a quarter of the cost.
_STEP_SECONDS = 10.0
_FRAME = 0.01


def overlapped(audio: np.ndarray) -> list[tuple[float, float]]:
    """Where segmentation-3.0 hears two people at once in `audio` (its seconds)."""
    from apps.engines.analysis.segmentation import speech_activity

    if len(audio) < MIN_MARK_SECONDS * SAMPLE_RATE:
        return []
    mask = speech_activity(audio, step=_STEP_SECONDS).overlap > THRESHOLD
    runs = frame_runs(mask, _FRAME, least=MIN_MARK_SECONDS, join=_JOIN_SECONDS)
    return [(round(a * _FRAME, 3), round(b * _FRAME, 3)) for a, b in runs]


def with_overlap_marks(
    events: Iterator,
    audio: np.ndarray,
    offset: float,
    *,
    start: float,
    end: float,
    mark: Callable[[float, float], Segment],
) -> Iterator:
    """`events` (in time order; file seconds) with `mark(start, end)` for each stretch of two
    voices at once in file seconds [start, end) of `audio`, the window that begins at file
    second `offset`. A mark comes just before the first segment that reaches its end, held to
    it (`continues`, as a split segment's first piece is held to the rest): a job resumes after
    the last segment or mark it stored, so neither a stop nor a crash may fall between them (a
    mark after the segment was lost to a job stopped there, the resumed run starting past
    it)."""
    first = int(round((start - offset) * SAMPLE_RATE))
    found = [
        (round(start + a, 3), round(start + b, 3))
        for a, b in overlapped(audio[first : int(round((end - offset) * SAMPLE_RATE))])
    ]
    for event in events:
        reached = getattr(event, "end", None)
        while reached is not None and found and found[0][1] <= reached:
            yield dataclasses.replace(mark(*found.pop(0)), continues=True)
        yield event
    for a, b in found:
        yield mark(a, b)
