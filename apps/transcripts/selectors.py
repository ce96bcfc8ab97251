"""Reads for transcripts, always scoped by owner."""

from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.core.clock import clock
from apps.jobs.progress import JobProgress

from . import hooks
from .flags import FLAGS, language_unsure
from .formats import (
    DocumentGap,
    DocumentSegment,
    DocumentSpeaker,
    DocumentWord,
    TranscriptDocument,
    with_second_voices_marked,
)
from .models import Segment, SegmentAlignment, SegmentEdit, Transcript

FLAG_HELP = {
    "loop": "The same words again and again: Whisper's decoder stuck in a loop",
    "loop_cut": "The engine cut a repetition loop here and decoded again: words may be missing",
    "too_few_words": "Far too few words for the speech here, even decoded again: words are "
    "probably missing, and the text may belong elsewhere",
    "other_language": "Heard in another language than the one asked for: the words are most "
    "likely a translation. Transcribe again with that language, or with language detection",
    "wrong_script": "Written in a script its language does not use (Telugu in Devanagari): "
    "the model cannot write this language, and the text is no transcript of what was said",
    "repeats_later": "The same words come again soon after, over other audio, and decoded again "
    "here they came out unsure: the text may belong to the later passage",
    "lone_word": "One word far from the rest of its sentence, where no speech detector hears "
    "anyone: it may be invented, or placed far from where it was said",
    "stock_phrase": "A phrase Whisper writes over silence or music (subtitle credits, sign-offs)",
    "silence": "Text where the voice detector hears no speech",
    "no_speech": "Whisper itself thought there was no speech here",
    "low_confidence": "Whisper was very unsure of these words",
    "compression": "The text is unusually repetitive",
}


def transcript_list(
    *, owner: User, q: str = "", source: str = "", status: str = "", language: str = ""
) -> QuerySet[Transcript]:
    transcripts = Transcript.objects.filter(owner=owner)
    if q:
        transcripts = transcripts.filter(Q(title__icontains=q) | Q(text__icontains=q))
    if source:
        transcripts = transcripts.filter(source=source)
    if status:
        transcripts = transcripts.filter(status=status)
    if language:  # as shown in the list: the detected language, else the one asked for
        transcripts = transcripts.filter(
            Q(detected_language=language) | Q(detected_language="", language=language)
        )
    return transcripts.defer("text", "prompt")


def transcript_languages(*, owner: User) -> list[str]:
    """The languages the owner's transcripts are in, for the list's filter."""
    rows = Transcript.objects.filter(owner=owner).values_list("detected_language", "language")
    return sorted({detected or asked for detected, asked in rows if detected or asked})


def transcript_get(*, owner: User, pk) -> Transcript:
    """The owner's transcript, or 404 (also for another user's id)."""
    return get_object_or_404(Transcript, pk=pk, owner=owner)


def transcript_document(transcript: Transcript) -> TranscriptDocument:
    """The transcript with its speakers and whatever the analyses found, for every export."""
    results = {}
    for provide in hooks.document_results:
        results |= provide(transcript)
    by_segment = results.pop("segment_speakers", {})
    segments = tuple(_document_segment(s, by_segment.get(s.pk)) for s in transcript.segments.all())
    document = TranscriptDocument(
        language=transcript.detected_language or transcript.language or "en",
        duration=transcript.duration,
        segments=segments,
        task=transcript.task,
        title=transcript.title,
        language_unsure=transcript_language_unsure(transcript),
        gaps=tuple(
            DocumentGap(g.start, g.end, g.reason, g.language, g.sound)
            for g in transcript.gaps.all()
        ),
        **results,
    )
    # The speaker analysis's second voices that got no words are marks too (formats.py).
    return with_second_voices_marked(document)


def transcript_marks(transcript: Transcript) -> tuple[DocumentGap, ...]:
    """The marks the page lists, read from the document as the API and the exports read them:
    with the speaker analysis's second voices, made as it is read, never a stored copy that a
    second analysis would leave stale."""
    return transcript_document(transcript).gaps


def document_speaker(speaker) -> DocumentSpeaker:
    return DocumentSpeaker(
        label=speaker.label,
        name=speaker.api_name,
        display_name=speaker.display_name,
        talk_time=speaker.talk_time,
        words=speaker.words,
        words_per_minute=speaker.words_per_minute,
        colour=speaker.colour,
        profile=speaker.profile.name if speaker.profile else "",
        similarity=speaker.similarity,
    )


