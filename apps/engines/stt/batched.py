"""Batched decoding: a window's speech cut into clips of up to 30 s at its silences, several
clips decoded at once (faster-whisper's BatchedInferencePipeline), and what one pass leaves
undone finished in later batches.

On a CPU, one beam search over eight clips costs far less than eight searches one after the
other (the matrix products fill the cores). But the pipeline decodes each clip once: where
Whisper stops before the end of its 30 s (it does, mid-clip, several times in three minutes of
read speech) the rest is lost, and it never falls back to a hotter temperature. So here a clip
whose text ends early while speech goes on is decoded again from its last segment, in the next
batch, and a clip whose text fails Whisper's own checks (it compresses too well, or its tokens
are too unsure) is handed back to be decoded by the ladder, one at a time.
"""

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from apps.core.media import SAMPLE_RATE

from .memory import available_bytes
from .regions import Region, seconds_within

# Whisper sees 30 s at a time. Regions longer than this are split by the VAD.
CLIP_SECONDS = 30.0
# Less speech than this after a clip's last segment is not decoded again (the VAD pads each
# region by 0.4 s, so a clip that reached the last word still shows some "speech" after it).
_LEFT_SECONDS = 1.0
# A stream should hold at least this much speech (a few 30 s views), else fewer streams.
_STREAM_SECONDS = 60.0
# Whisper's checks on a decoded 30 s (faster-whisper's defaults).
_NO_SPEECH_THRESHOLD = 0.6
# On a CPU, batches beyond this gain little and delay the first text and a cancel.
_MAX_CPU_BATCH = 8
_MAX_CUDA_BATCH = 16
# Memory one clip in a batch may take (features, encoder output, beams), with room to spare.
_BYTES_PER_CLIP = 128 * 1024 * 1024


def batch_size(device: str, *, free: int | None = None) -> int:
    """Clips per batch from the device and the memory available."""
    ceiling = _MAX_CUDA_BATCH if device == "cuda" else _MAX_CPU_BATCH
    free = available_bytes() if free is None else free
    if free is None:
        return ceiling
    return max(1, min(ceiling, free // _BYTES_PER_CLIP))


def cpu_threads() -> int:
    """The cores this process may use (a container's limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def streams(regions: list[Region], count: int) -> list[list[Region]]:
    """The window's speech regions in `count` runs of neighbours with about as much speech each
    (fewer where there is little speech: a stream should fill several 30 s views)."""
    total = sum(r.end - r.start for r in regions)
    count = max(1, min(count, math.ceil(total / _STREAM_SECONDS)))
    grouped: list[list[Region]] = [[]]
    done = 0.0
    for region in regions:
        if grouped[-1] and done >= total * len(grouped) / count:
            grouped.append([])
        grouped[-1].append(region)
        done += region.end - region.start
    return [g for g in grouped if g]


@dataclass
class _Stream:
    speech: list[Region]
    reached: float
    found: list = field(default_factory=list)  # faster-whisper segments, or a Region for the ladder

    def next_clip(self) -> Region | None:
        """Up to 30 s of this stream from where its text reached, silence before it skipped
        (as Whisper's own loop takes its next 30 s from where the text ended), ending where a
        speech region ends. Cut at 30 s sharp, a clip ended mid-word: Whisper left out the
        half-heard words at its end and the next clip those at its start ("we are expecting"
        lost between two clips, three times in 12 minutes)."""
        ahead = [r for r in self.speech if r.end > self.reached]
        if not ahead:
            return None
        start = max(self.reached, ahead[0].start)
        ends = [r.end for r in ahead if r.end <= start + CLIP_SECONDS]
        # A region longer than 30 s (the VAD splits them, so only by its padding) is cut.
        return Region(start, ends[-1] if ends else start + CLIP_SECONDS)

    def speech_in(self, span: Region) -> float:
        return seconds_within(self.speech, span.start, span.end)


class BatchedDecoder:
    """Decodes one window's speech as several streams side by side: each round, every stream's
    next 30 s goes into one batch; a stream moves on to where its text ended (as Whisper's own
    loop seeks), so no clip is left half decoded. Yields each stream's results in time order:
    faster-whisper segments (times are the window's), and a Region where Whisper's checks failed
    and the ladder has to decode that stretch one clip at a time.

    `decode(batch)` decodes a list of regions at once and yields faster-whisper segments."""

    def __init__(
        self,
        decode: Callable[[list[Region]], Iterator],
        *,
        size: int,
        log_prob_threshold: float,
        compression_ratio_threshold: float,
        should_stop: Callable[[], bool] = lambda: False,
    ):
        self.decode = decode
        self.size = size
        self.log_prob_threshold = log_prob_threshold
        self.compression_ratio_threshold = compression_ratio_threshold
        self.should_stop = should_stop

    def run(self, speech: list[Region]) -> Iterator:
        pending = [_Stream(group, group[0].start) for group in streams(speech, self.size)]
        while pending:
            batch = [(s, c) for s in pending if (c := s.next_clip()) is not None]
            if batch:
                self._round(batch)
            while pending and pending[0].next_clip() is None:
                yield from pending.pop(0).found
            if self.should_stop():  # between batches: a batch is the longest wait for a cancel
                return

    def _round(self, batch: list[tuple[_Stream, Region]]) -> None:
        found: list[list] = [[] for _ in batch]
        starts = [int(int(c.start * SAMPLE_RATE) / SAMPLE_RATE * 100) for _, c in batch]
        for segment in self.decode([c for _, c in batch]):
            found[_owner(segment.seek, starts)].append(segment)
        for (stream, clip), segments in zip(batch, found, strict=True):
            stream.reached = self._take(stream, clip, segments)

    def _take(self, stream: _Stream, clip: Region, segments: list) -> float:
        """Keeps what a clip gave; returns where the stream goes on from."""
        if not segments:
            return clip.end
        if segments[0].no_speech_prob > _NO_SPEECH_THRESHOLD and (
            segments[0].avg_logprob < self.log_prob_threshold
        ):
            return clip.end  # Whisper's rule: silence, not speech
        if self._fails(segments):
            stream.found.append(clip)
            return clip.end
        stream.found.extend(segments)
        # Whisper drops the text after its last timestamp when the 30 s end mid-sentence: the
        # stream goes on from there, unless the clip gave nothing new (then past it).
        reached = segments[-1].end
        left = stream.speech_in(Region(reached, clip.end))
        return reached if left > _LEFT_SECONDS and reached > clip.start + 1.0 else clip.end

    def _fails(self, segments: list) -> bool:
        from faster_whisper.transcribe import get_compression_ratio

        text = "".join(s.text for s in segments)
        return (
            segments[0].avg_logprob < self.log_prob_threshold
            or get_compression_ratio(text) > self.compression_ratio_threshold
        )


def _owner(seek: int, frames: list[int]) -> int:
    """The clip a segment came from: its seek is its clip's start in 10 ms frames."""
    return int(np.argmin([abs(seek - f) for f in frames]))
