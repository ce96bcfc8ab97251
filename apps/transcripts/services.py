"""Writes for transcripts: create, run (in a worker), cancel, retry, rename, delete."""

import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.analysis import services as analysis_services
from apps.analysis.options import AnalysisOptions
from apps.core.media import InvalidMedia, probe
from apps.core.workers import worker_id, worker_is_gone
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.base import LanguageDetected, ProviderAnalyses, TranscriptionRequest
from apps.engines.stt.base import Segment as EngineSegment

from .formats import DocumentSegment, DocumentWord, TranscriptDocument
from .models import Segment, Transcript
from .options import TranscriptionOptions

logger = logging.getLogger(__name__)
Status = Transcript.Status


def transcript_create(
    *,
    owner: User,
    upload: UploadedFile,
    options: TranscriptionOptions,
    title: str = "",
    source: str = Transcript.Source.WEB,
    analyses: AnalysisOptions | None = None,
) -> Transcript:
    """Store the upload, check it is media with sound, and queue the job; the `analyses` asked
    for start when the transcription is done.

    Raises ValidationError (on "file") when the upload is not usable; nothing is kept then.
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
    transcript.media.save(original, upload, save=False)
    try:
        info = probe(Path(transcript.media.path))
    except InvalidMedia as exc:
        _delete_media(transcript)
        raise ValidationError({"file": str(exc)}) from exc
    transcript.duration = info.duration
    transcript.has_video = info.has_video
    transcript.save()
    if analyses and analyses.kinds:
        analysis_services.analyses_start(transcript=transcript, options=analyses)
    transcript_enqueue(transcript)
    return transcript


def transcript_enqueue(transcript: Transcript) -> None:
    from .tasks import transcribe_job  # tasks import services: import here to avoid a cycle

    transaction.on_commit(lambda: transcribe_job.enqueue(str(transcript.pk)))


def transcript_cancel(*, transcript: Transcript) -> None:
    """A queued job stops at once; a running one at its next segment, keeping what was done."""
    Transcript.objects.filter(pk=transcript.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True
    )
    Transcript.objects.filter(pk=transcript.pk, status=Status.RUNNING).update(cancel_requested=True)
    transcript.refresh_from_db()


def transcript_retry(*, transcript: Transcript) -> None:
    """Queue a failed or cancelled job again; it resumes after the last saved segment."""
    updated = Transcript.objects.filter(
        pk=transcript.pk, status__in=[Status.FAILED, Status.CANCELLED]
    ).update(
        status=Status.QUEUED,
        error="",
        error_kind="",
        error_retryable=False,
        cancel_requested=False,
        finished_at=None,
    )
    if updated:
        transcript_enqueue(transcript)
    transcript.refresh_from_db()


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


def _delete_media(transcript: Transcript) -> None:
    if not transcript.media:
        return
    folder = Path(transcript.media.path).parent
    transcript.media.delete(save=False)
    # The folder is this transcript's own (see media_upload_to).
    if folder.is_dir() and folder.name == str(transcript.pk):
        shutil.rmtree(folder, ignore_errors=True)


# --- In the worker ---------------------------------------------------------------------------


def transcript_run(*, transcript_id: str) -> None:
    """Claim the job and run it. Called by the task; safe to call twice (the claim is atomic)."""
    now = timezone.now()
    claimed = Transcript.objects.filter(pk=transcript_id, status=Status.QUEUED).update(
        status=Status.RUNNING,
        worker_id=worker_id(),
        heartbeat_at=now,
        started_at=now,
        attempts=F("attempts") + 1,
        error="",
        cancel_requested=False,
    )
    if not claimed:
        logger.info("Transcript %s is not queued any more; nothing to do", transcript_id)
        return
    _Job(Transcript.objects.get(pk=transcript_id)).run()


class _Job:
    # How often the worker looks for a cancel request or a deleted row.
    CANCEL_POLL_SECONDS = 0.5

    def __init__(self, transcript: Transcript):
        self.transcript = transcript
        self.pk = transcript.pk
        self.next_index = transcript.segments.count()
        self._last_poll = 0.0
        self._stop = False
        self.provided: ProviderAnalyses | None = None  # analyses the engine did itself

    def run(self) -> None:
        started = time.monotonic()
        done = False
        try:
            self._transcribe()
            self._finish(Status.CANCELLED if self._stop else Status.DONE)
            done = not self._stop
        except _Gone:
            logger.info("Transcript %s was deleted while running", self.pk)
        except ProviderError as exc:
            self._finish(
                Status.FAILED, error=exc.message, kind=exc.kind, retryable=not exc.permanent
            )
        except Exception:
            logger.exception("Transcript %s failed", self.pk)
            self._finish(
                Status.FAILED,
                error="An internal error stopped the transcription.",
                kind=ErrorKind.INTERNAL,
                retryable=True,
            )
        finally:
            Transcript.objects.filter(pk=self.pk).update(
                processing_seconds=F("processing_seconds") + (time.monotonic() - started)
            )
        if done:  # outside the try: nothing the analyses do can fail the transcript
            analysis_services.analyses_after_transcription(
                transcript_id=self.pk, provided=self.provided
            )

    def _transcribe(self) -> None:
        t = self.transcript
        if not t.media or not Path(t.media.path).is_file():
            raise ProviderError(
                "The uploaded media file is missing from storage.", kind=ErrorKind.INVALID_INPUT
            )
        last = t.segments.order_by("-index").first()
        request = TranscriptionRequest(
            audio_path=Path(t.media.path),
            model=t.model,
            language=t.language or None,
            task=t.task,
            prompt=t.prompt,
            temperature=t.temperature,
            start_at=last.end if last else 0.0,
            should_stop=self._should_stop,
            logprobs=t.logprobs,
        )
        for event in stt_backends[t.engine].transcribe(request):
            if isinstance(event, LanguageDetected):
                self._save_language(event)
            elif isinstance(event, EngineSegment):
                self._save_segment(event)
            elif isinstance(event, ProviderAnalyses):
                self.provided = event

    def _should_stop(self) -> bool:
        if time.monotonic() - self._last_poll >= self.CANCEL_POLL_SECONDS:
            self._last_poll = time.monotonic()
            row = Transcript.objects.filter(pk=self.pk).values("cancel_requested").first()
            if row is None:
                raise _Gone
            self._stop = row["cancel_requested"]
        return self._stop

    def _save_language(self, event: LanguageDetected) -> None:
        fields = {"heartbeat_at": timezone.now()}
        if not self.transcript.detected_language:  # a resumed job keeps the first detection
            fields |= {
                "detected_language": event.language,
                "language_probability": event.probability,
            }
        if event.duration and not self.transcript.duration:
            fields["duration"] = event.duration
        self._update(**fields)

    def _save_segment(self, seg: EngineSegment) -> None:
        words = [
            {"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
            for w in seg.words
        ]
        with transaction.atomic():
            if not Transcript.objects.filter(pk=self.pk).exists():
                raise _Gone
            Segment.objects.create(
                transcript_id=self.pk,
                index=self.next_index,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                words=words,
                avg_logprob=seg.avg_logprob,
                no_speech_prob=seg.no_speech_prob,
                compression_ratio=seg.compression_ratio,
                temperature=seg.temperature,
                tokens=list(seg.tokens),
                logprobs=[asdict(t) for t in seg.logprobs],
            )
            self._update(progress_seconds=seg.end, heartbeat_at=timezone.now())
        self.next_index += 1

    def _finish(
        self, status: str, *, error: str = "", kind: str = "", retryable: bool = False
    ) -> None:
        fields = {
            "status": status,
            "error": error,
            "error_kind": kind,
            "error_retryable": retryable,
            "finished_at": timezone.now(),
            "worker_id": "",
        }
        texts = Segment.objects.filter(transcript_id=self.pk).values_list("text", flat=True)
        fields["text"] = "".join(texts).strip()
        if status == Status.DONE:
            fields["progress_seconds"] = self.transcript.duration or F("progress_seconds")
        self._update(**fields)

    def _update(self, **fields) -> None:
        if not Transcript.objects.filter(pk=self.pk).update(**fields):
            raise _Gone


class _Gone(Exception):
    """The transcript was deleted while its job ran."""


def jobs_recover(*, stale_after: float | None = None) -> list[str]:
    """Re-queue running jobs whose worker died: on this host when its process is gone,
    anywhere when it has not reported for `stale_after` seconds. Returns the ids re-queued."""
    recovered = []
    for t in Transcript.objects.filter(status=Status.RUNNING):
        dead = worker_is_gone(t.worker_id, t.heartbeat_at, stale_after=stale_after)
        # The conditional update claims the job, so two recovering workers never both re-queue it.
        if dead and Transcript.objects.filter(
            pk=t.pk, status=Status.RUNNING, worker_id=t.worker_id
        ).update(status=Status.QUEUED, worker_id=""):
            transcript_enqueue(t)
            recovered.append(str(t.pk))
    return recovered


def transcribe_file(
    *,
    path: Path,
    options: TranscriptionOptions,
    speakers: bool = False,
    num_speakers: int | None = None,
) -> TranscriptDocument:
    """Transcribe a file in this process, without saving anything (the command line uses it);
    with `speakers`, also diarize it (`num_speakers` None: estimate the count)."""
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
    language, segments, provided = options.language or "en", [], None
    for event in stt_backends[options.engine].transcribe(request):
        if isinstance(event, LanguageDetected):
            language = event.language
        elif isinstance(event, ProviderAnalyses):
            provided = event
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
                )
            )
    document = TranscriptDocument(
        language=language, duration=info.duration, segments=tuple(segments), task=options.task
    )
    if not speakers:
        return document
    return analysis_services.document_diarize(
        path=path,
        document=document,
        num_speakers=num_speakers,
        diarization=provided.diarization if provided else None,
    )
