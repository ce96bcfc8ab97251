"""Production settings from the environment: `check --deploy` is clean with them, and the
Content-Security-Policy allows no inline script, which no template needs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voiceportal.settings",
        "VOICEPORTAL_DATA_DIR": str(tmp_path),
        "VOICEPORTAL_ALLOWED_HOSTS": "portal.example.org",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_with_the_production_variables(tmp_path):
    result = check_deploy(tmp_path, VOICEPORTAL_SECURE="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_them_check_deploy_names_what_is_missing(tmp_path):
    result = check_deploy(tmp_path)
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_script(client):
    policy = client.get("/account/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\shx-on[:-]", re.IGNORECASE)


def test_no_template_holds_script_the_policy_would_block():
    found = [
        f"{path.relative_to(REPO)}:{n}"
        for path in (REPO / "templates").rglob("*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]
    assert found == []


def test_the_data_folder_and_database_are_for_the_portals_user_alone(tmp_path):
    data = tmp_path / "data"
    assert check_deploy(data, VOICEPORTAL_SECURE="true").returncode == 0
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "db.sqlite3").stat().st_mode & 0o777 == 0o600
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
