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

Whisper's "[Music]" names nothing by itself (it writes it over far-field speech and steady
noise too): music is named only from a note that says more ("(upbeat music)") over a tonal
sound, its spectrum far from flat (session 32).
"""

import logging
import re

import numpy as np

from apps.core.media import SAMPLE_RATE

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
# Not music by itself: with notes allowed, Whisper writes "[Music]" over nearly anything it
# cannot make out, far-field speech (8 of the 19 marks on the AMI tuning excerpts, all over
# reference speech), steady noise (a tap, an exercise bike), a baby crying and applause among
# them. A note that says more ("(upbeat music)", "[soft music]") or music notes ("♪") it wrote
# over real music beds only (session 31: unseen sets 2 and 3; session 32: pyAudioAnalysis'
# music clips).
_MUSIC = re.compile(r"music|♩|♪|♫|♬", re.IGNORECASE)
_BARE_MUSIC = re.compile(r"\W*music\W*", re.IGNORECASE)
SOUND_NAMES = (*(name for name, _ in _SOUNDS), "music")
# A shorter stretch is not asked (and keeps its mark): in meetings, where several people talk at
# once for 2-2.4 s and Whisper finds no word, it wrote "[laughs]", "(laughing)" too, over what
# the AMI references count as speech (the tuning excerpts' ami_trn04 at 14.0 s, 2.4 s; the four
# held-out ones, 2.0-2.4 s). Laughter, crying and applause heard alone ran 3.4-4.7 s.
MIN_SOUND_SECONDS = 3.0
# With `short_laughter` (the engine option `name_short_laughter`) laughter is named from
# MIN_SHORT_SOUND_SECONDS too, for the speakers analysis to give it to the one laughing
# (analysis/laughter.py): the AMI references count it as that person's speech, and the tuning
# excerpts' ami_trn04 "[laughs]" at 14.0-16.4 s is 1.75 s of MEE076's laughter in the meeting's
# vocal-sounds annotation (docs/benchmarks.md, issue 10, session 33).
# With `short` (the engine option `name_short_sounds`), applause and music are named from this
# long: Whisper wrote neither over any of the AMI tuning excerpts' 19 marks asked at any length
# (only "[Music]", words and one "[laughs]"), and the held-out music and applause marks run
# 1.1-2.9 s (docs/benchmarks.md, issue 9, session 32). Each mark so asked costs a decode.
MIN_SHORT_SOUND_SECONDS = 1.0
SHORT_SOUNDS = ("applause", "music")
# Spectral flatness (geometric over arithmetic mean of the power, 100 Hz-4 kHz, median of the
# louder 32 ms frames) under which a sound is tonal: development music beds 0.001-0.026, read
# speech 0.000-0.029; recorded noise (dishes, tap, bike, a man miaowing) 0.052-0.49
# (docs/benchmarks.md, issue 9, session 32).
TONAL_FLATNESS = 0.04
_FRAME, _HOP = 512, 160  # 32 ms frames every 10 ms
_LOUD_FRAMES_DB = 20.0  # the frames within this of the loudest are read


def sound_named(text: str, *, tonal: bool = False) -> str:
    """The sound `text` names when it is only notes of sound ("(laughing)", "[Applause]"), one
    of SOUND_NAMES; empty where any word stands outside a note or no note names one. A music
    note names music where the sound is `tonal` and the note says more than "Music"."""
    if _WORD_CHARACTER.search(_NOTE.sub(" ", text)):
        return ""
    for note in _NOTE.finditer(text):
        said = next(part for part in note.groups() if part is not None)
        for name, pattern in _SOUNDS:
            if pattern.search(said):
                return name
        if tonal and _MUSIC.search(said) and not _BARE_MUSIC.fullmatch(said):
            return "music"
    return ""


def sound_in(model, audio: np.ndarray, *, short: bool = False, short_laughter: bool = False) -> str:
    """The sound named in `audio`, a stretch about to be marked as speech without text (16 kHz
    samples): any of SOUND_NAMES from MIN_SOUND_SECONDS, with `short` SHORT_SOUNDS and with
    `short_laughter` laughter from MIN_SHORT_SOUND_SECONDS; a shorter stretch costs no decode."""
    seconds = len(audio) / SAMPLE_RATE
    if seconds < (MIN_SHORT_SOUND_SECONDS if short or short_laughter else MIN_SOUND_SECONDS):
        return ""
    sound = heard_sound(model, audio)
    named_short = (SHORT_SOUNDS if short else ()) + (("laughter",) if short_laughter else ())
    return sound if seconds >= MIN_SOUND_SECONDS or sound in named_short else ""


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
    return sound_named(text, tonal=flatness(audio) < TONAL_FLATNESS)


def flatness(audio: np.ndarray) -> float:
    """Spectral flatness of `audio`'s louder 32 ms frames (the median; 1: white noise, 0: a
    tone)."""
    if len(audio) < _FRAME:
        return 1.0
    frames = np.lib.stride_tricks.sliding_window_view(audio.astype(np.float64), _FRAME)[::_HOP]
    level = 10 * np.log10(np.mean(np.square(frames), axis=1) + 1e-12)
    frames = frames[level > level.max() - _LOUD_FRAMES_DB]
    power = np.abs(np.fft.rfft(frames * np.hanning(_FRAME), axis=1)) ** 2 + 1e-12
    power = power[:, 3:128]  # about 100 Hz to 4 kHz: telephone and 8 kHz audio have it too
    return float(np.median(np.exp(np.mean(np.log(power), axis=1)) / power.mean(axis=1)))
