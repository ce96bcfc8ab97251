from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"The shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-pass-123")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(alice, bob):
    from django.test import Client

    c = Client()
    c.force_login(bob)
    return c


@pytest.fixture
def make_transcript(corpus):
    """A stored transcript of a corpus file (or `path`) for `owner`, through the fake engine
    unless options say otherwise; its job runs inline unless a test keeps jobs queued."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.transcripts import services
    from apps.transcripts.options import options_validate

    def make(owner, name="jfk.flac", *, path: Path | None = None, **options):
        source = path or corpus / name
        upload = SimpleUploadedFile(source.name, source.read_bytes())
        opts = options_validate(**({"engine": "fake", "model": "fake"} | options))
        return services.transcript_create(owner=owner, upload=upload, options=opts)

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


def spoken(text: str) -> bytes:
    """`text` spoken by Piper (no noise: the same audio every run) as PCM16 24 kHz mono, the
    wire format of live and realtime sockets."""
    from apps.engines.tts.base import SpeechRequest
    from apps.engines.tts.encode import encode_stream
    from apps.engines.tts.piper import PiperBackend

    piper = PiperBackend(alias="piper", cpu_threads=1, noise_scale=0.0, noise_w_scale=0.0)
    return b"".join(encode_stream(piper.synthesize_pcm(SpeechRequest(text=text, format="pcm")),
                                  "pcm"))  # fmt: skip


@pytest.fixture(scope="session")
def spoken_question() -> bytes:
    """A short spoken question, as a user asks it into the microphone."""
    return spoken("What is the capital of France?")


@pytest.fixture(scope="session")
def portal_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One Daphne serving the portal on the test database for the whole session, for tests
    that need a real socket and models loaded once (the conversation tests: speech-to-text,
    the language model and Piper load in it on first use). Tests using it need
    `django_db(transaction=True)` so that what they write is visible to it."""
    from django.conf import settings

    from tests.live.server import Daphne

    with Daphne(
        db_path=settings.DATABASES["default"]["NAME"],
        media_root=str(settings.MEDIA_ROOT),
        log=tmp_path_factory.mktemp("daphne") / "daphne.log",
    ) as daphne:
        yield daphne


@pytest.fixture
def object_store(settings, tmp_path):
    """Media in a storage without local paths, like an object store shared by web servers and
    workers on other machines (tests/fakes/object_storage.py); returns the storage."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.fakes.object_storage.ObjectStorage",
            "OPTIONS": {"location": str(tmp_path / "objects")},
        },
    }
    return default_storage


def local_media() -> set[Path]:
    """The files in the local media folder and the spool (which an object store leaves as they
    were, once the work is done)."""
    from django.conf import settings

    folders = [Path(settings.MEDIA_ROOT), Path(settings.FILE_UPLOAD_TEMP_DIR)]
    return {p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()}
