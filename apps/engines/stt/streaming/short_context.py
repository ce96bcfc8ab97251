"""Whisper with the encoder run over the utterance, not over 30 seconds.

faster-whisper pads every window to 30 s of log-mel frames before the encoder, so a 2 s
utterance costs as much as 30 s (about a second for `base` on one core here). CTranslate2's
encoder takes shorter input, and decoding and word alignment follow the encoder's length; so
the zero padding is cut to the audio plus a margin, never below `MIN_FRAMES` (Whisper was
trained on 30 s windows: a very short context makes it more likely to invent text). On the
corpus the text is the same and the encoder runs 5-10 times faster (docs/benchmarks.md).
Only the live engine uses this; file transcription keeps the standard 30 s windows.
"""

import numpy as np
from faster_whisper import WhisperModel

MIN_FRAMES = 1000  # 10 s
MARGIN_FRAMES = 100  # 1 s after the audio


class ShortContextWhisper(WhisperModel):
    def encode(self, features: np.ndarray):
        content = _content_frames(features)
        keep = min(features.shape[-1], max(MIN_FRAMES, content + MARGIN_FRAMES))
        keep += keep % 2  # the encoder halves the frames
        return super().encode(np.ascontiguousarray(features[..., :keep]))


def _content_frames(features: np.ndarray) -> int:
    """Frames before the zero padding that `pad_or_trim` added."""
    columns = np.flatnonzero(np.any(features.reshape(-1, features.shape[-1]) != 0, axis=0))
    return int(columns[-1]) + 1 if columns.size else 0
