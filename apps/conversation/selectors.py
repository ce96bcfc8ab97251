"""Reads, always scoped by owner: another user's conversation is a 404 like a missing one."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from apps.engines.llm.base import ChatMessage

from .models import Conversation, Turn


def conversation_list(*, owner) -> QuerySet[Conversation]:
    return Conversation.objects.filter(owner=owner)


def conversation_get(*, owner, pk) -> Conversation:
    return get_object_or_404(Conversation, owner=owner, pk=pk)


def turn_get(*, owner, pk) -> Turn:
    return get_object_or_404(Turn, conversation__owner=owner, pk=pk)


def conversation_history(conversation: Conversation) -> tuple[ChatMessage, ...]:
    """What the model is told of a saved conversation when it is continued."""
    return tuple(ChatMessage(t.role, t.text) for t in conversation.turns.all() if t.text)
