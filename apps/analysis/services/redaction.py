"""The recording with its personal details covered, written block by block to a temporary file
(flat memory however long the recording is)."""

import tempfile
import wave

import numpy as np

from apps.core.media import SAMPLE_RATE, iter_pcm
from apps.transcripts.models import Transcript

from ..redaction import redacted_audio, redacted_times
from ..selectors import redacted_transcript

_BLOCK_SECONDS = 30.0


def redacted_audio_file(*, transcript: Transcript, tone: bool = True):
    """A 16 kHz mono WAV of the transcript's recording with a tone (or silence) over each
    redacted word, as an open temporary file positioned at its start (deleted on close)."""
    times = sorted(redacted_times(redacted_transcript(transcript)))
    out = tempfile.TemporaryFile(suffix=".wav")  # noqa: SIM115 (the response closes it)
    # Read from the storage as the blocks are decoded, whatever the storage is.
    media = transcript.media.storage.open(transcript.media.name, "rb")
    with media, wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        offset = 0.0
        for block in iter_pcm(media, block_seconds=_BLOCK_SECONDS):
            length = len(block) / SAMPLE_RATE
            here = [
                (start - offset, end - offset)
                for start, end in times
                if end >= offset and start <= offset + length
            ]
            covered = redacted_audio(block, here, rate=SAMPLE_RATE, tone=tone)
            wav.writeframes((np.clip(covered, -1, 1) * 32767).astype("<i2").tobytes())
            offset += length
    out.seek(0)
    return out
