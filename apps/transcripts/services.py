"""Writes for transcripts: create, run (in a worker), cancel, retry, rename, delete."""

import logging
from dataclasses import asdict
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apps.core.media import InvalidMedia, probe, probe_file
from apps.core.storage import folder_delete, local_copy, media_exists
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.base import (
    Decoded,
    LanguageDetected,
    ProviderAnalyses,
    SpeechHeard,
    TranscriptionRequest,
)
from apps.engines.stt.base import Segment as EngineSegment
from apps.engines.stt.pauses import Pieces
from apps.engines.stt.vad import speech_regions
from apps.jobs.quotas import quota_check_upload
from apps.jobs.runner import JobRun
from apps.jobs.selectors import jobs_running_here
from apps.jobs.services import job_cancel, job_enqueue, job_retry

from . import flags, signals
from .formats import DocumentGap, DocumentSegment, DocumentWord, TranscriptDocument
from .models import Gap, Segment, Transcript
from .options import TranscriptionOptions

logger = logging.getLogger(__name__)


def transcript_create(
    *,
    owner: User,
    upload: UploadedFile,
    options: TranscriptionOptions,
    title: str = "",
    source: str = Transcript.Source.WEB,
    analyses=None,
) -> Transcript:
    """Store the upload, check it is media with sound, and queue the job; the `analyses` asked
    for (an apps.analysis AnalysisOptions, handed on with `transcript_created`) start when the
    transcription is done.

    Raises ValidationError (on "file") when the upload is not usable, QuotaExceeded when it
    would pass the owner's limits; nothing is kept then.
    """
    original = Path(upload.name or "upload").name
    transcript = Transcript(
        owner=owner,
        title=(title.strip() or Path(original).stem or "Untitled")[:200],
        source=source,
        original_filename=original[:255],
        media_size=upload.size or 0,
        media_content_type=(getattr(upload, "content_type", "") or "")[:100],
        engine=options.engine,
        model=options.model,
        language=options.language,
        task=options.task,
        prompt=options.prompt,
        temperature=options.temperature,
        logprobs=options.logprobs,
    )
    # Storage first, before a byte is kept; the minutes once the recording's length is known.
    quota_check_upload(user_id=owner.pk, size=transcript.media_size, seconds=0)
    # Probed from the upload itself (a local file), before anything is stored: an object store
    # is not read back for it.
    try:
        info = probe_file(upload, max_seconds=settings.VOICEPORTAL_MAX_MEDIA_SECONDS)
    except InvalidMedia as exc:
        raise ValidationError({"file": str(exc)}) from exc
    quota_check_upload(user_id=owner.pk, size=0, seconds=info.duration)
    transcript.media.save(original, upload, save=False)
    transcript.duration = transcript.progress_total = info.duration
    transcript.has_video = info.has_video
    transcript.save()
    # Before the job is queued: what starts with the transcript can wait for it to be done.
    signals.transcript_created.send(sender=Transcript, transcript=transcript, analyses=analyses)
    job_enqueue(transcript)
    return transcript


def transcript_cancel(*, transcript: Transcript) -> None:
    """A queued job stops at once; a running one at its next segment, keeping what was done."""
    job_cancel(job=transcript)


def transcript_retry(*, transcript: Transcript) -> None:
    """Queue a failed or cancelled job again; it resumes after the last saved segment."""
    job_retry(job=transcript)


def transcript_rename(*, transcript: Transcript, title: str) -> None:
    title = title.strip()
    if not title:
        raise ValidationError({"title": "A title cannot be empty."})
    transcript.title = title[:200]
    transcript.save(update_fields=["title", "updated_at"])


def transcript_delete(*, transcript: Transcript) -> None:
    """Remove the row and the media files; a running job notices and stops."""
    _delete_media(transcript)
    transcript.delete()


def transcript_delete_many(*, owner, ids: list[str]) -> int:
    """Delete the owner's transcripts among `ids` (others' are left alone); how many went."""
    transcripts = list(Transcript.objects.filter(owner=owner, pk__in=ids))
    for transcript in transcripts:
        transcript_delete(transcript=transcript)
    return len(transcripts)


def _delete_media(transcript: Transcript) -> None:
    if not transcript.media:
        return
    folder = PurePosixPath(transcript.media.name).parent
    transcript.media.delete(save=False)
    # The folder is this transcript's own (see media_upload_to), with what was stored beside
    # the media (a live recording's, known speakers' clips).
    if folder.name == str(transcript.pk):
        folder_delete(str(folder), storage=transcript.media.storage)


# --- In the worker ---------------------------------------------------------------------------


def transcript_execute(*, transcript: Transcript, run: JobRun) -> None:
    """Transcribe the media (in a worker, through the job runner), saving each segment as it is
    decoded; a resumed job starts after the last saved one."""
    _Transcription(transcript, run).run()


def transcript_done(*, transcript: Transcript) -> None:
    """Tell whoever waits on the transcript (the analyses) that it is done."""
    signals.transcript_done.send(
        sender=Transcript, transcript_id=transcript.pk, provided=transcript.provided
    )


