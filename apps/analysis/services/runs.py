"""Analysis runs: asked for with the upload or from the transcript page, started when the
transcript is done, and run one by one in the worker, each with its own status and error."""

import logging
from dataclasses import asdict, astuple, replace
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.storage import StoredFile, local_copy
from apps.engines.analysis import analysis_backends
from apps.engines.analysis import base as engine
from apps.engines.analysis.speakers import label_segments
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.base import ProviderAnalyses, Word
from apps.engines.stt.base import Segment as EngineSegment
from apps.jobs.runner import JobRun
from apps.jobs.services import job_enqueue
from apps.jobs.workers import worker_is_gone
from apps.transcripts.formats import (
    DocumentOverlap,
    DocumentSegment,
    DocumentWord,
    TranscriptDocument,
    with_second_voices_marked,
)
from apps.transcripts.models import Transcript
from apps.transcripts.selectors import document_speaker

from .. import selectors
from ..models import SPEAKER_COLOURS, AnalysisRun, Speaker, VoiceProfile
from ..options import AnalysisOptions
from .overlaps import overlap_pieces
from .profiles import known_speaker_save
from .speakers import speakers_store

logger = logging.getLogger(__name__)
Kind = AnalysisRun.Kind
Status = AnalysisRun.Status
INTERNAL_ERROR = AnalysisRun.internal_error


def analyses_start(*, transcript: Transcript, options: AnalysisOptions) -> list[AnalysisRun]:
    """Ask for analyses of a transcript, each replacing an earlier run of its kind (whose result
    stays until the new one succeeds). They wait for the transcription, or are queued at once
    when it is done. Raises ValidationError when one of them is running right now."""
    busy = [
        run.get_kind_display()
        for run in transcript.analysis_runs.filter(kind__in=options.kinds, status=Status.RUNNING)
        if not _worker_gone(run)
    ]
    if busy:
        raise ValidationError({"analyses": f"Already running: {', '.join(busy)}."})
    known_paths = tuple(
        known_speaker_save(transcript=transcript, known=k, n=n)
        for n, k in enumerate(options.known_speakers)
    )
    runs = [
        AnalysisRun.objects.update_or_create(
            transcript=transcript,
            kind=kind,
            defaults={
                "owner_id": transcript.owner_id,
                "status": Status.WAITING,
                "options": options.for_kind(kind, known_paths=known_paths),
                "engine": analysis_backends.default_alias,
                "progress_done": 0.0,
                "progress_total": 1.0,
                "stage": "",
                "cancel_requested": False,
                "error": "",
                "error_kind": "",
                "error_retryable": False,
                "worker_id": "",
                "heartbeat_at": None,
                "started_at": None,
                "finished_at": None,
            },
        )[0]
        for kind in options.kinds
    ]
    # The row, not `transcript`: the job may have finished since it was read.
    if Transcript.objects.filter(pk=transcript.pk, status=Transcript.Status.DONE).exists():
        _start_waiting(transcript, runs, provided=None)
    return runs


def on_transcript_created(*, transcript: Transcript, analyses=None, **kwargs) -> None:
    """The analyses asked for with an upload wait for its transcription."""
    if analyses and analyses.kinds:
        analyses_start(transcript=transcript, options=analyses)


def analyses_after_transcription(
    *, transcript_id, provided: ProviderAnalyses | None = None, **signal
) -> None:
    """When a transcription is done (the `transcript_done` signal; `signal` takes its sender):
    store what the speech-to-text engine already provided, and queue the other analyses that
    were asked for. Never raises: the transcript is done whatever happens here."""
    try:
        transcript = Transcript.objects.get(pk=transcript_id)
        runs = list(transcript.analysis_runs.filter(status=Status.WAITING))
        _start_waiting(transcript, runs, provided)
    except Transcript.DoesNotExist:
        return
    except Exception:
        logger.exception("Starting the analyses of transcript %s failed", transcript_id)
        AnalysisRun.objects.filter(transcript_id=transcript_id, status=Status.WAITING).update(
            status=Status.FAILED,
            error=INTERNAL_ERROR,
            error_kind=ErrorKind.INTERNAL,
            error_retryable=True,
            finished_at=timezone.now(),
        )


