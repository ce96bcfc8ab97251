"""Custom voices: made from samples with the owner's consent, checked and matched in a worker,
shared with named users, deleted with everything derived from them."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from apps.core.media import InvalidMedia, decode_all, probe_file, probe_stored
from apps.core.storage import folder_delete, local_copies, media_exists
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.voice.match import voice_match
from apps.jobs.runner import JobRun
from apps.jobs.services import job_enqueue, job_retry

from .. import sample_checks
from ..models import CustomVoice, VoiceConsent, VoiceSample, VoiceShare, voice_folder
from . import cloning
from .matching import chosen_base, match_candidates, sample_language

logger = logging.getLogger(__name__)
Status = CustomVoice.Status

MAX_SAMPLES = 25
# Over all samples of a voice (the checks' rule); also the most one sample may be.
MAX_SECONDS = sample_checks.MAX_TOTAL_SECONDS

_SPEAKER = "{speaker}"
CONSENT_STATEMENTS = {
    VoiceConsent.Basis.OWN_VOICE: (
        "I confirm that these recordings are of my own voice ({speaker}) and I agree that a "
        "synthetic voice is made from them. I will not use it to deceive, impersonate or harm "
        "anyone."
    ),
    VoiceConsent.Basis.WRITTEN_PERMISSION: (
        "I confirm that I have the written permission of {speaker}, the person speaking in these "
        "recordings, to make a synthetic voice from them and to use it as they agreed. I will "
        "not use it to deceive, impersonate or harm anyone."
    ),
}


def consent_statement(*, basis: str, speaker_name: str) -> str:
    """The text the user agrees to, with the speaker's name in it (the template when empty)."""
    return CONSENT_STATEMENTS[VoiceConsent.Basis(basis)].format(
        speaker=speaker_name.strip() or _SPEAKER.format(speaker="the speaker")
    )


@dataclass(frozen=True)
class Consent:
    """What the user confirmed in the form, and where from."""

    basis: str
    speaker_name: str
    confirmed: bool
    ip_address: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class SampleUpload:
    file: UploadedFile
    source: str = VoiceSample.Source.UPLOAD


