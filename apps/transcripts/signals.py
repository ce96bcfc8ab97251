"""What transcripts tell the apps built on them, which they do not import."""

from django.dispatch import Signal

# A transcript was stored and is about to be queued. Arguments: transcript, analyses (what was
# asked for with it; None when nothing).
transcript_created = Signal()

# Its transcription is done. Arguments: transcript_id, provided (ProviderAnalyses the engine
# made itself, or None).
transcript_done = Signal()
