"""ElevenLabs instant voice cloning, driven through the real `elevenlabs` SDK against a loopback
server that speaks ElevenLabs' wire format."""

import json

import pytest

from apps.engines.checks import check_engines
from apps.engines.cloning import cloning_backends
from apps.engines.cloning.base import ClonedVoice, VoiceCloneRequest
from apps.engines.cloning.elevenlabs import ElevenLabsCloning
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.registry import all_handlers
from apps.engines.tts import elevenlabs as elevenlabs_tts
from apps.engines.tts.base import SpeechRequest
from apps.engines.tts.elevenlabs import ElevenLabsTextToSpeech

ADD = "/v1/voices/add"


def make_backend(server, **options) -> ElevenLabsCloning:
    options = {
        "api_key": server.api_key,
        "base_url": server.url,
        "timeout": 5.0,
        "max_retries": 0,
        **options,
    }
    return ElevenLabsCloning(alias="elevenlabs", **options)


@pytest.fixture
def samples(corpus):
    return (corpus / "eagle_spk1_utt1.wav", corpus / "eagle_spk1_utt2.wav")


def clone(backend, samples, **fields) -> ClonedVoice:
    return backend.create(VoiceCloneRequest(name="Eagle", sample_paths=samples, **fields))


def failure(backend, samples, **fields) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        clone(backend, samples, **fields)
    return caught.value


def test_it_uploads_the_samples_and_the_name(fake_elevenlabs, samples):
    voice = clone(make_backend(fake_elevenlabs), samples)

    [request] = fake_elevenlabs.requests_to(ADD)
    assert request.fields == {"name": ["Eagle"], "labels": ["null"]}
    assert [(part, u.filename, u.data) for part, u in request.uploads] == [
        ("files", path.name, path.read_bytes()) for path in samples
    ]
    assert {u.content_type for _, u in request.uploads} <= {"audio/wav", "audio/x-wav"}
    assert voice == ClonedVoice(fake_elevenlabs.voices[-1]["voice_id"], False)


def test_it_sends_the_description_labels_and_noise_removal(fake_elevenlabs, samples):
    clone(
        make_backend(fake_elevenlabs),
        samples,
        description="A calm reader.",
        labels={"accent": "british", "gender": "male"},
        remove_background_noise=True,
    )

    [request] = fake_elevenlabs.requests_to(ADD)
    assert request.value("description") == "A calm reader."
    assert json.loads(request.value("labels")) == {"accent": "british", "gender": "male"}
    assert request.value("remove_background_noise") == "true"


def test_it_reports_that_the_voice_needs_verification(fake_elevenlabs, samples):
    fake_elevenlabs.requires_verification = True

    assert clone(make_backend(fake_elevenlabs), samples).requires_verification


def test_the_text_to_speech_engine_speaks_the_new_voice(fake_elevenlabs, samples, monkeypatch):
    monkeypatch.setattr(elevenlabs_tts, "_REFETCH_AFTER", 0.0)
    speech = ElevenLabsTextToSpeech(
        alias="elevenlabs", api_key=fake_elevenlabs.api_key, base_url=fake_elevenlabs.url
    )
    speech.voices()  # cached before the clone exists
    voice = clone(make_backend(fake_elevenlabs), samples)

    audio = b"".join(speech.synthesize_encoded(SpeechRequest("Hi.", voice=voice.provider_voice_id)))

    assert audio
    assert fake_elevenlabs.requests[-1].path.startswith(
        f"/v1/text-to-speech/{voice.provider_voice_id}"
    )


def test_it_deletes_the_voice(fake_elevenlabs, samples):
    backend = make_backend(fake_elevenlabs)
    voice = clone(backend, samples)

    backend.delete(voice.provider_voice_id)

    request = fake_elevenlabs.requests[-1]
    assert (request.method, request.path) == ("DELETE", f"/v1/voices/{voice.provider_voice_id}")
    assert fake_elevenlabs.voice(voice.provider_voice_id) is None


