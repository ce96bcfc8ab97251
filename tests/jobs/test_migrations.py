"""A database made before the job framework keeps its transcripts, analyses, generations,
voices, clones and previews, with their state moved into the one set of job fields."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [
    ("transcripts", "0002_segment_speaker"),
    ("analysis", "0002_analysisrun_heartbeat"),
    ("speech", "0002_generation_cancel"),
    ("voices", "0001_initial"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_rows_made_before_the_job_framework_keep_working():
    old = migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="olduser")
    transcript = old.get_model("transcripts", "Transcript").objects.create(
        owner=user, title="Old", media="x.wav", duration=12.0, engine="local", model="base",
        status="cancelled", progress_seconds=5.0,
    )  # fmt: skip
    old.get_model("analysis", "AnalysisRun").objects.create(
        transcript=transcript, kind="entities", status="unavailable", error="Not for this language"
    )
    old.get_model("speech", "Generation").objects.create(
        owner=user, text="Hi.", voice_id="piper:joe", voice_name="Joe", engine="piper",
        format="mp3", status="done", sentences_done=3, sentences_total=3,
    )  # fmt: skip
    voices = old.get_model("voices", "CustomVoice")
    voices.objects.create(
        owner=user, name="Ready", status="ready", cloud_engine="elevenlabs", cloud_status="failed",
        cloud_error="Quota exceeded.",
    )  # fmt: skip
    voices.objects.create(owner=user, name="Busy", status="matching")
    old.get_model("voices", "VoicePreview").objects.create(key="piper:joe", status="ready")

    new = migrate(latest())
    t = new.get_model("transcripts", "Transcript").objects.get()
    assert (t.status, t.progress_done, t.progress_total) == ("cancelled", 5.0, 12.0)
    run = new.get_model("analysis", "AnalysisRun").objects.get()
    assert (run.status, run.owner_id, run.progress_total) == ("skipped", user.pk, 1.0)
    g = new.get_model("speech", "Generation").objects.get()
    assert (g.status, g.progress_done, g.progress_total) == ("done", 3, 3)
    ready = new.get_model("voices", "CustomVoice").objects.get(name="Ready")
    busy = new.get_model("voices", "CustomVoice").objects.get(name="Busy")
    assert ready.status == "done" and (busy.status, busy.stage) == (
        "running",
        "Matching a stock voice",
    )
    clone = new.get_model("voices", "VoiceClone").objects.get()
    assert (clone.voice_id, clone.status, clone.error) == (ready.pk, "failed", "Quota exceeded.")
    assert new.get_model("voices", "VoicePreview").objects.get().status == "done"
