"""Where the apps built on transcripts plug in, so that transcripts imports none of them: the
analysis app adds its fields to the upload form, its panels to the transcript page and its
results to every export. Each app registers in its AppConfig.ready()."""

from collections.abc import Callable
from typing import Any

# Form classes whose fields and clean() join the upload form's.
upload_form_bases: list[type] = []

# transcript -> extra context for its page (may replace "segments", the segments it lists).
page_context: list[Callable[[Any], dict]] = []

# transcript -> fields of TranscriptDocument the app fills (speakers, chapters, summary…), plus
# "segment_speakers": {segment pk: DocumentSpeaker}.
document_results: list[Callable[[Any], dict]] = []
