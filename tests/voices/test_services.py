"""Custom voices through the services: consent, samples and their checks, the build, cloning,
sharing and deleting (the worker side driven by the test; tasks stay queued)."""

from datetime import timedelta
from pathlib import Path
from socket import gethostname

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.engines.errors import ProviderError
from apps.jobs.runner import job_run
from apps.jobs.services import jobs_reap
from apps.jobs.workers import worker_id
from apps.voices import services
from apps.voices.models import (
    CustomVoice,
    VoiceClone,
    VoiceConsent,
    VoicePreview,
    VoiceSample,
    VoiceShare,
)
from apps.voices.selectors import voice_resolve
from apps.voices.services import Consent, SampleUpload
from tests.media_factory import silence, write_wav

from .conftest import CONSENT, upload, voice_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def build(voice) -> CustomVoice:
    job_run(model=CustomVoice, job_id=str(voice.pk))
    voice.refresh_from_db()
    return voice


# --- Consent and samples -------------------------------------------------------------------------


def test_no_voice_is_made_without_consent(alice, make_voice):
    for consent in (
        Consent(basis="own_voice", speaker_name="Alice", confirmed=False),
        Consent(basis="written_permission", speaker_name=" ", confirmed=True),
        Consent(basis="because", speaker_name="Alice", confirmed=True),
    ):
        with pytest.raises(ValidationError) as error:
            make_voice(alice, consent=consent)
        assert {"consent", "speaker_name", "consent_basis"} & set(error.value.message_dict)
    assert not CustomVoice.objects.exists() and not VoiceSample.objects.exists()


def test_the_consent_is_stored_with_the_samples(alice, make_voice):
    consent = Consent(
        basis=VoiceConsent.Basis.WRITTEN_PERMISSION,
        speaker_name="Jo Speaker",
        confirmed=True,
        ip_address="203.0.113.7",
        user_agent="Chromium",
    )
    voice = make_voice(alice, consent=consent)
    stored = voice.consents.get()
    assert stored.basis == "written_permission" and stored.speaker_name == "Jo Speaker"
    assert "written permission of Jo Speaker" in stored.statement
    assert stored.confirmed_by == alice and stored.confirmed_at is not None
    assert (stored.ip_address, stored.user_agent) == ("203.0.113.7", "Chromium")
    samples = list(voice.samples.all())
    assert [s.consent for s in samples] == [stored, stored]
    assert all(Path(s.file.path).is_file() and s.duration > 9 for s in samples)
    assert voice.status == "queued"


def test_a_file_that_is_not_audio_is_refused_and_nothing_kept(alice, make_voice, settings):
    media = Path(settings.MEDIA_ROOT)
    before = set(media.rglob("*"))
    with pytest.raises(ValidationError) as error:
        make_voice(alice, names=("eagle_spk1_utt1.wav", "jfk.txt"))
    (message,) = error.value.message_dict["samples"]
    assert message.startswith("jfk.txt:") and "not audio" in message
    assert not CustomVoice.objects.exists() and not VoiceConsent.objects.exists()
    assert set(media.rglob("*")) <= before


def test_a_voice_needs_a_name_and_samples(alice):
    with pytest.raises(ValidationError) as error:
        services.voice_create(owner=alice, name=" ", samples=[], consent=CONSENT)
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.voice_create(owner=alice, name="V", samples=[], consent=CONSENT)
    assert "samples" in error.value.message_dict


def _six_minutes_of_silence(path: Path) -> Path:
    # 8 kHz keeps the file small; the length is what counts.
    return write_wav(path, np.zeros(6 * 60 * 8000, dtype=np.float32), rate=8000)


def test_a_sample_over_five_minutes_is_refused_from_its_length(alice, tmp_path):
    long = _six_minutes_of_silence(tmp_path / "long.wav")
    samples = [SampleUpload(upload(long))]
    with pytest.raises(ValidationError) as error:
        services.voice_create(owner=alice, name="V", samples=samples, consent=CONSENT)
    (message,) = error.value.message_dict["samples"]
    assert message.startswith("long.wav:") and "6:00 long; at most 5:00" in message
    assert not CustomVoice.objects.exists() and not VoiceSample.objects.exists()


# --- The build -----------------------------------------------------------------------------------


def test_the_build_checks_each_sample_and_makes_the_match(alice, make_voice, quick_match):
    voice = build(make_voice(alice))
    assert voice.status == "done" and voice.match["voice"] == "low" and voice.attempts == 1
    (samples, candidates) = quick_match[0]
    assert len(samples) == 2 and len(samples[0]) > 9 * 16_000
    assert {(b.alias, v.id) for b, v in candidates} == {
        ("piper", "joe"), ("flite", "slt"), ("kokoro", "jf_alpha"),
    }  # fmt: skip
    assert quick_match.options == [{"language": "en", "base": None, "fitted": 1}]
    for sample in voice.samples.all():
        assert sample.passed and sample.speech_seconds > 7 and sample.level_db > -30
        assert {c["level"] for c in sample.checks} == {"ok"}
    assert VoicePreview.objects.get(key=voice.public_id).status == "queued"


