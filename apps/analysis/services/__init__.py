"""Writes for analyses: start, run (in a worker), store; speakers and voice profiles."""

from .profiles import (
    known_speaker_save,
    voice_profile_delete,
    voice_profile_rename,
    voice_profile_save,
)
from .redaction import redacted_audio_file
from .runs import (
    analyses_after_transcription,
    analyses_start,
    analysis_run_execute,
    document_diarize,
)
from .speakers import segment_reassign, speaker_merge, speaker_rename, speakers_store

__all__ = [
    "analyses_after_transcription",
    "analyses_start",
    "analysis_run_execute",
    "document_diarize",
    "known_speaker_save",
    "redacted_audio_file",
    "segment_reassign",
    "speaker_merge",
    "speaker_rename",
    "speakers_store",
    "voice_profile_delete",
    "voice_profile_rename",
    "voice_profile_save",
]
