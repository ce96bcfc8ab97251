"""The fake cloning backend, which other tests use in place of a provider."""

import pytest

from apps.engines.cloning import cloning_backends
from apps.engines.cloning.base import ClonedVoice, VoiceCloneRequest
from apps.engines.cloning.fake import FakeCloning
from apps.engines.errors import ErrorKind, ProviderError


@pytest.fixture
def fake(settings):
    settings.VOICE_CLONING = {"fake": {"BACKEND": "apps.engines.cloning.fake.FakeCloning"}}
    settings.VOICE_CLONING_DEFAULT = "fake"
    return cloning_backends.default()


@pytest.fixture
def request_(corpus):
    return VoiceCloneRequest(
        name="Eagle", sample_paths=(corpus / "eagle_spk1_utt1.wav",), labels={"accent": "us"}
    )


def test_it_makes_and_deletes_voices(fake, request_):
    first = fake.create(request_)
    second = fake.create(request_)

    fake.delete(first.provider_voice_id)

    assert (first, second) == (ClonedVoice("fake-voice-1"), ClonedVoice("fake-voice-2"))
    assert fake.voices == {"fake-voice-2": request_}
    assert fake.deleted == ["fake-voice-1"]


def test_it_can_require_verification(request_):
    fake = FakeCloning(alias="fake", requires_verification=True)

    assert fake.create(request_).requires_verification


def test_it_can_fail(request_):
    fake = FakeCloning(alias="fake", fail_with="rate_limited")

    with pytest.raises(ProviderError) as caught:
        fake.create(request_)

    assert caught.value.kind == ErrorKind.RATE_LIMITED
    assert fake.voices == {}


def test_it_checks_requests_like_a_real_backend(fake, corpus):
    with pytest.raises(ProviderError) as caught:
        fake.create(VoiceCloneRequest(name="Eagle", sample_paths=(corpus / "jfk.txt",)))

    assert caught.value.kind == ErrorKind.INVALID_INPUT
    assert "jfk.txt" in caught.value.message
