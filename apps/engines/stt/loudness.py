"""How loud a stretch left without text is against the speech the VAD heard around it.

A stretch of a speech region that got no text is marked "no text". Some are quiet room: a
0.3 s murmur that the region's padding made 1.1 s long (AMI trn04 at 6 s, where nobody speaks),
the quiet after the last word of a clean reading. Far-field speech left without text is as faint
to the VAD, but not quieter than the speech around it: on the AMI tuning excerpts the louder
quarter of each such stretch came within 16 dB of the median of the excerpt's heard speech, the
quiet ones stayed 21 dB or more under it (docs/benchmarks.md, issue 9, session 30).

The stretch after a segment is measured from where the voice of its last word stops: Whisper's
last word can end half a second before its voice does, and that loud tail is no speech without
text (a development recording's "And so it begins.", then 1 s "without text").

Noise 5 dB under the speech is as loud as speech to that measure. A stretch whose level hardly
rises and falls is steady sound (noise, hum) and, opt-in (`marks_skip_steady_sound`), gets no
mark either: speech rises and falls with its syllables, even far-field. Read speech drowned in
recorded noise (0-5 dB under it) spreads as little as the noise, though, so a stretch is steady
sound only where Silero also hears little speech in it (docs/benchmarks.md, issue 9, sessions
30 "tails" and 31).
"""

import numpy as np

from apps.core.media import SAMPLE_RATE

from .regions import Region
from .silero import SpeechProbabilities

_FRAME = SAMPLE_RATE // 100  # 10 ms
# A stretch whose louder quarter stays this far under the median of the heard speech is quiet
# room: on the AMI tuning excerpts far-field speech left without text came within 16 dB of it
# (after its first word's tail), the quiet ones 21 dB or more under it.
QUIET_UNDER_SPEECH_DB = 18.0
# The voice heard at the start of a stretch is the last word's, up to this long: the
# development recording's "begins." ended 0.55 s before its voice did.
WORD_TAIL_SECONDS = 0.6
# With `marks_skip_steady_sound`, a stretch whose 10 ms levels spread less than this (90th
# against 10th percentile) is steady sound, no speech worth a mark: on synthesised noise 5 dB
# under read speech the false marks spread 1.3-9.4 dB, far-field speech left without text on
# the AMI tuning excerpts 21-37 dB, read speech under noise 5 dB under it 8-12.5 dB.
STEADY_SPREAD_DB = 11.0
# ... and in which Silero (at the VAD's threshold, after the last word's tail) hears less speech
# than this: read speech drowned in recorded noise 0-5 dB under it spreads as little as the
# noise (2.6-4.4 dB); Silero heard 0.32-9.7 s in six such stretches (0.06 s in a seventh, which
# the faint detector marks), 0.00-0.22 s in the pauses under the same noise (speech under real
# noise, tuning part: docs/benchmarks.md, issue 9, session 31).
STEADY_HEARD_SECONDS = 0.3
# With a local noise floor, the floor at a moment is the quieter tenth of the levels this far
# either side of it, not of the whole window: a recording whose noise changes (a quiet room,
# then a street) is measured against the noise around each mark (docs/benchmarks.md, issue 9,
# session 32 "a local noise floor").
FLOOR_REACH_SECONDS = 30.0
# Power under which a frame counts as digital silence (-120 dB), so log10 stays finite.
_SILENCE = 1e-12


class Levels:
    """The level of each 10 ms of a window, and the median level of the speech the VAD heard
    in it (`heard`: window seconds, unpadded)."""

    def __init__(self, audio: np.ndarray, heard: list[Region]):
        self.db = frame_levels(audio)
        in_speech = np.zeros(len(self.db), dtype=bool)
        for region in heard:
            in_speech[self._frame(region.start) : self._frame(region.end)] = True
        self.speech = float(np.median(self.db[in_speech])) if in_speech.any() else None

    def floor(self, around: float | None = None) -> float:
        """The noise floor: the level of the quieter tenth (10th percentile) of the window, or
        of its FLOOR_REACH_SECONDS either side of window second `around`."""
        levels = self.db
        if around is not None:
            reach = FLOOR_REACH_SECONDS
            levels = levels[self._frame(around - reach) : self._frame(around + reach)]
        return float(np.percentile(levels, 10)) if len(levels) else 10 * np.log10(_SILENCE)

    def under_speech(self, start: float, end: float) -> float:
        """Decibels by which the louder quarter of window seconds [start, end) (its 75th
        percentile) stays under the heard speech's median; 0 when there is nothing to compare."""
        stretch = self._stretch(start, end)
        if self.speech is None or not len(stretch):
            return 0.0
        return self.speech - float(np.percentile(stretch, 75))

    def spread(self, start: float, end: float) -> float:
        """Decibels between the louder tenth and the quieter tenth of window seconds
        [start, end) (90th and 10th percentiles of its 10 ms levels): speech rises and falls
        with its syllables, steady noise does not."""
        stretch = self._stretch(start, end)
        return (
            float(np.percentile(stretch, 90) - np.percentile(stretch, 10)) if len(stretch) else 0.0
        )

    def _stretch(self, start: float, end: float) -> np.ndarray:
        """The 10 ms levels of window seconds [start, end), at least one frame."""
        first = self._frame(start)
        return self.db[first : max(self._frame(end), first + 1)]

    @staticmethod
    def _frame(seconds: float) -> int:
        return max(0, int(seconds * SAMPLE_RATE) // _FRAME)


def frame_levels(audio: np.ndarray) -> np.ndarray:
    """The level (dB) of each whole 10 ms of `audio`."""
    frames = len(audio) // _FRAME
    power = np.mean(np.square(audio[: frames * _FRAME].reshape(frames, _FRAME)), axis=1)
    return 10 * np.log10(np.maximum(power, _SILENCE))


def quiet_room(
    levels: Levels, silero: SpeechProbabilities, threshold: float, start: float, end: float
) -> bool:
    """Whether seconds [start, end) of a window, left without text, are quiet room: far quieter
    than its speech once the voice heard at `start` (Silero at `threshold` or more) stops."""
    tail = after_tail(silero, threshold, start)
    return tail < end and levels.under_speech(tail, end) > QUIET_UNDER_SPEECH_DB


def steady_sound(
    levels: Levels, silero: SpeechProbabilities, threshold: float, start: float, end: float
) -> bool:
    """Whether seconds [start, end) of a window, left without text, are a steady sound (noise,
    hum) once the voice heard at `start` stops: its level hardly rises and falls, and Silero
    hears little speech in it."""
    tail = after_tail(silero, threshold, start)
    return (
        tail < end
        and levels.spread(tail, end) < STEADY_SPREAD_DB
        and silero.seconds_above(threshold, tail, end) < STEADY_HEARD_SECONDS
    )


def after_tail(silero: SpeechProbabilities, threshold: float, start: float) -> float:
    """Where the voice heard at `start` (the last word's tail) stops, at most
    WORD_TAIL_SECONDS on."""
    return min(silero.falls_silent(threshold, start), start + WORD_TAIL_SECONDS)
