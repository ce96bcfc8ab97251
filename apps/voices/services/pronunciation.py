"""Each user's pronunciation dictionary, applied to the text before any engine reads it."""

import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from apps.engines.tts.phonemes import InvalidPhonemes, Lexicon, normalize, respell, word_pattern

from ..models import Pronunciation

MAX_ENTRIES = 500


def pronunciation_set(
    *, owner: User, word: str, say_as: str = "", phonemes: str = ""
) -> Pronunciation:
    """Add the word, or change how it is said: by the respelling `say_as`, or by the IPA
    `phonemes` (then `say_as`, if given, is what engines without phoneme input read; else a
    respelling made from the phonemes). Raises ValidationError on an empty or multi-word entry,
    phonemes the engines cannot say, or past MAX_ENTRIES words."""
    word, say_as = " ".join(word.split()), " ".join(say_as.split())
    errors = {}
    if not word or len(word) > 100 or not re.fullmatch(r"[\w'.-]+", word):
        errors["word"] = "Give one word (letters, digits, ' . -), at most 100 characters."
    if phonemes.strip():
        try:
            phonemes = normalize(phonemes)
        except InvalidPhonemes as exc:
            errors["phonemes"] = str(exc)
        else:
            say_as = say_as or respell(phonemes)
        if len(phonemes) > 200:
            errors["phonemes"] = "At most 200 phonemes."
    else:
        phonemes = ""
        if not say_as:
            errors["say_as"] = "Say how to read it (a respelling), at most 200 characters."
    if len(say_as) > 200:
        errors["say_as"] = "At most 200 characters."
    if errors:
        raise ValidationError(errors)
    existing = Pronunciation.objects.filter(owner=owner, word__iexact=word).first()
    if existing is None and owner.pronunciations.count() >= MAX_ENTRIES:
        raise ValidationError({"word": f"The dictionary holds at most {MAX_ENTRIES} words."})
    if existing:
        existing.word, existing.say_as, existing.phonemes = word, say_as, phonemes
        existing.save(update_fields=["word", "say_as", "phonemes"])
        return existing
    return Pronunciation.objects.create(owner=owner, word=word, say_as=say_as, phonemes=phonemes)


def pronunciation_delete(*, entry: Pronunciation) -> None:
    entry.delete()


def pronounce(text: str, *, owner_id: int | None) -> str:
    """`text` with the owner's words replaced by how they want them said (whole words, any
    case), phoneme entries by their respelling."""
    return pronounce_for(text, owner_id=owner_id, phonemes=False)[0]


def pronounce_for(text: str, *, owner_id: int | None, phonemes: bool) -> tuple[str, Lexicon]:
    """The text an engine reads and the words it says from phonemes. For an engine that takes
    phonemes (`phonemes`), phoneme entries stay in the text and come back as the lexicon;
    otherwise every word is replaced by its respelling and the lexicon is empty."""
    if owner_id is None:
        return text, ()
    # One query: the rows are read twice below.
    rows = list(
        Pronunciation.objects.filter(owner_id=owner_id).values_list("word", "say_as", "phonemes")
    )
    by_lower = {word.lower(): say for word, say, ipa in rows if not (phonemes and ipa)}
    lexicon = tuple((word, ipa) for word, _, ipa in rows if phonemes and ipa)
    if by_lower:
        text = word_pattern(list(by_lower)).sub(lambda m: by_lower[m.group(1).lower()], text)
    return text, lexicon
