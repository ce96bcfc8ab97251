"""Words given as IPA phonemes (a pronunciation dictionary's phoneme entries).

Engines that take phonemes (`supports_phonemes`) get a `Lexicon` with the request and speak each
of its words from the phonemes given, the rest of the sentence as they always do. The others get
a respelling in the word's place (`respell`, unless the entry has its own).
"""

import re
from collections.abc import Callable

# (word, IPA): matched whole, in any case, as the dictionary's respellings are.
Lexicon = tuple[tuple[str, str], ...]

# The symbols both neural engines (Piper's espeak-ng phoneme set and Kokoro's vocabulary) take,
# letters and marks only: a word's phonemes are checked against it when the entry is saved.
SYMBOLS = frozenset(
    "abcdefhijklmnopqrstuvwxyzæçðøŋœɐɑɒɔɕɖəɚɛɜɟɡɣɤɥɨɪɯɰɲɳɴɸɹɻɽɾʁʂʃʈʊʋʌʎʒʔʝʰʲβθχᵻˈˌː\u0303."
)
# What people type for IPA that the engines spell another way.
_NORMAL = {
    "g": "ɡ",
    "'": "ˈ",
    "ˊ": "ˈ",
    ":": "ː",
    "ʧ": "tʃ",
    "ʤ": "dʒ",
    "ɝ": "ɜː",
    "ɫ": "l",
    "ʀ": "ʁ",
    "ɘ": "ə",
    "\u0361": "",  # tie bar (t͡ʃ)
    "\u035c": "",
    "\u0329": "",  # syllabic mark (n̩)
    "\u02de": "",  # rhotic hook; ɚ is kept whole
}


class InvalidPhonemes(ValueError):
    pass


def normalize(ipa: str) -> str:
    """The phonemes as the engines spell them: without /slashes/ or [brackets] or spaces, ASCII
    g and ' and : as IPA. Raises InvalidPhonemes naming any symbol the engines cannot say."""
    text = "".join(ipa.split()).strip("/[]")
    text = "".join(_NORMAL.get(ch, ch) for ch in text)
    if not text.strip("ˈˌː."):
        raise InvalidPhonemes("Give the word's phonemes in IPA, e.g. nəˈvɛʁ.")
    unknown = sorted({ch for ch in text if ch not in SYMBOLS})
    if unknown:
        shown = ", ".join(f"“{ch}” (U+{ord(ch):04X})" for ch in unknown)
        raise InvalidPhonemes(
            f"The voices cannot say {shown}. Use IPA symbols as espeak-ng writes them "
            "(e.g. ɹ for the English r, ɡ, ʃ, ŋ, ˈ for stress, ː for length)."
        )
    return text


def spoken(ipa: str) -> str:
    """The phonemes an engine is given: syllable dots dropped (a dot is a full stop to it)."""
    return ipa.replace(".", "")


def pieces(sentence: str, lexicon: Lexicon) -> list[tuple[str, str | None]]:
    """`sentence` cut around the lexicon's words: (text, None) for text the engine reads,
    (word, phonemes) for a word it says from the phonemes."""
    if not lexicon:
        return [(sentence, None)]
    by_lower = {word.lower(): ipa for word, ipa in lexicon}
    found = word_pattern([word for word, _ in lexicon]).split(sentence)
    # split() with one group: text, word, text, word, ..., text
    out = []
    for i, part in enumerate(found):
        if i % 2:
            out.append((part, spoken(by_lower[part.lower()])))
        elif part.strip():
            out.append((part, None))
    return out


