"""The test and benchmark WER normaliser spells numbers, so digits are not counted as errors."""

from tests.wer import normalise, wer


def test_it_spells_numbers_as_people_say_them():
    assert normalise("In 1961, 5% of 2,500 people") == (
        [
            "in",
            "nineteen",
            "sixty",
            "one",
            "five",
            "percent",
            "of",
            "two",
            "thousand",
            "five",
            "hundred",
            "people",
        ]
    )
    assert normalise("the 21st and 3rd, 3.5 and 100") == (
        [
            "the",
            "twenty",
            "first",
            "and",
            "third",
            "three",
            "point",
            "five",
            "and",
            "one",
            "hundred",
        ]
    )


def test_digits_and_words_count_as_the_same_words():
    assert wer("nineteen sixty-one", "1961") == 0.0
    assert wer("Ask not what your country can do", "ask not what your country can do") == 0.0
    assert wer("one two three four", "one two three") == 0.25


def test_titles_count_as_the_words_said():
    assert (
        wer("and mister john dashwood met doctor watson", "And Mr. John Dashwood met Dr Watson")
        == 0
    )
