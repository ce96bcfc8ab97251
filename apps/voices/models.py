"""Custom voices: samples of one speaker (with the consent under which they were given), the
voice match made from them, an optional cloud clone, shares, and cached previews."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import get_valid_filename

from apps.jobs.models import Job

# Custom voice ids as the API and the studio see them, like OpenAI's "voice_1234".
CUSTOM_PREFIX = "voice_"


def voice_folder(voice: "CustomVoice") -> str:
    """Everything a custom voice owns lives here, so deleting the voice removes it all."""
    return f"voices/{voice.owner_id}/{voice.id}"


def sample_upload_to(sample: "VoiceSample", filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:10]
    try:
        stem = get_valid_filename(Path(filename).stem)[:60].strip("._")
    except Exception:  # get_valid_filename refuses names that reduce to nothing
        stem = ""
    return f"{voice_folder(sample.voice)}/samples/{sample.id.hex[:8]}-{stem or 'sample'}{suffix}"


class CustomVoice(Job):
    """A custom voice; the job is its build: the sample checks, then the voice match."""

    CHECKING = "Checking the samples"
    MATCHING = "Matching a stock voice"
    running_label = "Making the voice"
    internal_error = "An internal error stopped the voice from being made."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_voices"
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="VoiceShare", related_name="voices_shared_with_me"
    )

    # apps.engines.voice.match.VoiceMatch.as_dict(): the stock voice, how it is reshaped, and the
    # measured similarities (stock, vocoded, matched).
    match = models.JSONField(null=True, blank=True)
    # "engine:voice" the owner chose among the match's candidates; empty: the nearest.
    base_voice = models.CharField(max_length=200, blank=True)

    # The cloud clone, where a VOICE_CLONING backend is configured (its job: VoiceClone).
    cloud_engine = models.CharField(max_length=50, blank=True, help_text="VOICE_CLONING alias.")
    cloud_tts_engine = models.CharField(
        max_length=50, blank=True, help_text="TEXT_TO_SPEECH alias that speaks the clone."
    )
    cloud_voice_id = models.CharField(max_length=200, blank=True)
    cloud_requires_verification = models.BooleanField(default=False)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def execute(self, run) -> None:
        from .services.custom import voice_build_execute  # services import this module

        voice_build_execute(voice=self, run=run)

    def on_done(self) -> None:
        from .services.previews import preview_refresh

        preview_refresh(voice=self)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def status_label(self) -> str:
        return "Ready" if self.is_ready else super().status_label

    @property
    def clone_job(self) -> "VoiceClone | None":
        try:
            return self.clone
        except VoiceClone.DoesNotExist:
            return None

    @property
    def cloud_status(self) -> str:
        """The clone's job status; empty when the voice has not been sent to be cloned."""
        job = self.clone_job
        return job.status if job else ""

    @property
    def cloud_error(self) -> str:
        job = self.clone_job
        return job.error if job else ""

    @property
    def cloud_active(self) -> bool:
        job = self.clone_job
        return bool(job and job.is_active)

    def get_absolute_url(self) -> str:
        return reverse("voices:detail", args=[self.pk])

    @property
    def public_id(self) -> str:
        return f"{CUSTOM_PREFIX}{self.id.hex}"


class VoiceClone(Job):
    """Sending a custom voice's samples to a cloning provider; the voice keeps the result."""

    running_label = "Cloning"
    internal_error = "An internal error stopped the cloning."

    voice = models.OneToOneField(CustomVoice, on_delete=models.CASCADE, related_name="clone")
    engine = models.CharField(max_length=50, help_text="VOICE_CLONING alias.")

    def __str__(self) -> str:
        return f"Clone of {self.voice_id} at {self.engine}: {self.status}"

    def execute(self, run) -> None:
        from .services.cloning import clone_execute  # services import this module

        clone_execute(clone=self, run=run)

    def on_done(self) -> None:
        from .services.previews import preview_refresh

        preview_refresh(voice=self.voice)


