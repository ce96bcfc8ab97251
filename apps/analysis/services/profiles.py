"""Voice profiles: a named speaker saved by its owner, so later recordings name that voice."""

import re
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from apps.transcripts.models import Transcript

from ..models import AnalysisRun, Speaker, VoiceProfile
from ..options import KnownSpeaker


@transaction.atomic
def voice_profile_save(*, speaker: Speaker, name: str = "") -> VoiceProfile:
    """Save the speaker's voice under `name` (default: the speaker's name) for the transcript's
    owner, replacing the voice of a profile of that name. The speaker takes the name."""
    name = (name or speaker.name).strip()[:100]
    if not name:
        raise ValidationError({"name": "Name the speaker before saving the voice."})
    if not speaker.embedding:
        raise ValidationError({"name": "This engine gave no voice embedding for the speaker."})
    transcript = speaker.transcript
    engine = (
        transcript.analysis_runs.filter(kind=AnalysisRun.Kind.SPEAKERS)
        .values_list("engine", flat=True)
        .first()
    )
    profile, _ = VoiceProfile.objects.update_or_create(
        owner_id=transcript.owner_id,
        name=name,
        defaults={
            "embedding": speaker.embedding,
            "engine": engine or "",
            "source": f"{speaker.display_name} in “{transcript.title}”"[:300],
            "source_transcript": transcript,
        },
    )
    speaker.name, speaker.profile, speaker.similarity = name, profile, None
    speaker.save(update_fields=["name", "profile", "similarity"])
    return profile


def voice_profile_rename(*, profile: VoiceProfile, name: str) -> None:
    name = name.strip()[:100]
    if not name:
        raise ValidationError({"name": "A name cannot be empty."})
    profile.name = name
    try:
        with transaction.atomic():
            profile.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise ValidationError(
            {"name": f"You already have a voice profile called {name}."}
        ) from None


def voice_profile_delete(*, profile: VoiceProfile) -> None:
    """Speakers it named keep their names; later recordings are no longer matched to it."""
    profile.delete()


def known_speaker_save(*, transcript: Transcript, known: KnownSpeaker, n: int) -> str:
    """Store a known speaker's clip beside the transcript's media (deleted with it)."""
    folder = PurePosixPath(transcript.media.name).parent
    suffix = known.suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", known.suffix) else ".wav"
    return default_storage.save(str(folder / f"known_speaker_{n}{suffix}"), ContentFile(known.data))
