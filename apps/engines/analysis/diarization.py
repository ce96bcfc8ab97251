"""Who spoke when, from the audio alone: speech regions -> windows -> voice embeddings -> clusters.

1. Silero VAD (bundled with faster-whisper) with a short minimum silence, so turns split at
   pauses of a fifth of a second instead of its ASR default of two seconds.
2. Each region is cut into 1.5 s windows every 0.75 s (a shorter region is one window).
3. Each window gets a voice embedding from `embedder` (any `embed(audio16k) -> vector`).
4. Windows are clustered (count given: spectral; "auto": threshold, capped).
5. Every 10 ms of speech takes the label of the window centred nearest to it, and runs of one
   label become `SpeakerTurn`s. Overlapping speech is not separated.
"""

from dataclasses import dataclass

import numpy as np

from .base import SpeakerTurn
from .clustering import DEFAULT_THRESHOLD, centroids_of, cluster
from .embedding import SAMPLE_RATE, Embedder, embed_many, normalize_volume

_FRAME = 0.01
# Windows embedded per call, so memory stays flat on long recordings.
_BATCH = 64


@dataclass(frozen=True)
class DiarizationOptions:
    window: float = 1.5  # seconds of audio per embedding
    hop: float = 0.75
    min_window: float = 0.4  # shorter speech regions borrow a neighbour's label
    min_silence_ms: int = 200
    speech_pad_ms: int = 50
    threshold: float = DEFAULT_THRESHOLD  # "auto" speaker count: cosine similarity to merge


@dataclass(frozen=True)
class SpeakerTimeline:
    turns: tuple[SpeakerTurn, ...]
    # label -> L2-normalised mean embedding of its windows
    centroids: dict[str, np.ndarray]


def diarize_audio(
    audio: np.ndarray,
    *,
    embedder: Embedder,
    num_speakers: int | None = None,
    max_speakers: int = 8,
    options: DiarizationOptions = DiarizationOptions(),
) -> SpeakerTimeline:
    """Speaker turns and voice centroids of 16 kHz mono float32 `audio`."""
    duration = len(audio) / SAMPLE_RATE
    regions = speech_regions(audio, options) or ([(0.0, duration)] if duration else [])
    spans = windows(regions, options)
    if not spans:
        return SpeakerTimeline((), {})
    audio = normalize_volume(audio)
    clips = [audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in spans]
    embeddings = np.concatenate(
        [embed_many(embedder, clips[i : i + _BATCH]) for i in range(0, len(clips), _BATCH)]
    )
    labels = cluster(
        embeddings,
        num_speakers=num_speakers,
        max_speakers=max_speakers,
        threshold=options.threshold,
    )
    turns = _turns(regions, spans, labels)
    names = _names_by_first_turn(turns)
    used = sorted(names)
    centroids = centroids_of(embeddings, labels, used)
    return SpeakerTimeline(
        turns=tuple(SpeakerTurn(names[label], start, end) for label, start, end in turns),
        centroids={names[label]: centroids[i] for i, label in enumerate(used)},
    )


def speech_regions(audio: np.ndarray, options: DiarizationOptions) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        min_speech_duration_ms=100,
    )
    return [
        (c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE)
        for c in get_speech_timestamps(audio, vad)
    ]


def windows(
    regions: list[tuple[float, float]], options: DiarizationOptions
) -> list[tuple[float, float]]:
    spans = []
    for start, end in regions:
        if end - start < options.min_window:
            continue
        if end - start <= options.window:
            spans.append((start, end))
            continue
        count = int(np.ceil((end - start - options.window) / options.hop)) + 1
        for i in range(count):
            # The last window is pulled back to end with the region, so none runs past it.
            s = min(start + i * options.hop, end - options.window)
            spans.append((s, s + options.window))
    if not spans and regions:  # only short bursts: embed the longest
        spans.append(max(regions, key=lambda r: r[1] - r[0]))
    return spans


def _turns(regions, spans, labels) -> list[tuple[int, float, float]]:
    """(label, start, end) runs, each 10 ms of speech labelled by the nearest window centre."""
    centres = np.array([(s + e) / 2 for s, e in spans])
    turns: list[tuple[int, float, float]] = []
    for start, end in regions:
        frames = np.arange(start, end, _FRAME) + _FRAME / 2
        if not len(frames):
            continue
        frame_labels = labels[np.argmin(np.abs(frames[:, None] - centres[None, :]), axis=1)]
        change = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *change.tolist(), len(frames)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            turn_start = start if a == 0 else start + a * _FRAME
            turn_end = end if b == len(frames) else start + b * _FRAME
            turns.append((int(frame_labels[a]), round(turn_start, 3), round(turn_end, 3)))
    return turns


def _names_by_first_turn(turns) -> dict[int, str]:
    names: dict[int, str] = {}
    for label, _, _ in turns:
        if label not in names:
            names[label] = f"SPEAKER_{len(names):02d}"
    return names
