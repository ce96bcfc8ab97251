"""Laughter given to the person laughing.

The AMI references count a participant's laughter as that participant's speech, and no
installed detector hears it as speech (segmentation-3.0 gives it 0.02-0.3, Silero 0.00): of the
AMI tuning part's 26.0 s of missed speaker-time, 11.4 s are such vocal sounds (docs/
benchmarks.md, issue 10, session 33). Whisper, decoding a stretch with notes allowed, names some
of it ("[laughs]": stt/sounds.py). Where the transcript names a stretch laughter, the part of it
no turn covers goes to the speaker whose turn touches it, or to the nearest turn within REACH
seconds: in a meeting the one who laughs is most often the one who just spoke or is about to.
"""

from collections.abc import Iterable

from apps.core.spans import uncovered_parts

from .base import SpeakerTurn, Transcript

# A turn farther than this from the laughter says nothing about who laughed.
REACH = 1.0


def laughter_in(transcript: Transcript) -> list[tuple[float, float]]:
    """The stretches the transcript's marks name laughter (start, end seconds)."""
    return [(m.start, m.end) for m in transcript.marks if m.sound == "laughter"]


def turns_with_laughter(
    turns: Iterable[SpeakerTurn], laughter: Iterable[tuple[float, float]], reach: float = REACH
) -> tuple[SpeakerTurn, ...]:
    """`turns` (one speaker at a time, in order) with each stretch of `laughter` (start, end
    seconds) that no turn covers given to the speaker of the turn that overlaps it most, else
    the nearest within `reach`; a stretch with no turn so near is left to nobody."""
    turns = sorted(turns, key=lambda t: t.start)
    added = []
    for start, end in laughter:
        speaker = _laugher(turns, start, end, reach)
        if speaker:
            added += [SpeakerTurn(speaker, a, b) for a, b in uncovered_parts(start, end, turns)]
    return _joined(sorted(turns + added, key=lambda t: t.start)) if added else tuple(turns)


def _laugher(turns: list[SpeakerTurn], start: float, end: float, reach: float) -> str:
    def overlap(turn):
        return min(turn.end, end) - max(turn.start, start)

    touching = [t for t in turns if overlap(t) >= 0]
    if touching:
        return max(touching, key=overlap).speaker
    near = [t for t in turns if -overlap(t) <= reach]
    return min(near, key=lambda t: -overlap(t)).speaker if near else ""


def _joined(turns: list[SpeakerTurn]) -> tuple[SpeakerTurn, ...]:
    """Adjacent turns of one speaker joined into one."""
    joined: list[SpeakerTurn] = []
    for turn in turns:
        last = joined[-1] if joined else None
        if last and last.speaker == turn.speaker and turn.start <= last.end + 1e-6:
            joined[-1] = SpeakerTurn(last.speaker, last.start, max(last.end, turn.end))
        else:
            joined.append(turn)
    return tuple(joined)
