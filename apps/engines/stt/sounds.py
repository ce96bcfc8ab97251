"""Naming a sound that is not speech where the engine would mark speech without text.

Silero and segmentation-3.0 both take laughter, a baby crying and applause for speech, and
Whisper gives no confident text there, so such a stretch was marked "no text" or "faint": speech
the engine could not make out, where nobody said a word (the fourth unseen set, docs/
benchmarks.md, issue 9, session 31). Whisper learned from subtitles, which write such sound as a
note ("(laughing)", "[Applause]", "*laughs*"), but by default its decoder may not write the
brackets, parentheses and stars of a note (faster-whisper's `suppress_tokens=[-1]`): it writes
"Hahaha!", "you" or "I'm a..." there instead, and drops most of it as not confident. Decoded
again with those symbols allowed, the stretch comes out as the note itself. A stretch of
MIN_SOUND_SECONDS or more whose text is nothing but notes naming one of a few sounds is marked
as that sound; any word beside the note, or a note naming nothing below, leaves the mark as it
was.
"""

import logging
import re

logger = logging.getLogger(__name__)

# Notes as subtitles write them: bracketed, in parentheses, between stars, or music notes.
_NOTE = re.compile(r"\[([^\]]*)\]|\(([^)]*)\)|\*([^*]*)\*|([♩♪♫♬]+)")
_WORD_CHARACTER = re.compile(r"\w")
# What a note says, by the sound's name: the first that matches names it.
_SOUNDS = (
    ("laughter", re.compile(r"laugh|chuckl|giggl", re.IGNORECASE)),
    ("applause", re.compile(r"applau|clap", re.IGNORECASE)),
    ("crying", re.compile(r"\bcr(y|ies|ying)\b|sob|wail", re.IGNORECASE)),
)
# Not music: with notes allowed, Whisper writes "[Music]" over nearly anything it cannot make
# out, far-field speech (8 of the 19 marks on the AMI tuning excerpts, all over reference
# speech), a baby crying and the first second of applause among them.
SOUND_NAMES = tuple(name for name, _ in _SOUNDS)
# A shorter stretch is not asked (and keeps its mark): in meetings, where several people talk at
# once for 2-2.4 s and Whisper finds no word, it wrote "[laughs]", "(laughing)" too, over what
# the AMI references count as speech (the tuning excerpts' ami_trn04 at 14.0 s, 2.4 s; the four
# held-out ones, 2.0-2.4 s). Laughter, crying and applause heard alone ran 3.4-4.7 s.
MIN_SOUND_SECONDS = 3.0


def sound_named(text: str) -> str:
    """The sound `text` names when it is only notes of sound ("(laughing)", "[Applause]"), one
    of SOUND_NAMES; empty where any word stands outside a note or no note names one."""
    if _WORD_CHARACTER.search(_NOTE.sub(" ", text)):
        return ""
    for note in _NOTE.finditer(text):
        said = next(part for part in note.groups() if part is not None)
        for name, pattern in _SOUNDS:
            if pattern.search(said):
                return name
    return ""


def heard_sound(model, audio) -> str:
    """The sound Whisper (`model`, a faster-whisper model) names in `audio` (16 kHz samples)
    when it may write notes, else empty. English: the notes are named in it, whatever was said
    around them; greedy, at temperature 0 and on the stretch alone, as one guess."""
    segments, _ = model.transcribe(
        audio,
        language="en",
        beam_size=1,
        temperature=0.0,
        suppress_tokens=[],  # the brackets, parentheses and stars of a note allowed
        without_timestamps=True,
        condition_on_previous_text=False,
        no_speech_threshold=None,  # a sound is no speech: its text is wanted all the same
        vad_filter=False,
        max_new_tokens=24,  # a note or two; words beyond them leave the stretch unnamed
    )
    segments = list(segments)
    text = " ".join(segment.text for segment in segments)
    logger.debug("Notes allowed: %r (log probability %s)", text, [s.avg_logprob for s in segments])
    return sound_named(text)
