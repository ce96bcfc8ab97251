"""Forced alignment: word times for a text already known, from a Whisper model's cross-attention.

After a person corrects a segment, its words need times again for click-to-seek, highlight and
subtitles. Decoding again could change the words; instead the corrected tokens are fed to the
decoder as they are, and faster-whisper's DTW over the alignment heads' cross-attention (the
same step that gives word timestamps when transcribing) says when each word is spoken.
Offline, one encoder pass per segment: a fraction of a second with tiny.en.
"""

import numpy as np

from apps.core.media import SAMPLE_RATE

from .base import Word
from .timing import timed_words

# Whisper's encoder sees 30 s at a time; a longer stretch keeps interpolated times.
MAX_SECONDS = 30.0
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.。,，!！?？:：”)]}、"


def align_words(model, audio: np.ndarray, text: str, *, language: str | None) -> list[Word]:
    """The words of `text` with their times in `audio` (seconds from its start).

    `model` is a faster_whisper.WhisperModel. Returns [] when there is nothing to align or
    the audio is longer than MAX_SECONDS."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import merge_punctuations

    text = text.strip()
    if not text or not len(audio) or len(audio) > MAX_SECONDS * SAMPLE_RATE:
        return []
    multilingual = model.model.is_multilingual
    tokenizer = Tokenizer(
        model.hf_tokenizer,
        multilingual,
        task="transcribe",
        language=(language or "en") if multilingual else None,
    )
    features = model.feature_extractor(audio)
    num_frames = min(features.shape[-1], model.feature_extractor.nb_max_frames)
    padded = np.zeros((features.shape[0], model.feature_extractor.nb_max_frames), np.float32)
    padded[:, :num_frames] = features[:, :num_frames]
    encoded = model.encode(padded)
    tokens = tokenizer.encode(" " + text)
    alignment = model.find_alignment(tokenizer, [tokens], encoded, num_frames)[0]
    merge_punctuations(alignment, _PREPEND, _APPEND)
    duration = len(audio) / SAMPLE_RATE
    words = tuple(
        Word(
            w["word"],
            round(float(w["start"]), 3),
            round(float(w["end"]), 3),
            round(float(w["probability"]), 4),
        )
        for w in alignment
        if w["word"]
    )
    # Within the audio, none of zero length (timing.py).
    return list(timed_words(words, 0.0, round(duration, 3))[0])


def spread_words(text: str, start: float, end: float) -> list[Word]:
    """Times shared out by length, until the alignment is done (or where it cannot run)."""
    pieces = [" " + w for w in text.split()]
    total = sum(len(p) for p in pieces) or 1
    words, at = [], start
    for piece in pieces:
        length = (end - start) * len(piece) / total
        words.append(Word(piece, round(at, 3), round(at + length, 3), 0.0))
        at += length
    return words