class VoiceConsent(models.Model):
    """What the owner confirmed before samples were accepted: kept with those samples."""

    class Basis(models.TextChoices):
        OWN_VOICE = "own_voice", "This is my own voice"
        WRITTEN_PERMISSION = "written_permission", "I have the speaker's written permission"

    voice = models.ForeignKey(CustomVoice, on_delete=models.CASCADE, related_name="consents")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    speaker_name = models.CharField(max_length=200)
    statement = models.TextField(help_text="The exact text the user agreed to.")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_consents"
    )
    confirmed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["confirmed_at"]

    def __str__(self) -> str:
        return f"{self.get_basis_display()}: {self.speaker_name}"


class VoiceSample(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        RECORDING = "recording", "Recorded in the browser"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    voice = models.ForeignKey(CustomVoice, on_delete=models.CASCADE, related_name="samples")
    consent = models.ForeignKey(VoiceConsent, on_delete=models.CASCADE, related_name="samples")
    file = models.FileField(upload_to=sample_upload_to, max_length=500)
    original_filename = models.CharField(max_length=255)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    content_type = models.CharField(max_length=100, blank=True)
    duration = models.FloatField(default=0.0, help_text="Seconds, as decoded.")

    # Set by the checks in the build job; `passed` is None until then.
    passed = models.BooleanField(null=True)
    # [{"name", "ok", "message"}], one per check, in the order they ran.
    checks = models.JSONField(default=list, blank=True)
    speech_seconds = models.FloatField(null=True, blank=True)
    level_db = models.FloatField(null=True, blank=True, help_text="Speech level, dBFS.")
    clipped_percent = models.FloatField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_filename


class VoiceShare(models.Model):
    """Read-and-use access to a voice for one user; only the owner edits or deletes it."""

    voice = models.ForeignKey(CustomVoice, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_shares"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["voice", "user"], name="unique_voice_share")]

    def __str__(self) -> str:
        return f"{self.voice} shared with {self.user}"


def preview_upload_to(preview: "VoicePreview", filename: str) -> str:
    if preview.custom_voice_id:
        return f"{voice_folder(preview.custom_voice)}/preview{Path(filename).suffix}"
    safe = get_valid_filename(preview.key.replace(":", "__").replace("+", "_"))[:150]
    return f"voices/previews/{safe}{Path(filename).suffix}"


class VoicePreview(Job):
    """A short clip of a voice, synthesised once by a worker and then served as a file. Stock
    voices' previews are shared by everyone (no owner)."""

    queue_name = "speech"
    priority = 10  # someone waits to listen
    running_label = "Synthesising"

    # The voice id as voice_resolve takes it: "piper:joe", "voice_<hex>".
    key = models.CharField(max_length=250, unique=True)
    custom_voice = models.ForeignKey(
        CustomVoice, null=True, blank=True, on_delete=models.CASCADE, related_name="previews"
    )
    text = models.TextField(blank=True)
    file = models.FileField(upload_to=preview_upload_to, max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.status}"

    def execute(self, run) -> None:
        from .services.previews import preview_execute  # services import this module

        preview_execute(preview=self, run=run)

    def on_gone(self) -> None:
        if self.file:
            self.file.delete(save=False)


class Pronunciation(models.Model):
    """How one user wants a word said. A respelling entry: every engine reads `say_as` ("nuh-VAIR"
    for "Nevers") in its place. A phoneme entry (`phonemes`, IPA): engines that take phonemes say
    them; the others read `say_as`, the user's respelling or one made from the phonemes."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pronunciations"
    )
    word = models.CharField(max_length=100)
    say_as = models.CharField(max_length=200)
    phonemes = models.CharField(max_length=200, blank=True)  # IPA, as the engines spell it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "word"], name="one_pronunciation_per_word")
        ]

    def __str__(self) -> str:
        return f"{self.word} → {self.say_as}"
