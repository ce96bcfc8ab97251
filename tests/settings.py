"""Settings for the test suite: the real ones, with media in a temporary folder, jobs run inline
unless a test starts a real worker, and the fast English model by default."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("VOICEPORTAL_LOCAL_MODEL", "tiny.en")
# The model cache is kept between runs: assembling the base model each time is wasted work.
os.environ.setdefault(
    "VOICEPORTAL_MODEL_CACHE", str(Path(__file__).resolve().parents[1] / "var" / "models")
)

from voiceportal.settings import *  # noqa: E402,F403
from voiceportal.settings import SPEECH_TO_TEXT  # noqa: E402

_TMP = Path(tempfile.mkdtemp(prefix="voiceportal-tests-"))
MEDIA_ROOT = Path(os.environ.get("VOICEPORTAL_MEDIA_ROOT", _TMP / "media"))
FILE_UPLOAD_TEMP_DIR = str(_TMP / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only

# A file database, so a worker started by a test (a separate process) sees the same data;
# PostgreSQL instead where DATABASE_URL says so (the scale-out tests' workers).
if not os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("VOICEPORTAL_SQLITE_PATH", str(_TMP / "db.sqlite3")),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
            "TEST": {
                "NAME": os.environ.get("VOICEPORTAL_SQLITE_PATH", str(_TMP / "test-db.sqlite3"))
            },
        }
    }

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "VOICEPORTAL_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default", "speech", "webhooks"],
    }
}

SPEECH_TO_TEXT = {
    **SPEECH_TO_TEXT,
    "fake": {
        "BACKEND": "apps.engines.stt.fake.FakeSpeechToText",
        "OPTIONS": {"delay": float(os.environ.get("VOICEPORTAL_FAKE_DELAY", "0"))},
    },
}
SPEECH_TO_TEXT["local"]["OPTIONS"]["cpu_threads"] = 2

from voiceportal.settings import TRANSCRIPT_ANALYSIS  # noqa: E402

# Analyses: the offline engines stay the default; tests switch to the fake one when they only
# need the portal's side (`settings.TRANSCRIPT_ANALYSIS_DEFAULT = "fake"`).
TRANSCRIPT_ANALYSIS = {
    **TRANSCRIPT_ANALYSIS,
    "fake": {"BACKEND": "apps.engines.analysis.fake.FakeAnalysis"},
}

# The voice-detector pass over every recording is for the tests that look at its flags
# (tests/transcripts/test_flags.py turns it on); hundreds of other transcripts skip it.
VOICEPORTAL_FLAG_SILENCE = False

# A worker started by a test loads no models unless it needs them.
VOICEPORTAL_WARM_UP = os.environ.get("VOICEPORTAL_WARM_UP", "1") == "1"
VOICEPORTAL_JOB_REAP_SECONDS = float(os.environ.get("VOICEPORTAL_JOB_REAP_SECONDS", "75"))
VOICEPORTAL_JOB_HEARTBEAT_SECONDS = float(os.environ.get("VOICEPORTAL_JOB_HEARTBEAT_SECONDS", "30"))
VOICEPORTAL_JOB_STALE_SECONDS = int(os.environ.get("VOICEPORTAL_JOB_STALE_SECONDS", "300"))
VOICEPORTAL_WORKER_NICE = 0

from voiceportal.settings import CONVERSATION_ENGINES  # noqa: E402

# Replies the same each run (greedy decoding), and short.
_cascade = CONVERSATION_ENGINES["cascade"]["OPTIONS"]
_cascade = _cascade["engine"]["OPTIONS"] if "engine" in _cascade else _cascade  # in a worker
_cascade.update(temperature=0.0, max_tokens=60)
