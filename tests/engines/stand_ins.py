"""Stand-ins for faster-whisper's model in the windowed engine's tests (model-free, instant)."""

from types import SimpleNamespace

import numpy as np

from apps.engines.stt.local import _WindowedRun
from apps.engines.stt.silero import SpeechProbabilities


def decoded(start, text):
    """One segment as faster-whisper's `transcribe` yields it, 1.5 s long."""
    return SimpleNamespace(
        start=start,
        end=start + 1.5,
        text=" " + text,
        words=[],
        avg_logprob=-0.2,
        no_speech_prob=0.0,
        compression_ratio=1.2,
        temperature=0.0,
        tokens=[],
    )


class HeardThroughout(SpeechProbabilities):
    """The decoder's voice detector hearing speech everywhere, as it would the speech the
    stand-in model hears in the silent test file."""

    def __init__(self, audio):
        self.length = len(audio)
        self.probabilities = np.ones(len(audio) // 512 + 1, dtype=np.float32)


class StandInRun(_WindowedRun):
    def _probabilities(self, audio):
        return HeardThroughout(audio)
