"""Custom voices in a storage without local paths (as an object store shared with workers on
other machines): samples are checked and cloned from local copies, served to their owner only,
and deleted through the storage."""

from pathlib import PurePosixPath

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from apps.jobs.runner import job_run
from apps.voices import services
from apps.voices.models import VoiceClone, VoicePreview
from tests.conftest import local_media

from .test_services import build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued")]


def test_a_voice_is_built_cloned_served_and_deleted_in_an_object_store(
    alice, alice_client, bob_client, corpus, make_voice, quick_match, cloning, object_store,
    monkeypatch,
):  # fmt: skip
    backend = cloning()
    heard = []  # what the language detection was given to read
    monkeypatch.setattr(
        "apps.voices.services.custom.sample_language",
        lambda path: heard.append(path.read_bytes()[:4]) or "en",
    )
    before = local_media()
    voice = build(make_voice(alice, names=("eagle_spk1_utt1.wav",)))
    assert voice.status == "done" and heard == [b"RIFF"]
    assert all(s.passed and s.duration > 1 for s in voice.samples.all())
    # The preview as its job stores it (the matched voice is slow to synthesise; its own tests
    # make it for real).
    preview = VoicePreview.objects.get(key=voice.public_id)
    preview.file.save("preview.mp3", ContentFile(b"ID3" + bytes(500)), save=False)
    VoicePreview.objects.filter(pk=preview.pk).update(file=preview.file.name, status="done")
    preview = alice_client.get(reverse("voices:preview_audio", args=[voice.public_id]))
    assert b"".join(preview.streaming_content)[:3] == b"ID3"
    assert len(object_store.objects()) == 2  # the sample and the preview
    job_run(model=VoiceClone, job_id=VoiceClone.objects.get(voice_id=str(voice.pk)).pk)
    voice.refresh_from_db()
    # The provider was sent the samples under their own names, from copies gone since.
    request = backend.voices[voice.cloud_voice_id]
    stored = {PurePosixPath(s.file.name).name for s in voice.samples.all()}
    assert {p.name for p in request.sample_paths} == stored
    assert not any(p.exists() for p in request.sample_paths)
    assert local_media() == before

    sample = voice.samples.get(original_filename="eagle_spk1_utt1.wav")
    url = reverse("voices:sample_audio", args=[voice.pk, sample.pk])
    served = alice_client.get(url)
    assert served["Content-Type"] == "audio/wav"
    assert b"".join(served.streaming_content) == (corpus / "eagle_spk1_utt1.wav").read_bytes()
    assert bob_client.get(url).status_code == 404

    assert len(object_store.objects()) == 1  # the preview of the voice before its clone went
    services.voice_delete(voice=voice)
    assert object_store.objects() == set()
