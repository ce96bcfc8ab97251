"""What the analyses add to the transcripts app's upload form, page and documents (registered
in AnalysisConfig.ready(); transcripts never imports this app)."""

from apps.transcripts.formats import DocumentOverlap
from apps.transcripts.selectors import document_speaker

from .forms import AnalysisForm
from .options import KINDS
from .page import analysis_page
from .selectors import analysis_results


class UploadAnalysisForm(AnalysisForm):
    """The analyses asked for with an upload: all of them unless unticked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["analyses"].initial = [k.value for k in KINDS]


def page_context(transcript) -> dict:
    analysis = analysis_page(transcript)
    return {
        "segments": analysis.segments,
        "analysis": analysis,
        "analysis_form": AnalysisForm(unavailable=analysis.unavailable),
    }


def document_results(transcript) -> dict:
    results = analysis_results(transcript)
    speakers = {s.pk: document_speaker(s) for s in results.speakers}
    segment_speakers = {
        pk: speakers[speaker]
        for pk, speaker in transcript.segments.exclude(speaker=None).values_list("pk", "speaker")
        if speaker in speakers
    }
    return {
        "speakers": tuple(speakers.values()),
        "segment_speakers": segment_speakers,
        "chapters": results.chapters,
        "entities": results.entities,
        "sentiment": results.sentiment,
        "keywords": results.keywords,
        "summary": results.summary,
        "overlaps": tuple(
            DocumentOverlap(speakers[o.speaker_id], speakers.get(o.over_id), o.start, o.end)
            for o in results.overlaps
            if o.speaker_id in speakers
        ),
    }
