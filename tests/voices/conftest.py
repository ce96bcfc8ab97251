import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.engines.cloning import cloning_backends
from apps.engines.voice.match import VoiceMatch
from apps.voices import services
from apps.voices.models import CustomVoice, VoiceClone, VoiceConsent, VoiceSample
from apps.voices.services import Consent, SampleUpload

QUEUES = ["default", "speech"]


@pytest.fixture(autouse=True)
def engines(settings):
    """The real engines plus the fake one; no cloning unless a test asks for it."""
    settings.TEXT_TO_SPEECH = {
        **django_settings.TEXT_TO_SPEECH,
        "fake": {"BACKEND": "apps.engines.tts.fake.FakeTextToSpeech"},
    }
    settings.VOICE_CLONING = {}
    settings.VOICEPORTAL_MATCH_CANDIDATES = ["piper:joe", "flite:slt", "kokoro:jf_alpha"]
    # The nearest only: choosing among reshaped voices is tested in tests/engines.
    settings.VOICEPORTAL_MATCH_FITTED = 1


@pytest.fixture
def queued(settings):
    """Tasks stay queued (nothing runs inline), so a test drives the worker side itself."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}
    }


@pytest.fixture
def cloning(settings):
    """The fake cloning backend (spoken by the fake engine); returns the backend instance."""

    def configure(**options):
        settings.VOICE_CLONING = {
            "fake": {
                "BACKEND": "apps.engines.cloning.fake.FakeCloning",
                "OPTIONS": {"tts_engine": "fake", **options},
            }
        }
        return cloning_backends["fake"]

    return configure


CANNED_MATCH = VoiceMatch(
    engine="fake",
    voice="low",
    source_f0=150.0,
    target_f0=180.0,
    f0_range=1.1,
    formant_ratio=1.06,
    similarity_stock=0.61,
    similarity_matched=0.78,
    similarity_vocoded=0.64,
    candidates=(("fake", "low", 0.6), ("fake", "high", 0.5)),
)


class MatchCalls(list):
    """(samples, candidates) of each voice_match call; `options`: its keyword arguments."""

    def __init__(self):
        super().__init__()
        self.options = []


@pytest.fixture
def quick_match(monkeypatch):
    """Skips the 15-45 s voice search where only the portal's side is under test (the search
    itself runs on real recordings in test_build.py and tests/engines/test_voice_match.py)."""
    calls = MatchCalls()

    def fake_match(samples, candidates, *, language="", base=None, fit_candidates=1):
        calls.append((samples, candidates))
        calls.options.append({"language": language, "base": base, "fitted": fit_candidates})
        return CANNED_MATCH

    monkeypatch.setattr("apps.voices.services.custom.voice_match", fake_match)
    # The language is found with Whisper for real in test_build.py and test_matching.py.
    monkeypatch.setattr("apps.voices.services.custom.sample_language", lambda path: "en")
    return calls


def upload(path: Path, name: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="audio/wav")


CONSENT = Consent(
    basis=VoiceConsent.Basis.OWN_VOICE,
    speaker_name="Alice Example",
    confirmed=True,
    ip_address="127.0.0.1",
    user_agent="pytest",
)


@pytest.fixture
def make_voice(corpus):
    """A custom voice of `owner` made through the service from corpus files (queued; built
    inline when tasks run inline and the database commits)."""

    def make(owner, names=("eagle_spk1_utt1.wav", "eagle_spk1_utt2.wav"), consent=CONSENT):
        samples = [SampleUpload(upload(corpus / n)) for n in names]
        return services.voice_create(owner=owner, name="My voice", samples=samples, consent=consent)

    return make


@pytest.fixture
def ready_voice(corpus, settings):
    """A voice in the state a finished build leaves it: checked samples and a voice match (on
    the fake engine, so speaking with it is quick)."""

    def make(owner, name="Ready voice", **fields) -> CustomVoice:
        fields = {"status": "done", "match": CANNED_MATCH.as_dict()} | fields
        # The clone is a job of its own: cloud_status and cloud_error are its status and error.
        clone = {k: fields.pop(f"cloud_{k}") for k in ("status", "error") if f"cloud_{k}" in fields}
        voice = CustomVoice.objects.create(owner=owner, name=name, **fields)
        if clone:
            VoiceClone.objects.create(voice=voice, owner=owner, engine=voice.cloud_engine, **clone)
        consent = VoiceConsent.objects.create(
            voice=voice,
            basis=CONSENT.basis,
            speaker_name=CONSENT.speaker_name,
            statement=services.consent_statement(basis=CONSENT.basis, speaker_name="Alice"),
            confirmed_by=owner,
            confirmed_at="2026-01-01T00:00:00Z",
        )
        sample = VoiceSample(voice=voice, consent=consent, original_filename="utt1.wav")
        sample.file.save("utt1.wav", upload(corpus / "eagle_spk1_utt1.wav"), save=False)
        sample.passed = True
        sample.save()
        return voice

    return make


def voice_files(voice: CustomVoice) -> Path:
    return Path(django_settings.MEDIA_ROOT) / "voices" / str(voice.owner_id) / str(voice.pk)


def copy_to(tmp_path: Path, source: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(source, target)
    return target
