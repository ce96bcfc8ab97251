"""Reads for analyses, always scoped by owner: another user's id gives 404."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.engines.analysis import base
from apps.engines.stt.base import Segment as EngineSegment
from apps.engines.stt.base import Word
from apps.jobs.progress import JobProgress
from apps.transcripts.formats import TranscriptDocument
from apps.transcripts.models import Segment, Transcript
from apps.transcripts.selectors import transcript_document

from .models import AnalysisRun, Speaker, SpeakerOverlap, VoiceProfile
from .options import KINDS
from .redaction import redacted_document

Kind = AnalysisRun.Kind


def speaker_get(*, owner: User, pk) -> Speaker:
    return get_object_or_404(
        Speaker.objects.select_related("transcript"), pk=pk, transcript__owner=owner
    )


def segment_get(*, owner: User, pk) -> Segment:
    return get_object_or_404(
        Segment.objects.select_related("transcript"), pk=pk, transcript__owner=owner
    )


def voice_profile_list(*, owner: User) -> QuerySet[VoiceProfile]:
    return VoiceProfile.objects.filter(owner=owner)


def voice_profile_get(*, owner: User, pk) -> VoiceProfile:
    return get_object_or_404(VoiceProfile, pk=pk, owner=owner)


def analysis_runs(transcript: Transcript) -> list[AnalysisRun]:
    """The transcript's runs, in the order the page shows them."""
    by_kind = {run.kind: run for run in transcript.analysis_runs.all()}
    return [by_kind[k] for k in KINDS if k in by_kind]


def analysis_language(transcript: Transcript) -> str:
    if transcript.task == Transcript.Task.TRANSLATE:
        return "en"
    return transcript.detected_language or transcript.language or "en"


def analysis_transcript(transcript: Transcript) -> base.Transcript:
    """The transcript as the engines take it, with segments as transcribed: pieces split at a
    speaker change are joined again, so a re-run starts from what the recogniser heard."""
    groups: list[list[Segment]] = []
    for row in transcript.segments.all():
        key = row.source_index if row.source_index is not None else row.index
        if groups and _key(groups[-1][0]) == key:
            groups[-1].append(row)
        else:
            groups.append([row])
    return base.Transcript(
        tuple(_joined(g) for g in groups),
        language=analysis_language(transcript),
        marks=tuple(engine_marks(transcript.gaps.all())),
    )


def engine_marks(gaps) -> list[EngineSegment]:
    """The transcript's marks of speech without text (stored Gaps or DocumentGaps) as the
    engines take them: the speakers analysis gives laughter a speaker (analysis/laughter.py)."""
    return [
        EngineSegment(g.start, g.end, "", untranscribed=True, gap=g.reason, sound=g.sound)
        for g in gaps
    ]


def _key(row: Segment) -> int:
    return row.source_index if row.source_index is not None else row.index


def _joined(rows: list[Segment]) -> EngineSegment:
    first = rows[0]
    return EngineSegment(
        start=first.start,
        end=rows[-1].end,
        text="".join(r.text for r in rows),
        words=tuple(
            Word(w["word"], w["start"], w["end"], w.get("probability", 1.0))
            for r in rows
            for w in r.words
        ),
        avg_logprob=first.avg_logprob,
        no_speech_prob=first.no_speech_prob,
        compression_ratio=first.compression_ratio,
        temperature=first.temperature,
        tokens=tuple(t for r in rows for t in r.tokens),
        language=first.language,
    )


# Results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisResults:
    """What the analyses found, as the engines' own dataclasses; empty where none ran."""

    speakers: tuple[Speaker, ...] = ()
    chapters: tuple[base.Chapter, ...] = ()
    entities: tuple[base.Entity, ...] = ()
    sentiment: tuple[base.SentenceSentiment, ...] = ()
    keywords: tuple[base.Keyword, ...] = ()
    summary: base.Summary | None = None
    # Where a second speaker likely talks at the same time, in time order.
    overlaps: tuple[SpeakerOverlap, ...] = ()


def analysis_results(transcript: Transcript) -> AnalysisResults:
    stored = {
        kind: result
        for kind, result in transcript.analysis_runs.exclude(result=None).values_list(
            "kind", "result"
        )
    }
    summary = stored.get(Kind.SUMMARY)
    return AnalysisResults(
        speakers=tuple(transcript.speakers.select_related("profile")),
        chapters=tuple(base.Chapter(**c) for c in stored.get(Kind.CHAPTERS) or ()),
        entities=tuple(base.Entity(**e) for e in stored.get(Kind.ENTITIES) or ()),
        sentiment=tuple(base.SentenceSentiment(**s) for s in stored.get(Kind.SENTIMENT) or ()),
        keywords=tuple(
            base.Keyword(**{**k, "timestamps": tuple(map(tuple, k.get("timestamps", ())))})
            for k in stored.get(Kind.KEYWORDS) or ()
        ),
        summary=_summary(summary) if summary else None,
        overlaps=tuple(transcript.speaker_overlaps.order_by("start", "pk")),
    )


def _summary(data: dict) -> base.Summary:
    sentences = tuple(base.SummarySentence(**s) for s in data.get("sentences", ()))
    return base.Summary(data["text"], data["method"], data["model"], sentences)


def analysis_run_progress(run: AnalysisRun) -> JobProgress:
    """One analysis's state for the one progress partial; it polls while the run waits for
    the transcript or runs."""
    return JobProgress(
        job=run,
        poll_url=reverse("analysis:status", args=[run.transcript_id, run.kind]),
        label=f"{run.get_kind_display()} progress",
        failed_text=f"{run.get_kind_display()} failed",
        dom_id=f"run-{run.kind}-job",
        every="1s" if run.status == run.Status.RUNNING else "2s",
    )


def redacted_transcript(transcript: Transcript) -> TranscriptDocument:
    """The transcript's document with personal details replaced by their type (the entities
    analysis's names and places, and patterns for e-mails, phones, cards, addresses)."""
    return redacted_document(transcript_document(transcript))