def _start_waiting(transcript, runs, provided: ProviderAnalyses | None) -> None:
    has_speech = transcript.segments.exists()
    language = selectors.analysis_language(transcript)
    for run in runs:
        found = _provided(provided, run.kind)
        if found is not None:
            _store_provided(transcript, run, found)
        elif not has_speech:
            _mark_unavailable(run, "There is no speech to analyse.")
        else:
            backend = analysis_backends[run.engine]
            reason = backend.unavailable(language).get(engine.Analysis(run.kind))
            if reason:
                _mark_unavailable(run, reason)
            else:
                _queue(run)


def _provided(provided: ProviderAnalyses | None, kind: str):
    if provided is None:
        return None
    value = {
        Kind.SPEAKERS: provided.diarization,
        Kind.CHAPTERS: provided.chapters,
        Kind.ENTITIES: provided.entities,
        Kind.SENTIMENT: provided.sentiment,
        Kind.KEYWORDS: provided.keywords,
        Kind.SUMMARY: provided.summary,
    }[kind]
    return value or None


def _store_provided(transcript, run: AnalysisRun, value) -> None:
    now = timezone.now()
    with transaction.atomic():
        if run.kind == Kind.SPEAKERS:
            source = selectors.analysis_transcript(transcript)
            speakers_store(transcript=transcript, diarization=value, source=source)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=Status.DONE,
            engine=transcript.engine,
            result=_serialised(run.kind, value),
            progress_done=1.0,
            progress_total=1.0,
            started_at=now,
            finished_at=now,
        )


def _mark_unavailable(run: AnalysisRun, reason: str) -> None:
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=Status.SKIPPED, error=reason, finished_at=timezone.now()
    )


def _queue(run: AnalysisRun) -> None:
    # Conditional: the job's hook and a user's request may both try to start a waiting run.
    if AnalysisRun.objects.filter(pk=run.pk, status=Status.WAITING).update(status=Status.QUEUED):
        job_enqueue(run)


# --- In the worker ---------------------------------------------------------------------------


def analysis_run_execute(*, analysis: AnalysisRun, run: JobRun):
    """Do a claimed run (through the job runner); returns its result to store. Only a speakers
    run writes to the transcript (its segments, split by speaker); a failure is kept on the
    run, and the transcript stays as it was."""
    run.progress(0.05, 1.0)
    return _execute(analysis, run)


_TEXT_ANALYSES = {
    Kind.CHAPTERS: lambda backend, t: backend.chapters(t),
    Kind.ENTITIES: lambda backend, t: backend.entities(t),
    Kind.SENTIMENT: lambda backend, t: backend.sentiment(t),
    Kind.KEYWORDS: lambda backend, t: backend.keywords(t),
    Kind.SUMMARY: lambda backend, t: backend.summarize(t),
}


def _execute(analysis: AnalysisRun, run: JobRun):
    transcript = analysis.transcript
    backend = analysis_backends[analysis.engine]
    source = selectors.analysis_transcript(transcript)
    if analysis.kind != Kind.SPEAKERS:
        return _serialised(analysis.kind, _TEXT_ANALYSES[analysis.kind](backend, source))
    if not transcript.media:
        raise ProviderError("The recording is missing.", kind=ErrorKind.INVALID_INPUT)
    profiles = _profiles(analysis, backend)
    run.progress(0.2)
    # A worker on another machine than the upload reads a local copy of an object store's.
    with local_copy(transcript.media) as path:
        diarization = backend.diarize(
            engine.DiarizationRequest(
                audio_path=path,
                transcript=source,
                num_speakers=analysis.options.get("num_speakers"),
                profiles=profiles,
            )
        )
    run.progress(0.9)
    with transaction.atomic():
        run.progress(0.95)  # JobGone first when the run was deleted or taken over
        speakers_store(transcript=transcript, diarization=diarization, source=source)
    return _serialised(Kind.SPEAKERS, diarization)


