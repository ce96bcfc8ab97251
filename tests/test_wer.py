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


def test_a_code_read_out_digit_by_digit_is_spelled_digit_by_digit():
    said = "one zero zero zero one nine zero two one zero zero one eight zero three"
    assert normalise("1-0-0-0-1 9-0-2-1-0 0-1-8-03") == said.split()
    assert normalise("10001 90210 01803")[-5:] == ["zero", "one", "eight", "zero", "three"]
    # Ranges and dates keep their numbers.
    assert normalise("20-30 in 0.5 s") == ["twenty", "thirty", "in", "zero", "point", "five", "s"]


def test_a_word_with_vowel_signs_stays_one_word():
    # Devanagari and Telugu vowel signs are combining marks: a normaliser that keeps only
    # letters cut "प्रधानमंत्री" into five "words" and scored a wrong sign as a right word.
    assert normalise("प्रधानमंत्री को पत्र सौंपा।") == ["प्रधानमंत्री", "को", "पत्र", "सौंपा"]
    assert wer("నా పేరు సాయి కృష్ణ", "నా పేరు సాయి కృష్ణ.") == 0.0
    assert wer("నా మాతృ భూమి", "నా మాత్ర భూమి") == 1 / 3


def test_hesitations_are_left_out_of_both_sides_only_when_asked():
    said = "so um this is uh the acoustic corpus hmm"
    written = "So this is the acoustic corpus."
    assert wer(said, written, drop_hesitations=True) == 0.0
    assert wer(written, "So, um, this is the acoustic corpus.", drop_hesitations=True) == 0.0
    assert wer(said, written) == 3 / 9