class _Transcription:
    def __init__(self, transcript: Transcript, run: JobRun):
        self.transcript = transcript
        self.run_ = run
        self.next_index = transcript.segments.count()
        # The furthest the audio has been heard: the bar never steps back, though a mark for a
        # pause within a segment comes after the segment (engines/stt/faint.py).
        self.heard_to = transcript.progress_done or 0.0
        # The pieces of one decoded segment split at a pause (and marks between them), stored
        # together once its last piece comes: a worker killed between two would resume after the
        # first, inside the segment (engines/stt/pauses.py Pieces).
        self.unsaved: list[EngineSegment] = []
        self.pieces = Pieces()
        # Where the stored segments and marks end: a stopped job's bar is put back there, as the
        # engine's Decoded (parts decoded at once) runs ahead of what is stored.
        self.stored_to = 0.0

    def run(self) -> None:
        t = self.transcript
        if not media_exists(t.media):
            raise ProviderError(
                "The uploaded media file is missing from storage.", kind=ErrorKind.INVALID_INPUT
            )
        # A worker on another machine than the upload reads a local copy of an object store's.
        with local_copy(t.media) as path:
            self._transcribe(path)

    def _transcribe(self, path: Path) -> None:
        t = self.transcript
        self.run_.progress(t.progress_done, t.duration)
        last = t.segments.order_by("-index").first()
        last_gap = t.gaps.order_by("-end").first()
        done = max(last.end if last else 0.0, last_gap.end if last_gap else 0.0)
        self.stored_to = done
        request = TranscriptionRequest(
            audio_path=path,
            model=t.model,
            language=t.language or None,
            task=t.task,
            prompt=t.prompt,
            temperature=t.temperature,
            start_at=done,
            should_stop=self.run_.should_stop,
            logprobs=t.logprobs,
            shares_cores=jobs_running_here(besides=t) > 0,
        )
        heard: list[SpeechHeard] = []
        for event in stt_backends[t.engine].transcribe(request):
            if isinstance(event, LanguageDetected):
                self._save_language(event)
            elif isinstance(event, EngineSegment):
                self._save_segment(event)
            elif isinstance(event, ProviderAnalyses):
                t.provided = event  # analyses the engine did itself
            elif isinstance(event, SpeechHeard):
                heard.append(event)
            elif isinstance(event, Decoded) and event.seconds > self.heard_to:
                # Parts decoded at once: the bar follows all of them, not the stored prefix.
                self.heard_to = event.seconds
                self.run_.progress(self.heard_to)
        self._store_unsaved()  # a piece whose rest the engine left out (its part's end)
        if self.heard_to > self.stored_to:  # stopped with later parts' text not stored
            self.run_.progress(self.stored_to)
        if settings.VOICEPORTAL_FLAG_SILENCE:
            segments_flag_silence(transcript=t, regions=_heard_throughout(heard, t.duration))

    def _save_language(self, event: LanguageDetected) -> None:
        fields = {}
        if not self.transcript.detected_language:  # a resumed job keeps the first detection
            fields |= {
                "detected_language": event.language,
                "language_probability": event.probability,
            }
        if event.duration and not self.transcript.duration:
            fields |= {"duration": event.duration, "progress_total": event.duration}
        self.run_.update(**fields)

    def _save_segment(self, seg: EngineSegment) -> None:
        self.unsaved.append(seg)
        if not self.pieces.stoppable_after(seg):
            return  # stored with the rest of its decoded segment
        self._store_unsaved()

    def _store_unsaved(self) -> None:
        if not self.unsaved:
            return
        with transaction.atomic():
            self.stored_to = max(self.stored_to, *(s.end for s in self.unsaved))
            self.heard_to = max(self.heard_to, self.stored_to)
            self.run_.progress(self.heard_to)  # JobGone first when the transcript was deleted
            for seg in self.unsaved:
                if seg.gap:
                    gap_save(transcript_id=self.transcript.pk, segment=seg)
                    continue
                segment_save(transcript_id=self.transcript.pk, index=self.next_index, segment=seg)
                self.next_index += 1
        self.unsaved = []