def word_pattern(words: list[str]) -> re.Pattern:
    """Matches any of `words` whole, in any case; longest first, so "New-York" wins over "New"."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile(
        r"(?<![\w'-])(" + "|".join(map(re.escape, ordered)) + r")(?![\w'-])", re.IGNORECASE
    )


_LEADING_MARKS = re.compile(r"^[\s,;:.!?]+")


def phonemize_with(sentence: str, lexicon: Lexicon, phonemize: Callable[[str], str]) -> str:
    """The sentence's phonemes: its text by `phonemize`, the lexicon's words as given."""
    said = ""
    for text, ipa in pieces(sentence, lexicon):
        if ipa is None:
            marks, text = split_marks(text)
            said += marks
            ipa = phonemize(text) if text else ""
        said = f"{said} {ipa}" if said and ipa else said + ipa
    return said.strip()


def split_marks(text: str) -> tuple[str, str]:
    """The punctuation a piece of text starts with (the end of the word before it: a
    phonemizer drops marks at the start of its text) and the rest."""
    match = _LEADING_MARKS.match(text)
    if not match:
        return "", text
    return "".join(match.group(0).split()), text[match.end() :]


# IPA → eSpeak NG's own phoneme names (its [[...]] input), for the English phoneme tables; the
# longest symbols first. What is not listed passes as is (p, t, k, m, n... are the same).
_ESPEAK = {
    "tʃ": "tS",
    "dʒ": "dZ",
    "eɪ": "eI",
    "aɪ": "aI",
    "ɔɪ": "OI",
    "oʊ": "oU",
    "əʊ": "oU",
    "aʊ": "aU",
    "ɪə": "i@",
    "ɛə": "e@",
    "ʊə": "U@",
    "iː": "i:",
    "uː": "u:",
    "ɑː": "A:",
    "ɔː": "O:",
    "ɜː": "3:",
    "ə": "@",
    "ɚ": "3",
    "æ": "a",
    "ɑ": "A:",
    "ɒ": "0",
    "ɔ": "O",
    "ɛ": "E",
    "ɪ": "I",
    "ʊ": "U",
    "ʌ": "V",
    "ɐ": "a#",
    "ɜ": "3:",
    "ᵻ": "I2",
    "i": "i",
    "ʃ": "S",
    "ʒ": "Z",
    "θ": "T",
    "ð": "D",
    "ŋ": "N",
    "ɹ": "r",
    "ʁ": "r",
    "χ": "x",
    "ɡ": "g",
    "ɾ": "t#",
    "ʔ": "?",
    "ç": "C",
    "ɲ": "n^",
    "ʎ": "l^",
    "ø": "Y",
    "œ": "W",
    "ˈ": "'",
    "ˌ": ",",
    "ː": ":",
    ".": "",
    "\u0303": "~",
    "ʰ": "",
    "ʲ": ";",
}
_ESPEAK_KEYS = re.compile("|".join(sorted(map(re.escape, _ESPEAK), key=len, reverse=True)))


def espeak_phonemes(ipa: str) -> str:
    """`ipa` in eSpeak NG's phoneme names, as its [[...]] input takes them."""
    return _ESPEAK_KEYS.sub(lambda m: _ESPEAK[m.group(0)], ipa)


# IPA → English spelling, for engines that take no phonemes (cloud ones, Flite).
_RESPELL = {
    "tʃ": "ch",
    "dʒ": "j",
    "eɪ": "ay",
    "aɪ": "eye",
    "ɔɪ": "oy",
    "oʊ": "oh",
    "əʊ": "oh",
    "aʊ": "ow",
    "ɪə": "eer",
    "ɛə": "air",
    "ʊə": "oor",
    "iː": "ee",
    "uː": "oo",
    "ɑː": "ah",
    "ɔː": "aw",
    "ɜː": "er",
    "ɑɹ": "ar",
    "ɔɹ": "or",
    "ɛɹ": "air",
    "ɛʁ": "air",
    "ɪɹ": "eer",
    "ə": "uh",
    "ɚ": "er",
    "æ": "a",
    "ɑ": "ah",
    "ɒ": "o",
    "ɔ": "aw",
    "ɛ": "eh",
    "ɪ": "ih",
    "ʊ": "uu",
    "ʌ": "uh",
    "ɐ": "uh",
    "ɜ": "er",
    "ᵻ": "ih",
    "i": "ee",
    "u": "oo",
    "e": "ay",
    "o": "oh",
    "a": "ah",
    "y": "ew",
    "ø": "uh",
    "œ": "uh",
    "ʃ": "sh",
    "ʒ": "zh",
    "θ": "th",
    "ð": "th",
    "ŋ": "ng",
    "ɹ": "r",
    "ʁ": "r",
    "χ": "kh",
    "x": "kh",
    "ɡ": "g",
    "ɾ": "t",
    "ç": "h",
    "ɲ": "ny",
    "ʎ": "ly",
    "j": "y",
    "ʔ": "",
    "ː": "",
    "\u0303": "n",
    "ʰ": "",
    "ʲ": "y",
}
_RESPELL_KEYS = re.compile(
    "|".join(sorted(map(re.escape, _RESPELL), key=len, reverse=True)) + "|[^ˈˌ.]"
)


_VOWELS = frozenset("aeiouyæøœɐɑɒɔəɚɛɜɨɪɯʊʌᵻ")


def respell(ipa: str) -> str:
    """A respelling of `ipa` that an engine without phoneme input reads close to it ("nəˈvɛʁ"
    → "nuh-VAIR"): one part per syllable, the stressed one in capitals."""
    syllables = []  # (stressed, units)
    for group in re.split(r"(?=[ˈˌ])|\.", ipa):
        units = [m.group(0) for m in _RESPELL_KEYS.finditer(group)] if group else []
        current: list[str] = []
        stressed = group.startswith("ˈ")
        for i, unit in enumerate(units):
            vowel_next = i + 1 < len(units) and units[i + 1][0] in _VOWELS
            # A consonant before a vowel starts the next syllable once this one has its vowel.
            if unit[0] not in _VOWELS and vowel_next and any(u[0] in _VOWELS for u in current):
                syllables.append((stressed, current))
                current, stressed = [], False
            current.append(unit)
        if current:
            syllables.append((stressed, current))
    said = []
    for stressed, units in syllables:
        text = "".join(_RESPELL.get(u, u if u.isascii() else "") for u in units)
        said.append(text.upper() if stressed and len(syllables) > 1 else text)
    return "-".join(filter(None, said))
