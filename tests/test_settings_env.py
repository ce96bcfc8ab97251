"""The one settings module reads the deployment from the environment: DATABASE_URL for
PostgreSQL (pooled), REDIS_URL for the task queue and the channel layer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from voiceportal.env import env_database

REPO = Path(__file__).resolve().parents[1]


def _parse(monkeypatch, url: str) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    return env_database("DATABASE_URL", pool_size=7)


def test_a_tcp_url_names_every_part(monkeypatch):
    db = _parse(
        monkeypatch, "postgresql://portal:p%40ss%2Fw@db.internal:6432/voice?sslmode=require"
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("voice", "portal", "p@ss/w")
    assert (db["HOST"], db["PORT"]) == ("db.internal", "6432")
    assert db["OPTIONS"]["sslmode"] == "require"
    assert db["OPTIONS"]["pool"]["max_size"] == 7


def test_a_unix_socket_comes_as_the_host_parameter(monkeypatch):
    db = _parse(monkeypatch, "postgres://postgres@/voice?host=/run/postgresql")
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("/run/postgresql", "", "voice")
    assert "host" not in db["OPTIONS"]


@pytest.mark.parametrize(
    "url", ["mysql://u@h/voice", "postgres://u@h:5432/", "sqlite:///var/db.sqlite3"]
)
def test_a_url_that_cannot_work_fails_loudly(monkeypatch, url):
    with pytest.raises(ImproperlyConfigured):
        _parse(monkeypatch, url)


def test_unset_means_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert env_database("DATABASE_URL", pool_size=7) is None


def _settings_with(tmp_path, **env) -> dict:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'tasks': s.TASKS['default']['BACKEND'],"
        "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'apps': s.INSTALLED_APPS,"
        "'rq': getattr(s, 'RQ_QUEUES', None),"
        "'live': s.STREAMING_SPEECH_TO_TEXT['local']['BACKEND']}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
            "VOICEPORTAL_DATA_DIR": str(tmp_path),
            **env,
        },  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_redis_url_moves_tasks_and_the_channel_layer_to_redis(tmp_path):
    plain = _settings_with(tmp_path)
    assert plain["engine"] == "django.db.backends.sqlite3"
    assert plain["tasks"] == "django_tasks_db.DatabaseBackend"
    assert plain["layer"] == "channels.layers.InMemoryChannelLayer" and plain["rq"] is None
    assert plain["live"].endswith(".LocalStreamingBackend")  # inference in the web process
    scaled = _settings_with(
        tmp_path, DATABASE_URL="postgres://u@/voice?host=/tmp", REDIS_URL="redis://cache:6379/1"
    )
    assert scaled["engine"] == "django.db.backends.postgresql"
    assert scaled["tasks"] == "django_tasks_rq.RQBackend"
    assert scaled["layer"] == "channels_redis.core.RedisChannelLayer"
    assert {"django_rq", "django_tasks_rq"} <= set(scaled["apps"])
    assert scaled["rq"]["default"]["URL"] == "redis://cache:6379/1"
    assert scaled["rq"]["speech"]["DEFAULT_TIMEOUT"] == -1  # jobs run as long as they need
    # Live sessions: the web process relays, inference workers hold the models.
    assert scaled["live"].endswith(".RemoteStreamingBackend")