def voice_create(
    *,
    owner: User,
    name: str,
    samples: Sequence[SampleUpload],
    consent: Consent,
    description: str = "",
) -> CustomVoice:
    """Store the samples with the consent under which they were given, and queue the build
    (checks, then the voice match; then the cloud clone where cloning is configured).

    Raises ValidationError on "consent" (not confirmed), "name" or "samples" (none, too many,
    or not audio); nothing is kept then.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "The voice needs a name."})
    _validate_consent(consent)
    with transaction.atomic():
        voice = CustomVoice.objects.create(
            owner=owner, name=name[:100], description=description.strip()[:300]
        )
        _store_samples(voice, owner, samples, consent)
    job_enqueue(voice)
    return voice


def samples_add(
    *, voice: CustomVoice, samples: Sequence[SampleUpload], consent: Consent
) -> list[VoiceSample]:
    """More samples for a voice whose build failed, under a newly confirmed consent."""
    if voice.status != Status.FAILED:
        raise ValidationError({"samples": "Samples can be added when a voice could not be made."})
    _validate_consent(consent)
    with transaction.atomic():
        return _store_samples(voice, voice.owner, samples, consent)


def _validate_consent(consent: Consent) -> None:
    errors = {}
    if consent.basis not in VoiceConsent.Basis.values:
        errors["consent_basis"] = "Say whose voice this is."
    if not consent.speaker_name.strip():
        errors["speaker_name"] = "Give the speaker's name."
    if not consent.confirmed:
        errors["consent"] = "A voice is made only after you confirm the consent statement."
    if errors:
        raise ValidationError(errors)


def _store_samples(
    voice: CustomVoice, owner: User, samples: Sequence[SampleUpload], consent: Consent
) -> list[VoiceSample]:
    """Save the files and their rows; on a bad file, remove what was saved and raise."""
    count = voice.samples.count() + len(samples)
    if not samples or count > MAX_SAMPLES:
        raise ValidationError(
            {"samples": f"Give between 1 and {MAX_SAMPLES} recordings of the speaker."}
        )
    consent_row = VoiceConsent.objects.create(
        voice=voice,
        basis=consent.basis,
        speaker_name=consent.speaker_name.strip()[:200],
        statement=consent_statement(basis=consent.basis, speaker_name=consent.speaker_name),
        confirmed_by=owner,
        confirmed_at=timezone.now(),
        ip_address=consent.ip_address or None,
        user_agent=consent.user_agent[:300],
    )
    stored, errors = [], []
    for upload in samples:
        original = Path(upload.file.name or "recording").name
        sample = VoiceSample(
            voice=voice,
            consent=consent_row,
            original_filename=original[:255],
            source=upload.source,
            content_type=(getattr(upload.file, "content_type", "") or "")[:100],
        )
        try:
            # Refused from the container's duration, before any decoding or storing.
            sample.duration = probe_file(upload.file, max_seconds=MAX_SECONDS).duration
        except InvalidMedia as exc:
            errors.append(f"{original}: {exc}")
            continue
        sample.file.save(original, upload.file, save=False)
        stored.append(sample)
    total = sum(s.duration for s in stored) + sum(voice.samples.values_list("duration", flat=True))
    if not errors and total > MAX_SECONDS:
        errors.append(_too_much_message(total))
    if errors:
        for sample in stored:
            sample.file.delete(save=False)
        if not voice.samples.exists():  # a new voice: its folder goes too
            _delete_folder(voice_folder(voice))
        raise ValidationError({"samples": errors})
    for sample in stored:
        sample.save()
    return stored


def voice_retry(*, voice: CustomVoice) -> None:
    """Build a voice whose build failed again (after samples were removed or added)."""
    job_retry(job=voice)


def sample_delete(*, sample: VoiceSample) -> None:
    """Remove one sample of a voice that could not be made (so it can be tried again)."""
    if sample.voice.status != Status.FAILED:
        raise ValidationError("Samples can be removed when a voice could not be made.")
    sample.file.delete(save=False)
    sample.delete()


def voice_share(*, voice: CustomVoice, username: str) -> VoiceShare | None:
    """Let `username` see and speak with the voice (not edit, delete or hear the samples).

    No such user gives None, not an error: the answer must not tell who has an account."""
    user = User.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if user is None:
        return None
    if user.pk == voice.owner_id:
        raise ValidationError({"username": "The voice is yours already."})
    share, _ = VoiceShare.objects.get_or_create(voice=voice, user=user)
    return share


def voice_unshare(*, voice: CustomVoice, user_id: int) -> None:
    VoiceShare.objects.filter(voice=voice, user_id=user_id).delete()


def voice_delete(*, voice: CustomVoice, keep_cloud: bool = False) -> None:
    """Delete the voice with its samples, consents, shares, previews and files.

    Its clone at the provider is deleted first; when that fails, ProviderError is raised and
    nothing is deleted here, unless `keep_cloud` (the owner chose to delete it here anyway,
    knowing the clone stays at the provider).
    """
    if voice.cloud_voice_id and not keep_cloud:
        cloning.clone_delete(voice=voice)
    folder = voice_folder(voice)  # before delete() clears the primary key
    voice.delete()
    _delete_folder(folder)


def _delete_folder(folder: str) -> None:
    folder_delete(folder)


# --- In the worker ---------------------------------------------------------------------------


def voice_build_execute(*, voice: CustomVoice, run: JobRun) -> None:
    """Check the samples and make the voice match (in a worker, through the job runner); the
    cloud clone starts once the samples pass."""
    samples = list(voice.samples.all())
    run.progress(0, len(samples) + 1, stage=CustomVoice.CHECKING)
    _samples_probe(samples)
    # A worker on another machine than the upload decodes local copies of an object store's.
    with local_copies(s.file for s in samples) as paths:
        audio = _check_samples(samples, paths, run)
        cloning.clone_start(voice=voice)
        run.progress(len(samples), stage=CustomVoice.MATCHING)
        longest = max(range(len(samples)), key=lambda n: len(audio[n]))
        language = sample_language(paths[longest])
    match = voice_match(
        audio,
        match_candidates(language=language),
        language=language,
        base=chosen_base(voice),
        fit_candidates=settings.VOICEPORTAL_MATCH_FITTED,
    )
    run.update(match=match.as_dict())


def _check_samples(samples: list[VoiceSample], paths: list[Path], run: JobRun) -> list:
    """Run the checks, store each sample's results; the decoded audio when all pass."""
    audio, reports, left = [], [], MAX_SECONDS
    # One sample decoded at a time, each stopped at what the set may still hold: the total is
    # bounded before decoding, whatever the files claim.
    for n, (sample, path) in enumerate(zip(samples, paths, strict=True)):
        run.progress(n)
        try:
            audio.append(decode_all(path, max_seconds=left))
        except InvalidMedia as exc:
            raise ProviderError(
                f"{sample.original_filename}: {exc} {_too_much_message(None)}",
                kind=ErrorKind.INVALID_INPUT,
            ) from exc
        left -= len(audio[-1]) / sample_checks.SAMPLE_RATE
        report = sample_checks.sample_check(audio[-1])
        channels = _channels(path, len(audio[-1]))
        reports.append(sample_checks.channels_check(report, channels) if channels else report)
    reports, problems = sample_checks.set_check(reports, [s.original_filename for s in samples])
    for sample, report in zip(samples, reports, strict=True):
        VoiceSample.objects.filter(pk=sample.pk).update(
            duration=report.duration,
            passed=report.passed,
            checks=[c.as_dict() for c in report.checks],
            speech_seconds=round(report.speech_seconds, 2),
            level_db=round(report.level_db, 1),
            clipped_percent=round(report.clipped_percent, 3),
        )
    failed = sum(not r.passed for r in reports)
    if failed:
        problems.insert(
            0,
            f"{failed} of {len(reports)} samples did not pass the checks (see each sample); "
            "remove them or add better ones, then try again.",
        )
    if problems:
        raise ProviderError(" ".join(problems), kind=ErrorKind.INVALID_INPUT)
    return audio


