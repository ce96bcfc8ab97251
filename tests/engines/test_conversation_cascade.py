"""The offline cascade's own rules. Spoken and typed turns, barge-in and truncation end to end
are tested through the Realtime API with the openai SDK (tests/api/test_realtime_conversation.py),
which drives this engine."""

import pytest

from apps.engines.conversation.cascade import _heard_text, _prompt, _sentence_cut
from apps.engines.llm.base import ChatMessage


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Paris is the capital", None),  # still coming
        ("Paris is the capital. It is", "Paris is the capital. "),
        ('He said "hi!" Then', 'He said "hi!" '),
        ("It is 3.5 metres long", None),  # a decimal point ends nothing
        ("word, " * 40, "word, " * 40),  # a run-on sentence is spoken up to its last comma
    ],
)
def test_a_sentence_is_spoken_as_soon_as_it_is_complete(text, spoken):
    cut = _sentence_cut(text)
    assert (text[:cut] if cut is not None else None) == spoken


def test_a_long_first_sentence_is_spoken_from_its_first_clause():
    text = "The sky on a clear day is a breathtaking sight, a canvas of pure"
    assert _sentence_cut(text) is None
    assert (
        text[: _sentence_cut(text, first=True)]
        == "The sky on a clear day is a breathtaking sight, "
    )


@pytest.mark.parametrize(
    ("heard", "expected"),
    [(0, ""), (100, "One two."), (150, "One two. Three"), (400, "One two. Three four.")],
)
def test_truncation_keeps_the_words_heard(heard, expected):
    assert _heard_text(["One two.", " Three four."], [0, 100, 200], heard) == expected


def test_the_prompt_has_one_system_message_and_the_latest_turns_that_fit():
    history = [ChatMessage("user", "a" * 30), ChatMessage("assistant", "b" * 30),
               ChatMessage("system", "Be kind."), ChatMessage("user", "c" * 30)]  # fmt: skip
    system, *turns = _prompt("Be brief.", history, max_chars=70)
    assert (system.role, system.content) == ("system", "Be brief.\nBe kind.")
    assert [t.content[0] for t in turns] == ["b", "c"]
    # The latest turn is always there, however long.
    assert len(_prompt("", [ChatMessage("user", "x" * 500)], max_chars=10)) == 2
