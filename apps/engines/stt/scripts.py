"""Text in a script its language does not use.

Whisper base cannot write Telugu: it labels it Kannada and writes Devanagari, or labels it
Telugu and writes Urdu script, with confidence (unseen set 5, docs/benchmarks.md, issue 9,
session 32). Such text is no transcript of what was said; the segment is flagged
`wrong_script`. A language not in the table is never flagged.

Latin letters are allowed in every language: names, brands and code-switched words are written
so in any transcript.
"""

import unicodedata


def _each(languages: str, scripts: set[str]) -> dict[str, set[str]]:
    return {language: scripts for language in languages.split()}


# The scripts a language is written in, by the first word of its letters' Unicode names.
_SCRIPTS_OF = {
    **dict.fromkeys(("ar", "fa", "ur", "ps", "sd", "ug"), {"ARABIC"}),
    **dict.fromkeys(("he", "yi"), {"HEBREW"}),
    **dict.fromkeys(("hi", "mr", "ne", "sa"), {"DEVANAGARI"}),
    **dict.fromkeys(("bn", "as"), {"BENGALI"}),
    "te": {"TELUGU"},
    "ta": {"TAMIL"},
    "kn": {"KANNADA"},
    "ml": {"MALAYALAM"},
    "gu": {"GUJARATI"},
    "pa": {"GURMUKHI"},
    "si": {"SINHALA"},
    "th": {"THAI"},
    "lo": {"LAO"},
    "my": {"MYANMAR"},
    "km": {"KHMER"},
    "bo": {"TIBETAN"},
    "ka": {"GEORGIAN"},
    "hy": {"ARMENIAN"},
    "am": {"ETHIOPIC"},
    "el": {"GREEK"},
    **_each("ru uk be bg mk sr kk tg mn ba tt uz az bs", {"CYRILLIC"}),
    "zh": {"CJK", "IDEOGRAPHIC", "BOPOMOFO"},
    "yue": {"CJK", "IDEOGRAPHIC"},
    "ja": {"CJK", "IDEOGRAPHIC", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"},
    "ko": {"HANGUL", "CJK", "IDEOGRAPHIC"},
    **_each(
        "en de es fr it pt nl da sv no nn fi pl cs sk sl hr ro hu tr vi id ms tl ca gl eu et lv"
        " lt sq is cy la af sw mt lb oc br fo ht haw ln mg mi sn so su jw yo ha tk",
        set(),
    ),
}
# Letters whose names name no script ("MODIFIER LETTER ...", full-width forms of another
# script's letters): counted for none.
_NO_SCRIPT = {"MODIFIER", "FULLWIDTH", "HALFWIDTH", "COMBINING", "LATIN"}
_MARKS = ("Mn", "Mc")
# A segment is flagged when more than this share of its letters are in a script its language
# never uses.
FOREIGN_SHARE = 0.5


def wrong_script(text: str, language: str) -> bool:
    """Whether most of `text`'s letters are in a script `language` is never written in."""
    allowed = _SCRIPTS_OF.get(language)
    if allowed is None:
        return False
    scripts = [s for s in map(_script, text) if s is not None]
    foreign = sum(1 for s in scripts if s not in allowed and s not in _NO_SCRIPT)
    return bool(scripts) and foreign / len(scripts) > FOREIGN_SHARE


def without_stray_marks(text: str) -> str:
    """`text` less each combining mark glued to a letter of another script: after it, or at a
    word's start, before it ("்mend": a Tamil virama before an English word)."""
    return "".join(c for i, c in enumerate(text) if not _stray(text, i))


def _stray(text: str, i: int) -> bool:
    script = _script(text[i]) if unicodedata.category(text[i]) in _MARKS else None
    if script is None or script in _NO_SCRIPT:
        return False  # not a mark, or one of any script (an accent)
    before = _script(text[i - 1]) if i else None
    if before is None:  # a word's start: the letter it is glued to follows
        before = _script(text[i + 1]) if i + 1 < len(text) else None
    return before is not None and before != script


def _script(char: str) -> str | None:
    """The script of a letter or mark, by the first word of its Unicode name; None for the rest."""
    if not (char.isalpha() or unicodedata.category(char) in _MARKS):
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None