def _channels(path: Path, length: int) -> list[np.ndarray]:
    """Each channel of a two-channel file as 16 kHz float32 (`length` samples at most, what the
    mono decode held); empty for a mono file or one that will not decode."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            if stream.channels != 2:
                return []
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=16_000)
            blocks, total = [], 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray())
                    total += blocks[-1].shape[1]
                if total >= length:
                    break
    except (av.FFmpegError, IndexError):
        return []
    if not blocks:
        return []
    both = np.concatenate(blocks, axis=1)[:, :length]
    return [both[0].astype(np.float32), both[1].astype(np.float32)]


def _samples_probe(samples: list[VoiceSample]) -> None:
    """Each file probed (from the storage, as a stream) before any is decoded: a set too long
    fails here, at once."""
    total = 0.0
    for sample in samples:
        if not media_exists(sample.file):
            raise ProviderError(
                f"The sample {sample.original_filename} is missing from storage.",
                kind=ErrorKind.INVALID_INPUT,
            )
        try:
            total += probe_stored(sample.file, max_seconds=MAX_SECONDS).duration
        except InvalidMedia as exc:
            raise ProviderError(
                f"{sample.original_filename}: {exc}", kind=ErrorKind.INVALID_INPUT
            ) from exc
    if total > MAX_SECONDS:
        raise ProviderError(_too_much_message(total), kind=ErrorKind.INVALID_INPUT)


def _too_much_message(total: float | None) -> str:
    held = f"The samples add up to {total / 60:.1f} minutes; k" if total else "K"
    return f"{held}eep them under {MAX_SECONDS / 60:g} minutes in all (remove some)."
