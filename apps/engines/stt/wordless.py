"""Telling a segment with no word in it: no transcript.

Over a 4-minute salsa loop with no speech (the second unseen set, docs/benchmarks.md, issue 9)
base wrote two segments of "." at temperature 1.0, the fallback ladder's last step: no word,
but a line each on the page, in the exports and in the API's text. Subtitles, which Whisper
learned from, also mark sound that is not speech in brackets or with notes ("[Music]",
"(applause)", "♪"). Such a segment says nobody was heard, so the engine drops it; where the
sensitive VAD did hear speech under it, the stretch is then checked as any speech without text
is (decoded again on its own, else marked "no text").
"""

import re

# Sound that is not speech as subtitles write it: a bracketed note, or music notes.
_SOUND_NOTE = re.compile(r"\[[^\]]*\]|\([^)]*\)|[♩♪♫♬]")
# A letter or digit of any script (Chinese and Japanese words too).
_WORD_CHARACTER = re.compile(r"\w")


def wordless(text: str) -> bool:
    """Whether `text` holds no word once notes of sound are left out: only punctuation,
    symbols, spaces, or notes such as "[Music]"."""
    return not _WORD_CHARACTER.search(_SOUND_NOTE.sub(" ", text))
