"""From speaker turns to a speaker-labelled transcript, per-speaker figures and voice profiles."""

import bisect
from dataclasses import replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..stt.base import Segment, Word
from .base import Speaker, SpeakerSegment, SpeakerTurn, Transcript, VoiceProfile

# Cosine similarity between a speaker's centroid in a recording and a saved profile above which
# the voice is taken as the profile's. Resemblyzer: same voice across recordings 0.87–0.95,
# different voices 0.42–0.79 on the corpus.
DEFAULT_PROFILE_THRESHOLD = 0.84


def label_segments(
    transcript: Transcript, turns: tuple[SpeakerTurn, ...]
) -> tuple[SpeakerSegment, ...]:
    """Each segment with its speaker; a segment spanning a change is split at the word.

    A word belongs to the speaker whose turn holds its middle (the nearest turn when it falls in
    a pause): the turns come from the audio, so the text follows them, not the other way round."""
    labelled: list[SpeakerSegment] = []
    timeline = _Timeline(turns)
    for segment in transcript.segments:
        if not segment.words:
            labelled.append(SpeakerSegment(_speaker_at(turns, segment.start, segment.end), segment))
            continue
        speakers = _smoothed([timeline.at((w.start + w.end) / 2) for w in segment.words])
        labelled.extend(_split(segment, speakers))
    return tuple(labelled)


class _Timeline:
    """Who speaks at a moment, by binary search over the turns (sorted by start)."""

    def __init__(self, turns: tuple[SpeakerTurn, ...]):
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]

    def at(self, moment: float) -> str:
        if not self.turns:
            return "SPEAKER_00"
        i = bisect.bisect_right(self.starts, moment)
        # The turn starting at or before the moment holds it, or the nearer of it and the next.
        candidates = self.turns[max(0, i - 1) : i + 1]
        return min(candidates, key=lambda t: max(t.start - moment, moment - t.end, 0.0)).speaker


def _speaker_at(turns: tuple[SpeakerTurn, ...], start: float, end: float) -> str:
    """The speaker talking most during [start, end]; the nearest one when nobody is."""
    if not turns:
        return "SPEAKER_00"
    overlap: dict[str, float] = {}
    for turn in turns:
        shared = min(end, turn.end) - max(start, turn.start)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    if overlap:
        return max(overlap, key=overlap.__getitem__)
    middle = (start + end) / 2
    return min(turns, key=lambda t: max(t.start - middle, middle - t.end)).speaker


def _smoothed(speakers: list[str]) -> list[str]:
    """A lone word whose neighbours agree on another speaker takes theirs: word timestamps are
    approximate, and a one-word flip inside a segment is far likelier an error than a turn."""
    out = list(speakers)
    for i in range(1, len(out) - 1):
        if out[i - 1] == out[i + 1] != out[i]:
            out[i] = out[i - 1]
    return out


def _split(segment: Segment, speakers: list[str]) -> list[SpeakerSegment]:
    pieces: list[SpeakerSegment] = []
    start = 0
    for i in range(1, len(speakers) + 1):
        if i == len(speakers) or speakers[i] != speakers[start]:
            words = segment.words[start:i]
            piece = segment if len(words) == len(segment.words) else _sub_segment(segment, words)
            pieces.append(SpeakerSegment(speakers[start], piece))
            start = i
    return pieces


def _sub_segment(segment: Segment, words: tuple[Word, ...]) -> Segment:
    text = "".join(w.word for w in words)
    if not text.startswith(" "):
        text = " " + text
    return replace(
        segment, start=words[0].start, end=words[-1].end, text=text, words=words, tokens=()
    )


def speaker_figures(
    turns: tuple[SpeakerTurn, ...],
    segments: tuple[SpeakerSegment, ...],
    centroids: dict[str, np.ndarray],
) -> list[Speaker]:
    """Talk time (from the audio), words and words per minute (from the transcript)."""
    talk: dict[str, float] = {}
    for turn in turns:
        talk[turn.speaker] = talk.get(turn.speaker, 0.0) + (turn.end - turn.start)
    words: dict[str, int] = {}
    for item in segments:
        count = len(item.segment.words) or len(item.segment.text.split())
        words[item.speaker] = words.get(item.speaker, 0) + count
    speakers = []
    for label in sorted(set(talk) | set(words)):
        seconds = round(talk.get(label, 0.0), 3)
        count = words.get(label, 0)
        vector = centroids.get(label)
        speakers.append(
            Speaker(
                label=label,
                talk_time=seconds,
                words=count,
                words_per_minute=round(count / seconds * 60, 1) if seconds else 0.0,
                embedding=tuple(float(x) for x in vector) if vector is not None else (),
            )
        )
    return speakers


def match_profiles(
    speakers: list[Speaker],
    profiles: tuple[VoiceProfile, ...],
    *,
    threshold: float = DEFAULT_PROFILE_THRESHOLD,
) -> list[Speaker]:
    """Name speakers after saved voice profiles: each profile names at most one speaker, pairs
    chosen to maximise total similarity, and only pairs at or above `threshold` count."""
    candidates = [s for s in speakers if s.embedding]
    if not profiles or not candidates:
        return speakers
    voices = _unit(np.array([s.embedding for s in candidates]))
    saved = _unit(np.array([p.embedding for p in profiles]))
    similarity = voices @ saved.T
    matches = {}
    for row, col in zip(*linear_sum_assignment(-similarity), strict=True):
        if similarity[row, col] >= threshold:
            profile = profiles[col]
            matches[candidates[row].label] = replace(
                candidates[row],
                profile_id=profile.id,
                name=profile.name,
                similarity=round(float(similarity[row, col]), 4),
            )
    return [matches.get(s.label, s) for s in speakers]


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
