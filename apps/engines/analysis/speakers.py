"""From speaker turns to a speaker-labelled transcript, per-speaker figures and voice profiles."""

import bisect
from dataclasses import replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..stt.base import Segment, Word
from .base import Speaker, SpeakerSegment, SpeakerTurn, Transcript, VoiceProfile
from .embedding import unit_rows

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
        labelled.extend(_split(segment, speakers, _pauses(segment.words, timeline)))
    return tuple(_fitted_to_turns(labelled, timeline))


# A silence in the speaker turns at least this long between two words of a segment splits it, so
# a segment's time is speech rather than a pause (diarized_json and subtitles show the times).
PAUSE_SECONDS = 0.5


def _pauses(words, timeline: "_Timeline") -> set[int]:
    """Indices of the words that follow such a silence."""
    turns = [timeline.turn_at((w.start + w.end) / 2) for w in words]
    return {
        i
        for i in range(1, len(words))
        if turns[i - 1] and turns[i] and turns[i].start - turns[i - 1].end >= PAUSE_SECONDS
    }


# How far before a piece's first word the start of its speaker's turn may be for the piece to
# start there: Whisper's word times are off by a few tenths of a second, and its segments often
# start before the speech, while the turns come from the audio at 10 ms. Tuned on the tuning part
# of the evaluation (docs/benchmarks.md): at 0.5 s falcon_3spk's segments scored 7.2 % DER, at
# 1.0 s 2.4 %; 2.0 s changed little more, and a turn's start any distance away lost 4.1 points
# on ami_trn00 (session 31).
SNAP_SECONDS = 1.0


def _fitted_to_turns(pieces: list[SpeakerSegment], timeline: "_Timeline") -> list[SpeakerSegment]:
    """Each piece with words takes its speaker's turn's edges (`_turn_edges`), and ends where the
    next piece starts when that comes first (never before its own last word ends: under
    overlapping turns the next speaker starts while this one still talks): a boundary between
    two speakers is then the turn change, not the word, whose times only approximate it.
    Pieces stay in order and apart."""
    wanted = [_turn_edges(p, timeline) for p in pieces]
    fitted: list[SpeakerSegment] = []
    for n, piece in enumerate(pieces):
        words = piece.segment.words
        if not words:
            fitted.append(piece)
            continue
        first, last = words[0], words[-1]
        start, end = wanted[n]
        if fitted:
            start = max(start, fitted[-1].segment.end)
        if n + 1 < len(pieces):
            end = min(end, max(wanted[n + 1][0], last.end))
        start = round(min(start, last.start), 3)
        end = round(max(end, start, first.end if len(words) == 1 else start), 3)
        fitted.append(replace(piece, segment=replace(piece.segment, start=start, end=end)))
    return fitted


def _turn_edges(piece: SpeakerSegment, timeline: "_Timeline") -> tuple[float, float]:
    """Where `piece` would start and end by its speaker's turns alone.

    It starts where its turn starts when that is at most SNAP_SECONDS before its first word. It
    ends where the turn holding its last word ends, however far: on far-field meetings Whisper
    often writes nothing for the rest of a turn, or only after a pause of its own, and the
    speaker is still talking there (session 31: ami_trn09's segments 35.5 -> 31.9 % DER, its
    turns' 31.9 %). Its last word's own end when no turn of its speaker holds that word."""
    words = piece.segment.words
    if not words:
        return piece.segment.start, piece.segment.end
    first, last = words[0], words[-1]
    start, end = first.start, last.end
    turn = timeline.nearest((first.start + first.end) / 2)
    if (
        turn
        and turn.speaker == piece.speaker
        and first.start - SNAP_SECONDS <= turn.start <= first.end
    ):
        start = turn.start
    middle = (last.start + last.end) / 2
    turn = timeline.nearest(middle)
    # A last word just past its turn's end (its times run late) ends with the turn too.
    near = turn and (turn.start <= middle or turn.end <= last.end + SNAP_SECONDS)
    if near and turn.speaker == piece.speaker and last.start <= turn.end:
        end = turn.end
    return start, end


class _Timeline:
    """Who speaks at a moment, by binary search over the turns (sorted by start)."""

    def __init__(self, turns: tuple[SpeakerTurn, ...]):
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]

    def at(self, moment: float) -> str:
        turn = self.nearest(moment)
        return turn.speaker if turn else "SPEAKER_00"

    def nearest(self, moment: float) -> SpeakerTurn | None:
        if not self.turns:
            return None
        i = bisect.bisect_right(self.starts, moment)
        # The turn starting at or before the moment holds it, or the nearer of it and the next.
        candidates = self.turns[max(0, i - 1) : i + 1]
        return min(candidates, key=lambda t: max(t.start - moment, moment - t.end, 0.0))

    def turn_at(self, moment: float) -> SpeakerTurn | None:
        """The turn holding `moment`, if any."""
        turn = self.nearest(moment)
        return turn if turn and turn.start <= moment <= turn.end else None


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


def _split(
    segment: Segment, speakers: list[str], pauses: set[int] = frozenset()
) -> list[SpeakerSegment]:
    """Pieces of `segment` at each change of speaker and before each word in `pauses`."""
    pieces: list[SpeakerSegment] = []
    start = 0
    for i in range(1, len(speakers) + 1):
        if i == len(speakers) or speakers[i] != speakers[start] or i in pauses:
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
    # Profiles saved with another encoder (256-d Resemblyzer, 192-d CAM++) cannot be compared.
    size = len(candidates[0].embedding) if candidates else 0
    profiles = tuple(p for p in profiles if len(p.embedding) == size)
    if not profiles or not candidates:
        return speakers
    voices = unit_rows(np.array([s.embedding for s in candidates]))
    saved = unit_rows(np.array([p.embedding for p in profiles]))
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
