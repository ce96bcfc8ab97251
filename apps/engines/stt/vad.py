"""Where a recording has speech, by faster-whisper's Silero VAD: segments with text over none of
it are flagged (a cloud engine, or Whisper over music, writes text where nobody speaks)."""

from pathlib import Path

from apps.core.media import SAMPLE_RATE, iter_pcm

# Shorter pauses than Whisper's chunking default (2 s), so a silent stretch between two
# sentences shows; padding keeps a word's soft edges inside its region.
_MIN_SILENCE_MS = 500
_SPEECH_PAD_MS = 200
_BLOCK_SECONDS = 120.0


def speech_regions(path: Path) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in the file, decoded block by block (flat memory)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=_MIN_SILENCE_MS, speech_pad_ms=_SPEECH_PAD_MS)
    regions, offset = [], 0.0
    for block in iter_pcm(path, block_seconds=_BLOCK_SECONDS):
        for chunk in get_speech_timestamps(block, options):
            start, end = chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE
            regions.append((offset + start, offset + end))
        offset += len(block) / SAMPLE_RATE
    return regions