def test_deleting_a_voice_that_is_already_gone_succeeds(fake_elevenlabs):
    make_backend(fake_elevenlabs).delete("never-made")

    assert fake_elevenlabs.requests[-1].method == "DELETE"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, ErrorKind.AUTHENTICATION), (429, ErrorKind.RATE_LIMITED), (500, ErrorKind.UNAVAILABLE)],
)
def test_it_maps_delete_errors(fake_elevenlabs, status, kind):
    fake_elevenlabs.script(status=status)

    with pytest.raises(ProviderError) as caught:
        make_backend(fake_elevenlabs).delete("cl0ne")

    assert caught.value.kind == kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ErrorKind.INVALID_INPUT),
        (422, ErrorKind.INVALID_INPUT),
        (429, ErrorKind.RATE_LIMITED),
        (500, ErrorKind.UNAVAILABLE),
    ],
)
def test_it_maps_create_errors(fake_elevenlabs, samples, status, kind):
    fake_elevenlabs.script(status=status, message="Scripted failure.")

    error = failure(make_backend(fake_elevenlabs), samples)

    assert (error.kind, error.message) == (kind, "ElevenLabs: Scripted failure.")


def test_it_does_not_let_the_sdk_retry_an_upload(fake_elevenlabs, samples):
    # The SDK's retry would resend the files without the name; the job retries instead.
    fake_elevenlabs.script(status=503, headers={"retry-after": "0"})

    error = failure(make_backend(fake_elevenlabs, max_retries=2), samples)

    assert error.kind == ErrorKind.UNAVAILABLE
    assert len(fake_elevenlabs.requests_to(ADD)) == 1


def test_it_reports_a_rejected_key_as_authentication(fake_elevenlabs, samples):
    error = failure(make_backend(fake_elevenlabs, api_key="xi-wrong"), samples)

    assert error.kind == ErrorKind.AUTHENTICATION


def test_it_times_out_when_the_api_does_not_answer(fake_elevenlabs, samples):
    fake_elevenlabs.script(delay=3.0)

    error = failure(make_backend(fake_elevenlabs, timeout=0.3), samples)

    assert error.kind == ErrorKind.TIMEOUT


@pytest.mark.parametrize(
    "problem",
    ["no samples", "missing file", "not audio", "blank name", "too many samples"],
)
def test_it_refuses_a_bad_request_without_uploading(fake_elevenlabs, corpus, samples, problem):
    request = {
        "no samples": {"sample_paths": ()},
        "missing file": {"sample_paths": (corpus / "nope.wav",)},
        "not audio": {"sample_paths": (corpus / "jfk.txt",)},
        "blank name": {"name": "  "},
        "too many samples": {"sample_paths": samples * 13},
    }[problem]

    with pytest.raises(ProviderError) as caught:
        make_backend(fake_elevenlabs).create(
            VoiceCloneRequest(**{"name": "Eagle", "sample_paths": samples, **request})
        )

    assert caught.value.kind == ErrorKind.INVALID_INPUT
    assert fake_elevenlabs.requests == []


def test_it_reports_a_configuration_problem_without_a_key(fake_elevenlabs, samples):
    backend = make_backend(fake_elevenlabs, api_key="")

    assert "ELEVENLABS_API_KEY" in backend.configuration_problem()
    assert failure(backend, samples).kind == ErrorKind.AUTHENTICATION
    assert fake_elevenlabs.requests == []


def test_it_warns_in_the_system_check_without_a_key(settings):
    settings.VOICE_CLONING = {
        "elevenlabs": {"BACKEND": "apps.engines.cloning.elevenlabs.ElevenLabsCloning"}
    }

    [warning] = [m for m in check_engines() if "VOICE_CLONING" in m.msg]

    assert warning.id == "engines.W001"
    assert "ELEVENLABS_API_KEY" in warning.msg


def test_it_loads_from_settings(settings, fake_elevenlabs, samples):
    settings.VOICE_CLONING = {
        "elevenlabs": {
            "BACKEND": "apps.engines.cloning.elevenlabs.ElevenLabsCloning",
            "OPTIONS": {
                "api_key": fake_elevenlabs.api_key,
                "base_url": fake_elevenlabs.url,
                "tts_engine": "elevenlabs",
            },
        }
    }
    settings.VOICE_CLONING_DEFAULT = "elevenlabs"

    backend = cloning_backends.default()

    assert isinstance(backend, ElevenLabsCloning)
    assert backend.tts_engine == "elevenlabs"
    assert clone(backend, samples).provider_voice_id
    assert cloning_backends in all_handlers()