def test_a_sample_too_long_fails_the_build_before_decoding(alice, make_voice, tmp_path):
    voice = make_voice(alice)
    sample = voice.samples.first()  # stored before the rule, or changed on disk since
    _six_minutes_of_silence(Path(sample.file.path))
    voice = build(voice)
    assert voice.status == "failed" and voice.error_kind == "invalid_input"
    assert f"{sample.original_filename}: The recording is 6:00 long" in voice.error


def test_bad_samples_stop_the_build_with_feedback_per_sample(alice, corpus, tmp_path, quick_match):
    quiet = silence(tmp_path / "silence.wav", 4)
    samples = [SampleUpload(upload(corpus / "eagle_spk1_utt1.wav")), SampleUpload(upload(quiet))]
    voice = services.voice_create(owner=alice, name="V", samples=samples, consent=CONSENT)
    voice = build(voice)
    assert voice.status == "failed" and voice.error_kind == "invalid_input"
    assert "1 of 2 samples did not pass" in voice.error and not quick_match
    good = voice.samples.get(original_filename="eagle_spk1_utt1.wav")
    bad = voice.samples.get(original_filename="silence.wav")
    assert good.passed and not bad.passed
    assert any("silent" in c["message"] for c in bad.checks if c["level"] == "error")

    # Remove the bad one and try again.
    bad_path = Path(bad.file.path)
    services.sample_delete(sample=bad)
    assert not bad_path.exists() and voice.samples.count() == 1
    services.voice_retry(voice=voice)
    assert build(voice).status == "done"


def test_two_speakers_in_one_set_are_flagged(alice, make_voice, quick_match):
    voice = build(
        make_voice(
            alice, names=("eagle_spk1_utt1.wav", "eagle_spk1_utt2.wav", "eagle_spk2_test.wav")
        )
    )
    assert voice.status == "failed"
    other = voice.samples.get(original_filename="eagle_spk2_test.wav")
    assert not other.passed
    assert "different person" in next(c["message"] for c in other.checks if c["level"] == "error")


def test_two_people_on_the_two_channels_of_a_recording_are_flagged(alice, make_voice, quick_match):
    """A real two-channel recording with one person on each channel: mixed down, the two voices
    overlap and the recording is too short to compare its parts."""
    voice = build(make_voice(alice, names=("eagle_spk1_utt1.wav", "stereo_diarization.wav")))
    assert voice.status == "failed"
    stereo = voice.samples.get(original_filename="stereo_diarization.wav")
    speaker = next(c for c in stereo.checks if c["name"] == "speaker")
    assert speaker["level"] == "error" and "left and right channels" in speaker["message"]


def test_samples_can_be_added_to_a_failed_voice(alice, corpus, make_voice, quick_match):
    voice = build(make_voice(alice, names=("eagle_spk2_test.wav", "eagle_spk1_utt1.wav")))
    assert voice.status == "failed"
    with pytest.raises(ValidationError):
        services.samples_add(
            voice=voice,
            samples=[SampleUpload(upload(corpus / "eagle_spk1_utt2.wav"))],
            consent=Consent(basis="own_voice", speaker_name="Alice", confirmed=False),
        )
    services.samples_add(
        voice=voice, samples=[SampleUpload(upload(corpus / "eagle_spk1_utt2.wav"))], consent=CONSENT
    )
    assert voice.consents.count() == 2 and voice.samples.count() == 3


# --- Cloning -------------------------------------------------------------------------------------


def test_a_voice_is_cloned_when_cloning_is_configured(alice, make_voice, quick_match, cloning):
    backend = cloning()
    voice = build(make_voice(alice))
    assert voice.cloud_status == "queued" and voice.cloud_engine == "fake"
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    assert voice.cloud_status == "done" and voice.cloud_voice_id in backend.voices
    request = backend.voices[voice.cloud_voice_id]
    assert request.name == "My voice" and len(request.sample_paths) == 2
    assert voice_resolve(user=alice, voice_id=voice.public_id).method == "clone"


def test_requires_verification_is_kept(alice, make_voice, quick_match, cloning):
    cloning(requires_verification=True)
    voice = build(make_voice(alice))
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    assert voice.cloud_requires_verification
    assert voice_resolve(user=alice, voice_id=voice.public_id).method == "match"


def test_a_provider_failure_is_reported_and_can_be_retried(alice, make_voice, quick_match, cloning):
    backend = cloning(fail_with="unavailable")
    voice = build(make_voice(alice))
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    assert voice.status == "done"  # the local match does not depend on the provider
    assert voice.cloud_status == "failed" and "fake cloning engine failed" in voice.cloud_error
    backend.fail_with = ""
    assert services.clone_retry(voice=voice)
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    assert voice.cloud_status == "done" and voice.cloud_error == ""


