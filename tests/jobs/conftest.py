"""A queued job of every kind, made the way the portal makes them, on fake engines."""

import pytest
from django.conf import settings as django_settings

from apps.analysis.models import AnalysisRun
from apps.live.models import LiveSession
from apps.music.models import Track
from apps.speech.models import Generation, ParagraphRegeneration
from apps.transcripts.models import Segment, SegmentAlignment, Transcript
from apps.voices.models import CustomVoice, VoiceClone, VoicePreview

QUEUES = ["default", "speech"]


@pytest.fixture
def queued(settings):
    """Jobs stay queued (nothing runs inline), so a test drives the worker side itself."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}
    }
    settings.TEXT_TO_SPEECH = {
        **django_settings.TEXT_TO_SPEECH,
        "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech"},
    }
    settings.TRANSCRIPT_ANALYSIS_DEFAULT = "fake"


def _transcript(owner, make_transcript):
    return make_transcript(owner)


def _analysis(owner, make_transcript):
    transcript = make_transcript(owner)
    Transcript.objects.filter(pk=transcript.pk).update(status="done")
    return AnalysisRun.objects.create(
        owner=owner, transcript=transcript, kind="chapters", engine="fake", status="queued"
    )


def _generation(owner, make_transcript):
    from apps.speech.services import generation_create

    return generation_create(owner=owner, text="One. Two. Three.", voice_id="fake:low")


def _paragraph(owner, make_transcript):
    from apps.speech.paragraphs import paragraph_regenerate
    from apps.speech.services import generation_create

    g = generation_create(owner=owner, text="One.\n\nTwo.", voice_id="fake:low", paragraphs=True)
    Generation.objects.filter(pk=g.pk).update(status="done")  # as if spoken
    return paragraph_regenerate(owner=owner, paragraph=g.paragraphs.get(index=1), text="Two!")


def _voice(owner, make_transcript):
    return CustomVoice.objects.create(owner=owner, name="A voice")


def _clone(owner, make_transcript):
    voice = CustomVoice.objects.create(owner=owner, name="A voice", status="done")
    return VoiceClone.objects.create(voice=voice, owner=owner, engine="fake")


def _preview(owner, make_transcript):
    return VoicePreview.objects.create(key="fake:low")


def _track(owner, make_transcript):
    from apps.music.services import track_create

    return track_create(owner=owner, prompt="calm piano, 80 bpm", seconds=3, seed=1)


def _alignment(owner, make_transcript):
    # The transcript stays queued here (nothing runs inline): a segment as a finished one has.
    transcript = make_transcript(owner)
    segment = Segment.objects.create(transcript=transcript, index=0, start=0, end=2, text="Words.")
    return SegmentAlignment.objects.create(owner=owner, segment=segment, text="Corrected words.")


MAKERS = {
    "transcripts.transcript": _transcript,
    "analysis.analysisrun": _analysis,
    "speech.generation": _generation,
    "speech.paragraphregeneration": _paragraph,
    "voices.customvoice": _voice,
    "voices.voiceclone": _clone,
    "voices.voicepreview": _preview,
    "music.track": _track,
    "transcripts.segmentalignment": _alignment,
}


@pytest.fixture(params=sorted(MAKERS))
def any_job(request, alice, make_transcript, queued):
    """A queued job of each kind in turn."""
    return MAKERS[request.param](alice, make_transcript)


@pytest.fixture
def kinds():
    return {
        "transcripts.transcript": Transcript,
        "analysis.analysisrun": AnalysisRun,
        "speech.generation": Generation,
        "speech.paragraphregeneration": ParagraphRegeneration,
        "voices.customvoice": CustomVoice,
        "voices.voiceclone": VoiceClone,
        "voices.voicepreview": VoicePreview,
        # Never queued: its socket's web process runs it and beats it (apps/live).
        "live.livesession": LiveSession,
        "music.track": Track,
        "transcripts.segmentalignment": SegmentAlignment,
    }
