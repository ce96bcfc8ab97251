"""Reads for the live page, always scoped by owner."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from apps.engines.stt.languages import LANGUAGES
from apps.jobs.models import JobStatus
from apps.transcripts.models import Transcript


def live_interrupted(*, owner: User) -> QuerySet[Transcript]:
    """Live recordings whose session was cut off (its process died) and not saved yet."""
    return (
        Transcript.objects.filter(
            owner=owner, status=JobStatus.WAITING, live_sessions__isnull=False
        )
        .exclude(live_sessions__status=JobStatus.RUNNING)
        .distinct()
    )


def live_transcript(*, owner: User, pk) -> Transcript | None:
    return (
        Transcript.objects.filter(owner=owner, pk=pk, live_sessions__isnull=False)
        .distinct()
        .first()
    )


def live_languages() -> list[tuple[str, str]]:
    return sorted(LANGUAGES.items(), key=lambda item: item[1])
