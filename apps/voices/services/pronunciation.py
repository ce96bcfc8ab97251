"""Each user's pronunciation dictionary, applied to the text before any engine reads it."""

import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from ..models import Pronunciation

MAX_ENTRIES = 500


def pronunciation_set(*, owner: User, word: str, say_as: str) -> Pronunciation:
    """Add the word, or change how it is said. Raises ValidationError on an empty or
    multi-word entry, or past MAX_ENTRIES words."""
    word, say_as = " ".join(word.split()), " ".join(say_as.split())
    errors = {}
    if not word or len(word) > 100 or not re.fullmatch(r"[\w'.-]+", word):
        errors["word"] = "Give one word (letters, digits, ' . -), at most 100 characters."
    if not say_as or len(say_as) > 200:
        errors["say_as"] = "Say how to read it (a respelling), at most 200 characters."
    if errors:
        raise ValidationError(errors)
    existing = Pronunciation.objects.filter(owner=owner, word__iexact=word).first()
    if existing is None and owner.pronunciations.count() >= MAX_ENTRIES:
        raise ValidationError({"word": f"The dictionary holds at most {MAX_ENTRIES} words."})
    if existing:
        existing.word, existing.say_as = word, say_as
        existing.save(update_fields=["word", "say_as"])
        return existing
    return Pronunciation.objects.create(owner=owner, word=word, say_as=say_as)


def pronunciation_delete(*, entry: Pronunciation) -> None:
    entry.delete()


def pronounce(text: str, *, owner_id: int | None) -> str:
    """`text` with the owner's words replaced by how they want them said (whole words, any
    case)."""
    if owner_id is None:
        return text
    entries = dict(Pronunciation.objects.filter(owner_id=owner_id).values_list("word", "say_as"))
    if not entries:
        return text
    by_lower = {word.lower(): say for word, say in entries.items()}
    # Longest first, so "New-York" wins over "New".
    words = sorted(entries, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w'-])(" + "|".join(map(re.escape, words)) + r")(?![\w'-])", re.IGNORECASE
    )
    return pattern.sub(lambda m: by_lower[m.group(1).lower()], text)
