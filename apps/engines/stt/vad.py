"""Where a recording has speech, by faster-whisper's Silero VAD: segments with text over none of
it are flagged (a cloud engine, or Whisper over music, writes text where nobody speaks)."""

from pathlib import Path

from apps.core.media import SAMPLE_RATE, iter_pcm

from .silero import SpeechProbabilities

# Shorter pauses than Whisper's chunking default (2 s), so a silent stretch between two
# sentences shows; padding keeps a word's soft edges inside its region.
_MIN_SILENCE_MS = 500
_SPEECH_PAD_MS = 200
_BLOCK_SECONDS = 120.0


def flag_options():
    from faster_whisper.vad import VadOptions

    return VadOptions(min_silence_duration_ms=_MIN_SILENCE_MS, speech_pad_ms=_SPEECH_PAD_MS)


def heard(probabilities: SpeechProbabilities, offset: float) -> tuple[tuple[float, float], ...]:
    """Speech regions by the same settings as `speech_regions`, from the speech probabilities an
    engine already has for audio starting `offset` seconds into the file (the same regions
    within one of `speech_regions`' blocks; across them the detector's state runs on here)."""
    return tuple(
        (offset + c["start"] / SAMPLE_RATE, offset + c["end"] / SAMPLE_RATE)
        for c in probabilities.chunks(flag_options())
    )


def speech_regions(path: Path) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in the file, decoded block by block (flat memory)."""
    regions, offset = [], 0.0
    for block in iter_pcm(path, block_seconds=_BLOCK_SECONDS):
        regions.extend(heard(SpeechProbabilities(block), offset))
        offset += len(block) / SAMPLE_RATE
    return regions
