"""Overlapping speech: the diarization's marks of a second voice talking at the same time as
the turn's speaker, kept with the speakers and following what users do with them."""

from dataclasses import dataclass

from apps.engines.analysis import base
from apps.transcripts.models import Segment, Transcript

from ..models import Speaker, SpeakerOverlap

# Shorter pieces are the frame grid's rounding where a turn changes inside a mark, not speech.
MIN_PIECE = 0.05


@dataclass(frozen=True)
class OverlapPiece:
    speaker: str  # the second voice's label
    over: str | None  # the label of the turn's speaker there; None where no turn covers it
    start: float
    end: float


def overlap_pieces(diarization: base.Diarization) -> list[OverlapPiece]:
    """Each overlap mark split where the speaker of the turns under it changes, so that every
    piece says who is talked over. Marks of a voice over its own turn are left out."""
    pieces = []
    for mark in diarization.overlaps:
        under = [t for t in diarization.turns if t.start < mark.end and mark.start < t.end]
        found = [
            OverlapPiece(
                mark.speaker,
                t.speaker,
                float(max(t.start, mark.start)),
                float(min(t.end, mark.end)),
            )
            for t in under
            if t.speaker != mark.speaker
        ]
        if not under:  # engines mark a second voice under a first; kept, should one not
            found = [OverlapPiece(mark.speaker, None, float(mark.start), float(mark.end))]
        pieces += [p for p in found if p.end - p.start >= MIN_PIECE]
    return sorted(pieces, key=lambda p: (p.start, p.speaker))


def overlaps_store(
    *, transcript: Transcript, diarization: base.Diarization, speakers: dict[str, Speaker]
) -> None:
    """Store the diarization's overlap marks; called by speakers_store, in its transaction, once
    the old speakers (and with them their overlaps) are gone. Marks naming a speaker that was
    not stored are left out."""
    SpeakerOverlap.objects.bulk_create(
        SpeakerOverlap(
            transcript=transcript,
            speaker=speakers[p.speaker],
            over=speakers.get(p.over) if p.over else None,
            start=p.start,
            end=p.end,
        )
        for p in overlap_pieces(diarization)
        if p.speaker in speakers
    )


def overlaps_merge(*, speaker: Speaker, into: Speaker) -> None:
    """`speaker`'s overlaps become `into`'s; where that makes a voice talk over itself, the mark
    goes. Call before `speaker` is deleted (its overlaps would go with it)."""
    SpeakerOverlap.objects.filter(speaker=speaker).update(speaker=into)
    SpeakerOverlap.objects.filter(over=speaker).update(over=into)
    _over_itself(into).delete()


def overlaps_reassign(*, segment: Segment, previous: Speaker | None, speaker: Speaker) -> None:
    """The marks inside a reassigned segment talk over its new speaker (or go, where the new
    speaker is the second voice itself)."""
    if previous is None:
        return
    SpeakerOverlap.objects.filter(
        transcript_id=segment.transcript_id,
        over=previous,
        start__gte=segment.start,
        end__lte=segment.end,
    ).update(over=speaker)
    _over_itself(speaker).delete()


def _over_itself(speaker: Speaker):
    return SpeakerOverlap.objects.filter(speaker=speaker, over=speaker)
