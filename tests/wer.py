"""Word error rate for asserting recognition quality (standard Levenshtein over words).

Both texts are normalised alike: lower case, punctuation gone, numbers spelled out and titles
written in full (as Whisper's English normaliser does), so that "1961" and "nineteen sixty-one",
"5%" and "five percent", or "Mr." and "mister" count as the same words. A word's combining
marks stay in it (the vowel signs of Devanagari or Telugu, Arabic vowel marks): only
punctuation and symbols part words. A code (digits joined
by hyphens one or a few at a time, or a number written with a leading zero: "1-0-0-0-1",
"01803") is spelled digit by digit, as it is read out. English hesitation sounds ("uh", "um",
"hmm"...) can be left out of both texts (`drop_hesitations`), as Whisper's English normaliser
does: Whisper rarely writes them, and a reference that keeps them would count each as an error;
off by default (in other languages "um" or "mm" can be words)."""

import re
import unicodedata

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth"}
_ORDINALS |= {"nine": "ninth", "twelve": "twelfth"}
_TITLES = {"mr": "mister", "mrs": "missus", "dr": "doctor"}
# Whisper's English normaliser's list (hmm, mm, mhm, mmm, uh, um) and "hm".
HESITATIONS = frozenset({"hmm", "hm", "mm", "mhm", "mmm", "uh", "um"})
_CODE = re.compile(r"\b(?:0\d*|\d)(?:-(?:0\d*|\d))+\b|\b0\d+\b")
_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th)?(%)?")


def spell(n: int) -> str:
    """A whole number in English words (as people say it; years 1100–1999 in pairs)."""
    if 1100 <= n <= 1999 and n % 100:
        return f"{spell(n // 100)} {spell(n % 100)}"
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f" {_ONES[n % 10]}" if n % 10 else "")
    for size, name in _SCALES:
        if n >= size:
            rest = n % size
            return f"{spell(n // size)} {name}" + (f" {spell(rest)}" if rest else "")
    raise AssertionError(n)


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _ORDINALS:
        last = _ORDINALS[last]
    else:
        last = (last[:-1] + "ieth") if last.endswith("y") else last + "th"
    return f"{head} {last}".strip()


def _spelled(match: re.Match) -> str:
    whole, decimals, suffix, percent = match.groups()
    words = spell(int(whole.replace(",", "")))
    if suffix:
        words = _ordinal(words)
    if decimals:
        words += " point " + " ".join(_ONES[int(d)] for d in decimals)
    return f" {words}{' percent' if percent else ''} "


def _digit_by_digit(match: re.Match) -> str:
    return " " + " ".join(_ONES[int(d)] for d in match.group() if d.isdigit()) + " "


def _unpunctuated(text: str) -> str:
    """Punctuation and symbols as spaces; letters, marks, digits and apostrophes kept, and the
    invisible joiners of Indic and Arabic scripts dropped (they part no words)."""

    def kept(char: str) -> str:
        kind = unicodedata.category(char)
        if kind[0] in "LMN" or char in "'_" or char.isspace():
            return char
        return "" if kind == "Cf" else " "

    return "".join(map(kept, text))


def normalise(text: str) -> list[str]:
    text = _NUMBER.sub(_spelled, _CODE.sub(_digit_by_digit, text.lower()))
    return [_TITLES.get(w, w) for w in _unpunctuated(text).split()]


def wer(reference: str, hypothesis: str, drop_hesitations: bool = False) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if drop_hesitations:
        ref, hyp = ([w for w in words if w not in HESITATIONS] for words in (ref, hyp))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))
