"""Writes for live sessions: start (or continue) a recording, save each final utterance, beat,
and end it as an ordinary transcript. Called from consumers through database_sync_to_async."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from apps.core.storage import growing_fetch, growing_path, growing_store
from apps.engines.stt import stt_backends
from apps.engines.stt.base import Segment as EngineSegment
from apps.jobs.models import JobStatus
from apps.jobs.runner import JobGone, JobRun
from apps.jobs.workers import worker_id
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.services import segment_save, transcript_done

from .models import LiveSession
from .recording import recording_open, recording_seal, recording_seconds

RECORDING_NAME = "recording.wav"


class LiveError(Exception):
    """A session cannot start or go on; `code` is what clients match on."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class LiveParams:
    engine: str
    model: str  # the final text's model, as the engine names it
    language: str = ""
    transcript_id: str = ""  # continue this transcript; empty: a new one
    source: str = LiveSession.Source.WEB


def recording_path(transcript: Transcript) -> Path:
    """Where the recording grows: the stored file on a local storage, else this machine's spool
    (stored when the session ends: see live_transcript_save)."""
    return growing_path(recording_name(transcript))[0]


def recording_name(transcript: Transcript) -> str:
    return f"transcripts/{transcript.owner_id}/{transcript.pk}/{RECORDING_NAME}"


def live_session_start(*, owner: User, params: LiveParams) -> LiveSession:
    """Open a session, refusing past the user's cap on sessions at once; the recording goes into
    a new transcript, or continues one of the user's earlier live transcripts."""
    with transaction.atomic():
        running = LiveSession.objects.filter(owner=owner, status=JobStatus.RUNNING).count()
        if running >= settings.VOICEPORTAL_LIVE_MAX_SESSIONS:
            raise LiveError(
                f"You have {running} live sessions open; the limit is "
                f"{settings.VOICEPORTAL_LIVE_MAX_SESSIONS}. Stop one first.",
                code="session_limit",
            )
        transcript = _continued(owner, params.transcript_id) if params.transcript_id else None
        transcript = transcript or _new_transcript(owner, params)
        # A continued recording kept in an object store is fetched to grow here.
        offset = recording_seconds(growing_fetch(recording_name(transcript)))
        Transcript.objects.filter(pk=transcript.pk).update(status=JobStatus.WAITING)
        now = timezone.now()
        session = LiveSession.objects.create(
            owner=owner,
            transcript=transcript,
            source=params.source,
            engine=params.engine,
            offset=offset,
            status=JobStatus.RUNNING,
            worker_id=worker_id(),
            heartbeat_at=now,
            started_at=now,
            attempts=1,
        )
    recording_open(recording_path(transcript))
    return session


def _continued(owner: User, transcript_id: str) -> Transcript:
    transcript = Transcript.objects.filter(
        owner=owner, pk=transcript_id, live_sessions__isnull=False
    ).first()
    if transcript is None:  # another user's, or not a live recording: the same answer
        raise LiveError("No live recording of yours has this id.", code="not_found")
    if transcript.live_sessions.filter(status=JobStatus.RUNNING).exists():
        raise LiveError("This recording is being recorded already.", code="busy")
    return transcript


def _new_transcript(owner: User, params: LiveParams) -> Transcript:
    source = Transcript.Source.API if params.source == LiveSession.Source.API else "web"
    transcript = Transcript(
        owner=owner,
        title=f"Live recording {timezone.localtime():%Y-%m-%d %H:%M}",
        source=source,
        original_filename=RECORDING_NAME,
        media_content_type="audio/wav",
        engine=stt_backends.default_alias,
        model=params.model,
        language=params.language,
        status=JobStatus.WAITING,
    )
    transcript.media.name = recording_name(transcript)
    transcript.save()
    return transcript


def live_segment_save(*, session: LiveSession, segment: EngineSegment, language: str) -> None:
    transcript_id = session.transcript_id
    with transaction.atomic():
        index = Segment.objects.filter(transcript_id=transcript_id).count()
        segment_save(transcript_id=transcript_id, index=index, segment=segment)
        if language:
            Transcript.objects.filter(pk=transcript_id, detected_language="").update(
                detected_language=language, language_probability=1.0
            )


def live_session_beat(*, session: LiveSession, audio_seconds: float) -> bool:
    """Keep the reaper away; False when the session is no longer this process's (reaped or
    ended)."""
    try:
        JobRun(session).update(audio_seconds=audio_seconds, progress_done=audio_seconds)
    except JobGone:
        return False
    return True


def live_session_end(
    *, session: LiveSession, error: str = "", error_kind: str = ""
) -> Transcript | None:
    """Close the session and save its transcript: the sealed recording with its duration, the
    text of its segments, status done. An error is kept on the session; what arrived is kept."""
    now = timezone.now()
    status = JobStatus.FAILED if error else JobStatus.DONE
    LiveSession.objects.filter(pk=session.pk, status=JobStatus.RUNNING).update(
        status=status, error=error, error_kind=error_kind, finished_at=now, worker_id=""
    )
    transcript = Transcript.objects.filter(pk=session.transcript_id).first()
    return live_transcript_save(transcript=transcript) if transcript else None  # None: deleted


def live_transcript_save(*, transcript: Transcript) -> Transcript:
    """Make a live recording an ordinary finished transcript (also one whose session was cut
    off by a dead process)."""
    # Where the session ran on another machine, its last stored recording is what there is.
    path = growing_fetch(recording_name(transcript))
    duration = recording_seal(path) if path.exists() else 0.0
    size = path.stat().st_size if path.exists() else 0
    growing_store(recording_name(transcript))  # from the spool, where it grew there
    texts = Segment.objects.filter(transcript=transcript).values_list("text", flat=True)
    spent = sum(
        (s.finished_at - s.started_at).total_seconds()
        for s in transcript.live_sessions.exclude(finished_at=None).exclude(started_at=None)
    )
    Transcript.objects.filter(pk=transcript.pk).update(
        status=JobStatus.DONE,
        duration=duration,
        progress_done=duration,
        progress_total=duration,
        media_size=size,
        text="".join(texts).strip(),
        finished_at=timezone.now(),
        processing_seconds=spent,
    )
    transcript.refresh_from_db()
    transcript_done(transcript=transcript)
    return transcript
