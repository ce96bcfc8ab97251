"""A voice conversation with the assistant and its turns, each side's text and audio kept."""

import uuid

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    class Source(models.TextChoices):
        WEB = "web", "Conversation page"
        API = "api", "Realtime API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True, help_text="The system prompt; empty: default.")
    voice_id = models.CharField(max_length=100, blank=True, help_text="A voice library id.")
    engine = models.CharField(max_length=50, help_text="A CONVERSATION_ENGINES alias.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


def _turn_audio_path(turn: "Turn", filename: str) -> str:
    return f"conversations/{turn.conversation.owner_id}/{turn.conversation_id}/{filename}"


class Turn(models.Model):
    class Role(models.TextChoices):
        USER = "user", "You"
        ASSISTANT = "assistant", "Assistant"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField(blank=True)
    # WAV, PCM16 24 kHz mono; none for typed turns.
    audio = models.FileField(upload_to=_turn_audio_path, blank=True)
    # The engine's item id, so a later truncation finds the turn.
    item_id = models.CharField(max_length=64, blank=True)
    # The assistant was cut off: `text` is what the listener heard.
    interrupted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"