def _document_segment(s: Segment, speaker: DocumentSpeaker | None = None) -> DocumentSegment:
    return DocumentSegment(
        id=s.index,
        start=s.start,
        end=s.end,
        text=s.text,
        words=tuple(
            DocumentWord(w["word"], w["start"], w["end"], w.get("probability", 1.0))
            for w in s.words
        ),
        avg_logprob=s.avg_logprob,
        no_speech_prob=s.no_speech_prob,
        compression_ratio=s.compression_ratio,
        temperature=s.temperature,
        tokens=tuple(s.tokens),
        speaker=speaker,
        flags=tuple(s.flags),
        language=s.language,
        heard_language=s.heard_language,
    )


def transcript_progress(transcript: Transcript) -> JobProgress:
    """The job's progress by audio position, for the one progress partial."""
    position = min(transcript.progress_done, transcript.duration or 0.0)
    detail = f"{clock(position)} of {clock(transcript.duration)}"
    if transcript.status == Transcript.Status.CANCELLED:
        detail = f"at {clock(position)}; what was done is kept below."
    return JobProgress(
        job=transcript,
        poll_url=reverse("transcripts:progress", args=[transcript.pk]),
        label="Transcription progress",
        detail=detail,
        cancel_url=reverse("transcripts:cancel", args=[transcript.pk]),
        retry_url=reverse("transcripts:retry", args=[transcript.pk]),
        failed_text="Transcription failed",
    )


def transcript_segments_poll_url(transcript: Transcript) -> str:
    """Where the page fetches the segments saved so far while the job runs; empty otherwise."""
    if transcript.status not in (Transcript.Status.QUEUED, Transcript.Status.RUNNING):
        return ""
    return reverse("transcripts:detail", args=[transcript.pk]) + "?part=segments"


def transcript_words_count(transcript: Transcript) -> int:
    return sum(len(words) for words in transcript.segments.values_list("words", flat=True))


def segment_get(*, transcript: Transcript, pk) -> Segment:
    """A segment of the (already owner-checked) transcript, or 404."""
    return get_object_or_404(Segment, pk=pk, transcript=transcript)


def transcript_language_unsure(transcript: Transcript) -> bool:
    """Whether the transcript's language was detected too unsure to trust (flags.py)."""
    spoken = transcript.segments.aggregate(s=Sum(F("end") - F("start")))["s"] or 0.0
    return language_unsure(
        probability=transcript.language_probability,
        given=bool(transcript.language),
        speech_seconds=spoken,
    )


def transcript_edit_context(transcript: Transcript) -> dict:
    """What the page shows of edits and flags: the history (newest first), which segments are
    being aligned again, and how many segments carry each flag."""
    counts: dict[str, int] = {}
    flagged = 0
    for flags in transcript.segments.exclude(flags=[]).values_list("flags", flat=True):
        flagged += 1
        for flag in flags:
            counts[flag] = counts.get(flag, 0) + 1
    edits = SegmentEdit.objects.filter(segment__transcript=transcript).select_related(
        "editor", "segment"
    )[:50]
    return {
        "editable": transcript.status == Transcript.Status.DONE,
        "edits": list(edits),
        "aligning_ids": aligning_ids(transcript),
        "flagged_count": flagged,
        "flag_counts": [
            {"flag": f, "label": label, "count": counts[f], "help": FLAG_HELP.get(f, "")}
            for f, label in FLAGS.items()
            if f in counts
        ],
    }


def aligning_ids(transcript: Transcript) -> set[int]:
    return set(
        SegmentAlignment.objects.filter(
            segment__transcript=transcript, status__in=SegmentAlignment.ACTIVE
        ).values_list("segment_id", flat=True)
    )


def transcripts_storage_bytes(user_id: int) -> int:
    """Bytes of recordings a user keeps (their quota's storage)."""
    total = Transcript.objects.filter(owner_id=user_id).aggregate(n=Sum("media_size"))["n"]
    return total or 0


def transcripts_audio_seconds_since(user_id: int, since) -> float:
    """Seconds of recordings a user uploaded since `since` (their quota's daily minutes)."""
    rows = Transcript.objects.filter(owner_id=user_id, created_at__gte=since)
    return rows.aggregate(s=Sum("duration"))["s"] or 0.0
