"""Writes for people's corrections of a transcript: edit a segment's text, undo, and the job that
finds the edited words' times again against the audio (forced alignment)."""

from typing import BinaryIO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.media import SAMPLE_RATE, iter_pcm
from apps.core.storage import media_exists
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.align import MAX_SECONDS, align_words, spread_words
from apps.jobs.runner import JobRun
from apps.jobs.services import job_enqueue

from .models import Segment, SegmentAlignment, SegmentEdit, Transcript

MAX_TEXT = 2000
# The offline engine whose packaged models align; transcripts from any engine use it.
ALIGN_ENGINE = "local"


def segment_edit(*, segment: Segment, editor: User, text: str) -> Segment:
    """Replace the segment's text with a person's correction; the engine's text is kept in
    `machine_text`, the edit in its history. Until the alignment job is done the words' times
    are shared out over the segment. Flags are cleared: a person has read it.

    Raises ValidationError (on "text") for an empty or overlong text."""
    done = Transcript.objects.filter(pk=segment.transcript_id, status=Transcript.Status.DONE)
    if not done.exists():
        raise ValidationError({"text": "A transcript can be edited once it is done."})
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"text": "A segment cannot be empty; undo restores the old text."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"A segment holds at most {MAX_TEXT} characters."})
    text = " " + text  # Whisper's segments start with a space; joined texts rely on it
    if text == segment.text:
        return segment
    with transaction.atomic():
        SegmentEdit.objects.create(
            segment=segment,
            editor=editor,
            text_before=segment.text,
            text_after=text,
            words_before=segment.words,
            flags_before=segment.flags,
        )
        if not segment.machine_text:
            segment.machine_text = segment.text
        segment.words = _word_dicts(spread_words(text, segment.start, segment.end), segment)
        segment.text, segment.flags = text, []
        segment.save(update_fields=["text", "words", "flags", "machine_text"])
        _text_refresh(segment.transcript_id)
        alignment = SegmentAlignment.objects.create(
            owner_id=done.values_list("owner_id", flat=True).get(),
            segment=segment,
            text=text,
            progress_total=1,
        )
        job_enqueue(alignment)
    return segment


def transcript_undo(*, transcript: Transcript) -> Segment | None:
    """Take back the newest edit of the transcript: its segment gets its text, words and flags
    back. Returns that segment, or None when there was nothing to undo."""
    with transaction.atomic():
        edit = (
            SegmentEdit.objects.select_for_update()
            .filter(segment__transcript=transcript)
            .select_related("segment")
            .first()
        )
        if edit is None:
            return None
        segment = edit.segment
        segment.text, segment.words, segment.flags = (
            edit.text_before,
            edit.words_before,
            edit.flags_before,
        )
        edit.delete()
        if not segment.edits.exists():
            segment.machine_text = ""
        segment.save(update_fields=["text", "words", "flags", "machine_text"])
        _text_refresh(transcript.pk)
    return segment


def segment_alignment_pending(segment: Segment) -> bool:
    return segment.alignments.filter(status__in=SegmentAlignment.ACTIVE).exists()


def _text_refresh(transcript_id) -> None:
    texts = Segment.objects.filter(transcript_id=transcript_id).values_list("text", flat=True)
    Transcript.objects.filter(pk=transcript_id).update(text="".join(texts).strip())


def _word_dicts(words, segment: Segment, offset: float = 0.0) -> list[dict]:
    # A segment split by speaker carries the speaker's label on each word; keep it.
    label = next((w["speaker"] for w in segment.words if w.get("speaker")), None)
    rows = [
        {
            "word": w.word,
            "start": round(w.start + offset, 3),
            "end": round(w.end + offset, 3),
            "probability": w.probability,
        }
        for w in words
    ]
    return [{**r, "speaker": label} for r in rows] if label else rows


# --- In the worker ---------------------------------------------------------------------------


def segment_align_execute(*, alignment: SegmentAlignment, run: JobRun) -> None:
    """Align the edited text against the segment's audio and store the words' times, unless
    the segment was edited again meanwhile (that edit's own job aligns it)."""
    segment = alignment.segment
    transcript = segment.transcript
    if segment.text != alignment.text:
        return
    if not media_exists(transcript.media):
        raise ProviderError("The recording is missing from storage.", kind=ErrorKind.INVALID_INPUT)
    if segment.end - segment.start > MAX_SECONDS:
        return  # too long for one encoder pass: the shared-out times stay
    # Read from the storage with seeking: only the segment's part of the recording is decoded.
    with transcript.media.storage.open(transcript.media.name, "rb") as media:
        audio = _segment_audio(media, segment.start, segment.end)
    backend = stt_backends[ALIGN_ENGINE]
    language = transcript.detected_language or transcript.language or "en"
    model = backend.model(_align_model(backend, transcript, language))
    words = align_words(model, audio, alignment.text, language=language)
    if not words:
        return
    with transaction.atomic():
        # Conditional: an edit saved while this ran keeps its own words.
        Segment.objects.filter(pk=segment.pk, text=alignment.text).update(
            words=_word_dicts(words, segment, offset=segment.start)
        )
        run.progress(1, 1)


def _align_model(backend, transcript: Transcript, language: str) -> str:
    """The transcript's own model when the local engine made it; else the English model for
    English, the multilingual one otherwise."""
    if transcript.engine == ALIGN_ENGINE and backend.resolve_model(transcript.model):
        return backend.resolve_model(transcript.model).name
    return "tiny.en" if language == "en" else "base"


def _segment_audio(media: BinaryIO, start: float, end: float):
    import numpy as np

    wanted = int((end - start) * SAMPLE_RATE)
    blocks, have = [], 0
    for block in iter_pcm(media, start_at=start, block_seconds=min(MAX_SECONDS, end - start + 1)):
        blocks.append(block)
        have += len(block)
        if have >= wanted:
            break
    audio = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return audio[:wanted]