def test_no_clone_is_made_without_cloning_configured(alice, make_voice, quick_match):
    voice = build(make_voice(alice))
    assert voice.cloud_status == "" and voice.cloud_engine == ""


# --- Sharing and deleting ------------------------------------------------------------------------


def test_sharing_needs_an_existing_other_user(alice, bob, ready_voice):
    voice = ready_voice(alice)
    assert services.voice_share(voice=voice, username="nobody") is None
    with pytest.raises(ValidationError):
        services.voice_share(voice=voice, username="alice")
    services.voice_share(voice=voice, username="BOB")
    services.voice_share(voice=voice, username="bob")
    assert list(VoiceShare.objects.values_list("user__username", flat=True)) == ["bob"]
    services.voice_unshare(voice=voice, user_id=bob.pk)
    assert not VoiceShare.objects.exists()


def test_deleting_removes_samples_and_derived_files(alice, bob, make_voice, quick_match):
    voice = build(make_voice(alice))
    services.voice_share(voice=voice, username="bob")
    job_run(model=VoicePreview, job_id=VoicePreview.objects.get(key=voice.public_id).pk)
    preview = VoicePreview.objects.get(key=voice.public_id)
    assert preview.status == "done" and Path(preview.file.path).is_file()
    folder = voice_files(voice)
    assert len(list(folder.rglob("*.*"))) == 3  # two samples and the preview
    services.voice_delete(voice=voice)
    assert not folder.exists()
    for model in (CustomVoice, VoiceSample, VoiceConsent, VoiceShare, VoicePreview):
        assert not model.objects.exists()


def test_deleting_deletes_the_clone_at_the_provider(alice, make_voice, quick_match, cloning):
    backend = cloning()
    voice = build(make_voice(alice))
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    services.voice_delete(voice=voice)
    assert backend.deleted == [voice.cloud_voice_id] and not backend.voices


def test_a_failed_delete_at_the_provider_keeps_the_voice(alice, make_voice, quick_match, cloning):
    backend = cloning()
    voice = build(make_voice(alice))
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    backend.fail_with = "unavailable"
    with pytest.raises(ProviderError):
        services.voice_delete(voice=voice)
    assert CustomVoice.objects.filter(pk=voice.pk).exists() and voice_files(voice).exists()
    services.voice_delete(voice=voice, keep_cloud=True)
    assert not CustomVoice.objects.exists() and backend.voices  # the clone stays there


# --- Recovery ------------------------------------------------------------------------------------


def test_a_build_left_by_a_dead_worker_is_queued_again(alice, ready_voice):
    voice = ready_voice(alice, status="running", match=None, worker_id=f"{gethostname()}:999999")
    alive = ready_voice(alice, status="running", match=None, worker_id=worker_id())
    assert jobs_reap() == [f"voices.customvoice:{voice.pk}"]
    voice.refresh_from_db()
    alive.refresh_from_db()
    assert (voice.status, alive.status) == ("queued", "running")


def test_a_lost_preview_is_asked_for_again(alice):
    voice = voice_resolve(user=alice, voice_id="fake:low")
    preview = services.preview_request(voice=voice)
    stopped = timezone.now() - timedelta(minutes=10)
    VoicePreview.objects.filter(pk=preview.pk).update(
        status="running", worker_id="elsewhere:42", heartbeat_at=stopped
    )
    assert services.preview_request(voice=voice).status == "running"  # still working on it
    assert jobs_reap() == [f"voices.voicepreview:{preview.pk}"]  # its worker stopped reporting
    assert services.preview_request(voice=voice).status == "queued"
    job_run(model=VoicePreview, job_id=preview.pk)
    assert VoicePreview.objects.get(pk=preview.pk).status == "done"


def test_the_owner_may_start_the_voice_from_another_candidate(alice, ready_voice, quick_match):
    voice = ready_voice(alice)
    services.voice_rebase(voice=voice, engine="fake", voice_id="high")
    assert voice.status == "queued" and voice.base_voice == "fake:high"
    build(voice)
    assert voice.status == "done"
    assert quick_match.options[-1]["base"] == ("fake", "high")


@pytest.mark.parametrize(
    ("fields", "choice", "message"),
    [
        ({}, ("piper", "joe"), "Choose one of the voices listed."),
        ({"status": "failed"}, ("fake", "high"), "once the voice is made"),
    ],
)
def test_only_a_listed_voice_of_a_made_voice_can_be_chosen(
    alice, ready_voice, fields, choice, message
):
    voice = ready_voice(alice, **fields)
    with pytest.raises(ValidationError) as error:
        services.voice_rebase(voice=voice, engine=choice[0], voice_id=choice[1])
    assert message in error.value.messages[0]
    voice.refresh_from_db()
    assert voice.base_voice == "" and voice.status == fields.get("status", "done")
