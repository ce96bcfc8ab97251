"""Analyses as stages of their own: each with its status and error, started when the transcript
is done, run by the worker, re-runnable alone; a failure never touches the transcript."""

import os
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from apps.analysis import services
from apps.analysis.models import AnalysisRun
from apps.analysis.options import analysis_options_validate
from apps.engines.analysis.base import Chapter, Diarization, SpeakerTurn, Summary
from apps.engines.analysis.base import Speaker as EngineSpeaker
from apps.engines.stt.base import ProviderAnalyses
from apps.engines.stt.fake import FakeSpeechToText
from apps.jobs.runner import JobRun, job_run
from apps.jobs.services import jobs_reap
from apps.transcripts.models import Transcript

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fake_analysis")]
Status = AnalysisRun.Status


def fake_analysis_engine(settings, **options):
    settings.TRANSCRIPT_ANALYSIS = {
        **django_settings.TRANSCRIPT_ANALYSIS,
        "fake": {"BACKEND": "apps.engines.analysis.fake.FakeAnalysis", "OPTIONS": options},
    }


def statuses(transcript) -> dict[str, str]:
    return dict(transcript.analysis_runs.values_list("kind", "status"))


def test_it_runs_each_chosen_analysis_after_the_transcription(alice, analysed):
    t = analysed(alice, kinds=("speakers", "summary"), speakers=3)
    t.refresh_from_db()
    assert t.status == "done"
    assert statuses(t) == {"speakers": "done", "summary": "done"}
    run = t.analysis_runs.get(kind="speakers")
    assert run.options["num_speakers"] == 3 and run.engine == "fake" and run.percent == 100
    assert t.speakers.count() == 3
    assert t.analysis_runs.get(kind="summary").result["text"].startswith("Segment")


def test_a_failing_analysis_keeps_the_transcript_and_runs_again(
    alice, alice_client, analysed, settings
):
    fake_analysis_engine(settings, fail_with="unavailable")
    t = analysed(alice, speakers=2)
    t.refresh_from_db()
    assert t.status == "done" and t.text.startswith("Segment 0.") and t.segments.count() == 6
    assert set(statuses(t).values()) == {"failed"}
    run = t.analysis_runs.get(kind="speakers")
    assert run.error == "The fake engine failed (unavailable)." and run.error_retryable
    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert "The fake engine failed (unavailable)." in page and "Run again" in page
    assert page.count('class="segment') == 6  # the transcript is all there

    fake_analysis_engine(settings)  # the engine is back
    response = alice_client.post(
        reverse("analysis:start", args=[t.pk]), {"analyses": ["speakers"], "speakers": "3"}
    )
    assert response.status_code == 302
    assert statuses(t)["speakers"] == "done" and statuses(t)["summary"] == "failed"
    assert t.speakers.count() == 3 and t.analysis_runs.get(kind="speakers").attempts == 2


def test_a_re_run_with_another_speaker_count_replaces_the_speakers(alice, analysed):
    t = analysed(alice, kinds=("speakers",), speakers=2)
    services.analyses_start(
        transcript=t, options=analysis_options_validate(kinds=["speakers"], num_speakers=4)
    )
    assert t.speakers.count() == 4
    assert t.segments.count() == 6 and t.segments.filter(speaker=None).count() == 0


def test_it_says_which_analyses_a_language_cannot_have(alice, alice_client, analysed, settings):
    fake_analysis_engine(settings, languages={"sentiment": ["en"], "entities": ["en"]})
    t = analysed(alice, language="fr")
    assert statuses(t) == {
        "speakers": "done",
        "summary": "done",
        "keywords": "done",
        "chapters": "done",
        "entities": "skipped",
        "sentiment": "skipped",
    }
    assert "not available for language 'fr'" in t.analysis_runs.get(kind="sentiment").error
    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert "Not available for French: Entities, Sentiment." in page
    # The form to run analyses again leaves them out.
    assert 'value="chapters"' in page and 'value="sentiment"' not in page