def segment_save(*, transcript_id, index: int, segment: EngineSegment) -> Segment:
    """Store one segment as the engine gave it (file jobs and live recordings alike), with the
    flags its text and scores earn (and any the engine set itself)."""
    previous = (
        Segment.objects.filter(transcript_id=transcript_id, index__lt=index)
        .order_by("-index")
        .values_list("text", flat=True)[: flags.PREVIOUS_SEGMENTS]
    )
    found = flags.segment_flags(_signs(segment), previous)
    return Segment.objects.create(
        transcript_id=transcript_id,
        index=index,
        start=segment.start,
        end=segment.end,
        text=segment.text,
        words=[
            {"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
            for w in segment.words
        ],
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        compression_ratio=segment.compression_ratio,
        temperature=segment.temperature,
        tokens=list(segment.tokens),
        logprobs=[asdict(t) for t in segment.logprobs],
        untranscribed=segment.untranscribed,
        flags=flags.merged(found, getattr(segment, "flags", ())),
        language=segment.language,
        heard_language=getattr(segment, "heard_language", ""),
    )


def gap_save(*, transcript_id, segment: EngineSegment) -> Gap:
    """Store an engine's mark for speech it gave no text for (`segment.gap` says why)."""
    return Gap.objects.create(
        transcript_id=transcript_id,
        start=segment.start,
        end=segment.end,
        reason=segment.gap,
        language=segment.language,
        sound=getattr(segment, "sound", ""),
    )


def _signs(segment) -> flags.SegmentSigns:
    return flags.SegmentSigns(
        text=segment.text,
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        untranscribed=getattr(segment, "untranscribed", False),
    )


def segments_flag(*, transcript: Transcript, silence: bool = False) -> int:
    """Work out the flags of a transcript's stored segments again (after the rules changed, or
    for rows older than them); `silence` also runs the VAD over its audio. People's edits keep
    theirs cleared. Returns how many segments are flagged."""
    segments = list(transcript.segments.filter(machine_text=""))
    for n, s in enumerate(segments):
        previous = [p.text for p in reversed(segments[max(0, n - flags.PREVIOUS_SEGMENTS) : n])]
        kept = [f for f in s.flags if (f == "silence" and not silence) or f in flags.HEARD_ONLY]
        s.flags = flags.merged(flags.segment_flags(_signs(s), previous), kept)
    Segment.objects.bulk_update(segments, ["flags"])
    if silence:
        segments_flag_silence(transcript=transcript)
    return transcript.segments.exclude(flags=[]).count()


def segments_flag_silence(
    *, transcript: Transcript, regions: list[tuple[float, float]] | None = None
) -> None:
    """Flag the segments whose time holds (almost) no speech by the VAD: `regions` where the
    engine already found them for the whole file, else by running it. A recording that cannot
    be decoded again is left unflagged: the transcript matters more than the flag."""
    if regions is None:
        try:
            with local_copy(transcript.media) as path:
                regions = speech_regions(path)
        except (InvalidMedia, OSError, ValueError):
            logger.warning("No speech check for transcript %s", transcript.pk, exc_info=True)
            return
    changed = []
    rows = transcript.segments.filter(machine_text="").only("pk", "start", "end", "text", "flags")
    for s in rows:
        quiet = flags.speech_share(s.start, s.end, regions) < flags.SPEECH_SHARE
        if quiet and s.text.strip() and "silence" not in s.flags:
            s.flags = flags.merged(s.flags, ["silence"])
            changed.append(s)
    Segment.objects.bulk_update(changed, ["flags"])


def _heard_throughout(
    heard: list[SpeechHeard], duration: float
) -> list[tuple[float, float]] | None:
    """The speech regions the engine heard, when its stretches run from the file's start to its
    end without a hole (not after a resume, which starts midway); else None."""
    reached = 0.0
    for stretch in heard:
        if abs(stretch.start - reached) > 0.05:
            return None
        reached = stretch.end
    if not heard or reached < duration - 0.5:
        return None
    return [region for stretch in heard for region in stretch.regions]


def transcribe_file(
    *,
    path: Path,
    options: TranscriptionOptions,
) -> tuple[TranscriptDocument, ProviderAnalyses | None]:
    """Transcribe a file in this process, without saving anything (the command line uses it).
    Also returns the analyses the engine made itself, if any."""
    try:
        info = probe(path)
    except InvalidMedia as exc:
        raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
    request = TranscriptionRequest(
        audio_path=path,
        model=options.model,
        language=options.language or None,
        task=options.task,
        prompt=options.prompt,
        temperature=options.temperature,
    )
    language, segments, gaps, provided = options.language or "en", [], [], None
    for event in stt_backends[options.engine].transcribe(request):
        if isinstance(event, LanguageDetected):
            language = event.language
        elif isinstance(event, ProviderAnalyses):
            provided = event
        elif isinstance(event, SpeechHeard | Decoded):
            continue  # the command line flags no silence and shows no progress
        elif event.gap:
            gaps.append(DocumentGap(event.start, event.end, event.gap, event.language, event.sound))
        else:
            segments.append(
                DocumentSegment(
                    id=len(segments),
                    start=event.start,
                    end=event.end,
                    text=event.text,
                    words=tuple(
                        DocumentWord(w.word, w.start, w.end, w.probability) for w in event.words
                    ),
                    avg_logprob=event.avg_logprob,
                    no_speech_prob=event.no_speech_prob,
                    compression_ratio=event.compression_ratio,
                    temperature=event.temperature,
                    tokens=event.tokens,
                    flags=event.flags,
                    language=event.language,
                    heard_language=event.heard_language,
                )
            )
    document = TranscriptDocument(
        language=language,
        duration=info.duration,
        segments=tuple(segments),
        task=options.task,
        gaps=tuple(gaps),
    )
    return document, provided
