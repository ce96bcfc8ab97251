"""Speakers: storing a diarization, with segments split where the speaker changes, and what
users do with it afterwards: rename a speaker, merge two, reassign one segment."""

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.engines.analysis import base
from apps.engines.analysis.speakers import DEFAULT_PROFILE_THRESHOLD, label_segments, match_profiles
from apps.transcripts.flags import merged
from apps.transcripts.models import Segment, SegmentEdit, Transcript

from ..models import SPEAKER_COLOURS, Speaker, VoiceProfile
from .overlaps import overlaps_merge, overlaps_reassign, overlaps_store

# Cosine similarity above which a re-run's speaker takes the name a user gave the earlier speaker
# it sounds like. Within one recording the same voice scores higher than across recordings, so
# the profiles' threshold is a safe one.
SAME_VOICE_THRESHOLD = DEFAULT_PROFILE_THRESHOLD


def speakers_store(
    *, transcript: Transcript, diarization: base.Diarization, source: base.Transcript
) -> list[Speaker]:
    """Replace the transcript's speakers and segments with the diarization's.

    `source` is the transcript the engine was given. Every stored segment belongs to one speaker,
    its words carry the speaker's label, and `source_index` says which segment of `source` it
    came from. The names users gave the old speakers go to the new speakers with the same voice
    (a voice profile's name first). The overlap marks are kept with the speakers. Runs in a
    transaction: readers see the old speakers or the new, never a mix.
    """
    pieces = diarization.segments or label_segments(source, diarization.turns)
    origins = _origins(source.segments, pieces)
    own_profiles = set(
        VoiceProfile.objects.filter(owner_id=transcript.owner_id).values_list("pk", flat=True)
    )
    with transaction.atomic():
        figures = {s.label: s for s in _names_kept(transcript, diarization.speakers)}
        labels = sorted({*figures, *(p.speaker for p in pieces)})
        kept = _kept_by_origin(transcript, len(source.segments))
        transcript.segments.all().delete()
        transcript.speakers.all().delete()
        speakers = {
            label: _speaker_create(transcript, label, figures.get(label), n, own_profiles)
            for n, label in enumerate(labels)
        }
        rows = Segment.objects.bulk_create(
            _segment(transcript, n, piece, speakers[piece.speaker], origin, kept)
            for n, (piece, origin) in enumerate(zip(pieces, origins, strict=True))
        )
        _edits_restore(transcript, rows, kept)
        overlaps_store(transcript=transcript, diarization=diarization, speakers=speakers)
    return list(speakers.values())


def _kept_by_origin(transcript: Transcript, count: int) -> list[dict]:
    """What each segment as transcribed carries beyond the engine's output (its flags, the
    machine text a person corrected, the history of those corrections), so that the pieces it
    is split into keep it. Empty when the stored segments do not match the source."""
    groups: list[list[Segment]] = []
    for row in transcript.segments.all():
        if groups and _origin_key(groups[-1][0]) == _origin_key(row):
            groups[-1].append(row)
        else:
            groups.append([row])
    if len(groups) != count:
        return []
    edits = {}
    for edit in SegmentEdit.objects.filter(segment__transcript=transcript).order_by("pk"):
        edits.setdefault(edit.segment_id, []).append(edit)
    return [
        {
            "flags": merged(*(r.flags for r in rows)),
            "machine_text": "".join(r.machine_text or r.text for r in rows)
            if any(r.machine_text for r in rows)
            else "",
            "edits": [e for r in rows for e in edits.get(r.pk, [])],
        }
        for rows in groups
    ]


def _origin_key(row: Segment) -> int:
    return row.source_index if row.source_index is not None else row.index


def _edits_restore(transcript: Transcript, rows: list[Segment], kept: list[dict]) -> None:
    """The history of corrections stays with a segment that was not split. One split by speaker
    loses it: undoing would put the whole old text into one of its pieces."""
    pieces: dict[int, list[Segment]] = {}
    for row in rows:
        pieces.setdefault(row.source_index, []).append(row)
    restored = []
    for origin, carried in enumerate(kept):
        if len(pieces.get(origin, ())) != 1:
            continue
        for edit in carried["edits"]:
            edit.pk, edit.segment = None, pieces[origin][0]
            restored.append(edit)
    SegmentEdit.objects.bulk_create(restored)


def _names_kept(transcript: Transcript, speakers: tuple[base.Speaker, ...]) -> list[base.Speaker]:
    """The new speakers, each unnamed one named after the named old speaker whose voice is the
    most similar: one to one, at or above SAME_VOICE_THRESHOLD, names a profile gave left out."""
    given = {s.name for s in speakers if s.name}
    unnamed = [s for s in speakers if not s.name and s.embedding]
    size = len(unnamed[0].embedding) if unnamed else 0
    # Old voices as one-off profiles; embeddings compare only within one engine (and size).
    voices = tuple(
        base.VoiceProfile(id="", name=name, embedding=tuple(embedding))
        for name, embedding in transcript.speakers.exclude(name="").values_list("name", "embedding")
        if name not in given and len(embedding) == size > 0
    )
    if not voices or any(len(s.embedding) != size for s in unnamed):
        return list(speakers)
    named = {
        s.label: replace(s, profile_id=None, similarity=None)
        for s in match_profiles(unnamed, voices, threshold=SAME_VOICE_THRESHOLD)
        if s.name
    }
    return [named.get(s.label, s) for s in speakers]