def test_the_worker_runs_them_and_the_page_polls_until_done(
    alice, alice_client, analysed, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    t = analysed(alice, kinds=("speakers", "chapters"))
    assert statuses(t) == {"speakers": "waiting", "chapters": "waiting"}

    job_run(model=Transcript, job_id=t.pk)
    assert statuses(t) == {"speakers": "queued", "chapters": "queued"}
    status_url = reverse("analysis:status", args=[t.pk, "speakers"])
    page = alice_client.get(t.get_absolute_url()).content.decode()
    assert f'hx-get="{status_url}"' in page  # each run polls its own progress
    assert f'hx-get="{reverse("analysis:status", args=[t.pk, "chapters"])}"' in page
    assert alice_client.get(status_url).status_code == 200
    for run in t.analysis_runs.all():
        job_run(model=AnalysisRun, job_id=run.pk)
        job_run(model=AnalysisRun, job_id=run.pk)  # a second claim does nothing
    assert statuses(t) == {"speakers": "done", "chapters": "done"}
    done = alice_client.get(status_url)
    assert done.status_code == 286 and done["HX-Refresh"] == "true"


def test_it_refuses_to_start_what_is_running(alice, analysed):
    from django.core.exceptions import ValidationError

    t = analysed(alice, kinds=("chapters",))
    t.analysis_runs.update(status=Status.RUNNING, worker_id=f"{os.uname().nodename}:{os.getpid()}")
    with pytest.raises(ValidationError, match="Already running: Chapters"):
        services.analyses_start(transcript=t, options=analysis_options_validate(kinds=["chapters"]))


def test_it_queues_again_what_a_dead_worker_left_running(alice, analysed, settings):
    t = analysed(alice, kinds=("chapters",))
    t.analysis_runs.update(status=Status.RUNNING, worker_id=f"{os.uname().nodename}:999999999")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert jobs_reap() == [f"analysis.analysisrun:{t.analysis_runs.get().pk}"]
    assert statuses(t) == {"chapters": "queued"}


def test_it_queues_again_what_a_worker_elsewhere_stopped_reporting_on(alice, analysed, settings):
    t = analysed(alice, kinds=("chapters", "summary"))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.VOICEPORTAL_JOB_STALE_SECONDS = 300
    now = timezone.now()
    stale = t.analysis_runs.get(kind="chapters")
    t.analysis_runs.update(status=Status.RUNNING, worker_id="elsewhere:42", heartbeat_at=now)
    t.analysis_runs.filter(pk=stale.pk).update(heartbeat_at=now - timedelta(seconds=301))

    assert jobs_reap() == [f"analysis.analysisrun:{stale.pk}"]
    assert statuses(t) == {"chapters": "queued", "summary": "running"}
    assert jobs_reap() == []  # claimed once: a second recovery leaves it


def test_it_starts_again_what_a_worker_elsewhere_stopped_reporting_on(alice, analysed):
    t = analysed(alice, kinds=("chapters",))
    t.analysis_runs.update(
        status=Status.RUNNING,
        worker_id="elsewhere:42",
        heartbeat_at=timezone.now() - timedelta(days=1),
    )
    services.analyses_start(transcript=t, options=analysis_options_validate(kinds=["chapters"]))
    assert statuses(t) == {"chapters": "done"}


def test_the_claim_and_each_step_report_a_heartbeat(alice, analysed, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    t = analysed(alice, kinds=("speakers",))
    run = t.analysis_runs.get()
    assert run.heartbeat_at is None
    beats = []
    real = JobRun.progress

    def progress(self, *args, **kwargs):
        real(self, *args, **kwargs)
        if isinstance(self.job, AnalysisRun):
            beats.append(AnalysisRun.objects.get(pk=self.job.pk).heartbeat_at)

    with mock.patch.object(JobRun, "progress", progress):
        job_run(model=Transcript, job_id=t.pk)
        job_run(model=AnalysisRun, job_id=run.pk)
    run.refresh_from_db()
    assert run.status == "done" and len(beats) == 4
    assert run.started_at <= beats[0] <= beats[1] <= run.heartbeat_at


class ProvidingEngine(FakeSpeechToText):
    """A cloud-like engine that returns speakers, chapters and a summary with the transcript."""

    def transcribe(self, request):
        yield from super().transcribe(request)
        yield ProviderAnalyses(
            diarization=Diarization(
                speakers=(
                    EngineSpeaker("A", 4.0, 4, 60.0, ()),
                    EngineSpeaker("B", 7.0, 8, 68.6, ()),
                ),
                turns=(SpeakerTurn("A", 0.0, 4.0), SpeakerTurn("B", 4.0, 11.0)),
            ),
            chapters=(Chapter(0.0, 11.0, "All of it.", "segments"),),
            summary=Summary("Six segments.", "abstractive", "provider"),
        )


def test_it_stores_what_the_speech_engine_provided_instead_of_running_it(alice, analysed, settings):
    settings.SPEECH_TO_TEXT = {
        **django_settings.SPEECH_TO_TEXT,
        "providing": {"BACKEND": "tests.analysis.test_runs.ProvidingEngine"},
    }
    fake_analysis_engine(settings, fail_with="internal")  # anything run here fails
    t = analysed(alice, kinds=("speakers", "chapters", "summary", "sentiment"), engine="providing")
    runs = {r.kind: r for r in t.analysis_runs.all()}
    assert {k: r.status for k, r in runs.items()} == {
        "speakers": "done",
        "chapters": "done",
        "summary": "done",
        "sentiment": "failed",  # not provided: the local engine ran it
    }
    assert runs["speakers"].engine == "providing" and runs["sentiment"].engine == "fake"
    assert [s.label for s in t.speakers.all()] == ["A", "B"]
    assert [s.speaker.label for s in t.segments.select_related("speaker")] == ["A", "A"] + ["B"] * 4
    assert t.speakers.get(label="A").display_name == "Speaker A"
    assert runs["summary"].result["text"] == "Six segments."
    assert runs["chapters"].result[0]["headline"] == "All of it."
