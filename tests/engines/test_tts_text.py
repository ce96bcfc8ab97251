"""Sentence splitting and the limits every engine shares."""

import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts.text import MAX_SENTENCE_CHARS, short_first, split_sentences


def test_it_splits_sentences_without_breaking_abbreviations_or_numbers():
    text = "Dr. Smith paid $3.50 for coffee! Then what? He left.\n\nA new paragraph"
    assert split_sentences(text, max_chars=4096) == [
        "Dr. Smith paid $3.50 for coffee!",
        "Then what?",
        "He left.",
        "A new paragraph",
    ]


def test_it_uses_the_rules_of_the_language():
    text = "Das ist z. B. ein Satz. Und noch einer."
    assert split_sentences(text, language="de", max_chars=4096) == [
        "Das ist z. B. ein Satz.",
        "Und noch einer.",
    ]


def test_it_falls_back_to_english_rules_for_other_languages():
    assert split_sentences("Um. Dois.", language="pt-br", max_chars=100) == ["Um.", "Dois."]


def test_it_cuts_a_very_long_sentence_at_clause_breaks():
    clause = "and then the long road went on past the hills and the rivers"
    text = ", ".join([clause] * 12) + "."
    pieces = split_sentences(text, max_chars=4096)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert " ".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_it_cuts_a_sentence_without_spaces_by_force():
    pieces = split_sentences("x" * 700, max_chars=4096)
    assert [len(p) for p in pieces] == [300, 300, 100]


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_it_rejects_empty_text(text):
    with pytest.raises(ProviderError) as error:
        split_sentences(text, max_chars=100)
    assert error.value.kind == ErrorKind.INVALID_INPUT
    assert "no text" in str(error.value)


def test_it_rejects_text_over_the_limit_with_the_numbers():
    with pytest.raises(ProviderError) as error:
        split_sentences("word " * 1000, max_chars=4096)
    assert error.value.kind == ErrorKind.INVALID_INPUT
    assert error.value.http_status == 400
    assert "4,999 characters" in str(error.value) and "4,096" in str(error.value)


def test_it_drops_pieces_with_nothing_to_say():
    assert split_sentences("... Hello there. !!!", max_chars=100) == ["Hello there."]
    with pytest.raises(ProviderError):
        split_sentences("... ?! --", max_chars=100)


def test_a_long_first_sentence_is_spoken_in_two_pieces():
    sentences = split_sentences(
        "When the storm finally passed over the valley, we walked home. Then we slept.",
        max_chars=4096,
    )
    assert short_first(sentences, 40) == [
        "When the storm finally passed over the valley,",
        "we walked home.",
        "Then we slept.",
    ]
    assert short_first(["Short one.", "Next."], 40) == ["Short one.", "Next."]
    assert short_first(["A" * 10 + " " + "b" * 20 + " c"], 20) == ["A" * 10, "b" * 20 + " c"]
    # Not a word alone (Kokoro says it badly out of context).
    assert short_first(["Welcome to the portal."], 16) == ["Welcome to the portal."]


def test_a_first_sentence_cut_at_clauses_only_keeps_one_without_a_clause_break_whole():
    opening = "When the meeting ended late on Thursday, everyone agreed to start on Monday."
    assert short_first([opening, "Next."], 40, clause_only=True) == [
        "When the meeting ended late on Thursday,",
        "everyone agreed to start on Monday.",
        "Next.",
    ]
    plain = "Everyone agreed that the new schedule would start on Monday morning."
    assert short_first([plain], 40, clause_only=True) == [plain]


def test_paragraphs_split_at_empty_lines_else_at_line_breaks():
    from apps.engines.tts.text import split_paragraphs

    book = "A line wrapped\nin the middle.\n\n  * * *  \n\nThe next one.\n"
    assert split_paragraphs(book) == ["A line wrapped in the middle.", "The next one."]
    assert split_paragraphs("One.\nTwo.\r\nThree.") == ["One.", "Two.", "Three."]