def _profiles(run: AnalysisRun, backend) -> tuple[engine.VoiceProfile, ...]:
    """The request's known speakers first, then the owner's saved voices from this engine."""
    known = tuple(
        engine.VoiceProfile(id=f"known:{n}", name=item["name"], embedding=_embedding(backend, item))
        for n, item in enumerate(run.options.get("known_speakers") or ())
    )
    names = {p.name for p in known}
    saved = tuple(
        engine.VoiceProfile(id=str(p.pk), name=p.name, embedding=tuple(p.embedding))
        for p in VoiceProfile.objects.filter(owner_id=run.transcript.owner_id, engine=run.engine)
        if p.name not in names and p.embedding
    )
    return known + saved


def _embedding(backend, known: dict) -> tuple[float, ...]:
    with local_copy(StoredFile(known["path"])) as path:
        return backend.voice_embedding(path)


def _serialised(kind: str, value):
    if kind == Kind.SPEAKERS:
        return [asdict(turn) for turn in value.turns]
    if kind == Kind.KEYWORDS:
        return [asdict(k) for k in value.keywords]
    if kind == Kind.SUMMARY:
        return asdict(value)
    return [asdict(item) for item in value]


def _worker_gone(run: AnalysisRun, stale_after: float | None = None) -> bool:
    """Its process is gone from this host, or its worker (anywhere) stopped reporting."""
    return worker_is_gone(run.worker_id, run.heartbeat_at, stale_after=stale_after)


# --- Without the database (the command line) --------------------------------------------------


def document_diarize(
    *,
    path: Path,
    document: TranscriptDocument,
    num_speakers: int | None = None,
    diarization: engine.Diarization | None = None,
) -> TranscriptDocument:
    """The document with its segments split and labelled by speaker, named A, B, C…
    `diarization`: one the speech-to-text engine already made; otherwise the default
    analysis engine diarizes `path` in this process."""
    source = engine.Transcript(
        tuple(
            EngineSegment(s.start, s.end, s.text, tuple(Word(*astuple(w)) for w in s.words))
            for s in document.segments
        ),
        language=document.language,
        marks=tuple(selectors.engine_marks(document.gaps)),
    )
    if diarization is None:
        diarization = analysis_backends.default().diarize(
            engine.DiarizationRequest(audio_path=path, transcript=source, num_speakers=num_speakers)
        )
    pieces = diarization.segments or label_segments(source, diarization.turns)
    figures = {s.label: s for s in diarization.speakers}
    labels = sorted({*figures, *(p.speaker for p in pieces)})
    speakers = {
        label: document_speaker(_unsaved_speaker(label, figures.get(label), n))
        for n, label in enumerate(labels)
    }
    segments = tuple(
        DocumentSegment(
            id=n,
            start=p.segment.start,
            end=p.segment.end,
            text=p.segment.text,
            words=tuple(DocumentWord(*astuple(w)) for w in p.segment.words),
            speaker=speakers[p.speaker],
        )
        for n, p in enumerate(pieces)
    )
    overlaps = tuple(
        DocumentOverlap(speakers[p.speaker], speakers.get(p.over or ""), p.start, p.end)
        for p in overlap_pieces(diarization)
        if p.speaker in speakers
    )
    return with_second_voices_marked(
        replace(document, segments=segments, speakers=tuple(speakers.values()), overlaps=overlaps)
    )


def _unsaved_speaker(label: str, figures: engine.Speaker | None, n: int) -> Speaker:
    return Speaker(
        label=label,
        name=(figures.name or "") if figures else "",
        colour=SPEAKER_COLOURS[n % len(SPEAKER_COLOURS)],
        talk_time=figures.talk_time if figures else 0.0,
        words=figures.words if figures else 0,
        words_per_minute=figures.words_per_minute if figures else 0.0,
        similarity=figures.similarity if figures else None,
    )