def _speaker_create(transcript, label, figures: base.Speaker | None, n: int, own_profiles):
    profile_id = figures.profile_id if figures else None
    return Speaker.objects.create(
        transcript=transcript,
        label=label[:20],
        name=(figures.name or "") if figures else "",
        colour=SPEAKER_COLOURS[n % len(SPEAKER_COLOURS)],
        embedding=list(figures.embedding) if figures else [],
        talk_time=figures.talk_time if figures else 0.0,
        words=figures.words if figures else 0,
        words_per_minute=figures.words_per_minute if figures else 0.0,
        # Known speakers of an API request name a voice without being saved profiles.
        profile_id=int(profile_id) if _is_own(profile_id, own_profiles) else None,
        similarity=figures.similarity if figures else None,
    )


def _is_own(profile_id: str | None, own_profiles: set[int]) -> bool:
    return bool(profile_id and profile_id.isdigit() and int(profile_id) in own_profiles)


def _segment(
    transcript, index: int, piece: base.SpeakerSegment, speaker, origin: int, kept: list[dict]
) -> Segment:
    s = piece.segment
    carried = kept[origin] if origin < len(kept) else {}
    return Segment(
        transcript=transcript,
        index=index,
        start=s.start,
        end=s.end,
        text=s.text,
        words=[
            {
                "word": w.word,
                "start": w.start,
                "end": w.end,
                "probability": w.probability,
                "speaker": speaker.label,
            }
            for w in s.words
        ],
        avg_logprob=s.avg_logprob,
        no_speech_prob=s.no_speech_prob,
        compression_ratio=s.compression_ratio,
        temperature=s.temperature,
        tokens=list(s.tokens),
        language=s.language,
        speaker=speaker,
        source_index=origin,
        flags=carried.get("flags", []),
        machine_text=carried.get("machine_text", ""),
    )


def _origins(originals: tuple, pieces: tuple[base.SpeakerSegment, ...]) -> list[int]:
    """For each piece, the index of the original segment it lies in (both are in time order).
    Read from its words where it has them: a piece's time can run on over the next segment's
    start, to the end of its speaker's turn (engines.analysis.speakers)."""
    origins, i = [], 0
    for piece in pieces:
        words = piece.segment.words
        span = (
            (words[0].start, words[-1].end) if words else (piece.segment.start, piece.segment.end)
        )
        middle = sum(span) / 2
        while i + 1 < len(originals) and middle >= originals[i + 1].start:
            i += 1
        origins.append(i)
    return origins


# What users do with speakers -------------------------------------------------------------------


def speaker_rename(*, speaker: Speaker, name: str) -> None:
    """The name shows wherever the speaker does; an empty name goes back to "Speaker A"."""
    speaker.name = name.strip()[:100]
    speaker.save(update_fields=["name"])


@transaction.atomic
def speaker_merge(*, speaker: Speaker, into: Speaker) -> None:
    """Give all of `speaker`'s segments and overlap marks to `into` (same transcript), then
    remove `speaker`."""
    if speaker.transcript_id != into.transcript_id:
        raise ValidationError({"into": "Speakers can only be merged within one transcript."})
    if speaker.pk == into.pk:
        raise ValidationError({"into": "Choose another speaker to merge with."})
    into.embedding = _mean_voice(into, speaker)
    into.talk_time = round(into.talk_time + speaker.talk_time, 3)
    if not into.name:
        into.name = speaker.name
    if into.profile_id is None:
        into.profile_id, into.similarity = speaker.profile_id, speaker.similarity
    for segment in speaker.segments.all():
        _assign(segment, into)
    overlaps_merge(speaker=speaker, into=into)
    speaker.delete()
    _recount([into])


@transaction.atomic
def segment_reassign(*, segment: Segment, speaker: Speaker) -> None:
    """Give one segment to another speaker of its transcript; its time and words move too."""
    if speaker.transcript_id != segment.transcript_id:
        raise ValidationError({"speaker": "That speaker is not in this transcript."})
    previous = segment.speaker
    if previous is not None and previous.pk == speaker.pk:
        return
    seconds = segment.end - segment.start
    _assign(segment, speaker)
    overlaps_reassign(segment=segment, previous=previous, speaker=speaker)
    speaker.talk_time = round(speaker.talk_time + seconds, 3)
    changed = [speaker]
    if previous is not None:
        if not previous.segments.exists():
            previous.delete()  # nothing left of this speaker
        else:
            previous.talk_time = round(max(0.0, previous.talk_time - seconds), 3)
            changed.append(previous)
    _recount(changed)


def _assign(segment: Segment, speaker: Speaker) -> None:
    segment.speaker = speaker
    segment.words = [{**w, "speaker": speaker.label} for w in segment.words]
    segment.save(update_fields=["speaker", "words"])


def _recount(speakers: Iterable[Speaker]) -> None:
    """Words and words per minute from the speakers' segments, after an edit."""
    for speaker in speakers:
        words = sum(
            len(words) or len(text.split())
            for words, text in speaker.segments.values_list("words", "text")
        )
        speaker.words = words
        speaker.words_per_minute = (
            round(words / speaker.talk_time * 60, 1) if speaker.talk_time else 0.0
        )
        speaker.save()


def _mean_voice(a: Speaker, b: Speaker) -> list[float]:
    """The merged speaker's voice: both embeddings weighted by talk time, L2-normalised."""
    if not a.embedding or not b.embedding or len(a.embedding) != len(b.embedding):
        return a.embedding or b.embedding
    vector = np.asarray(a.embedding) * max(a.talk_time, 1e-3) + np.asarray(b.embedding) * max(
        b.talk_time, 1e-3
    )
    norm = float(np.linalg.norm(vector))
    return [float(x) for x in (vector / norm if norm else vector)]
