"""How the code is put together: layers that point one way, job state declared once."""

import subprocess
import sys
from pathlib import Path

APPS = Path(__file__).resolve().parents[1] / "apps"


def test_dependencies_point_one_way():
    # The contract in pyproject.toml: feature apps → jobs → engines → core, no cycles.
    result = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--no-cache"],
        cwd=APPS.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "0 broken" in result.stdout


def test_job_state_is_declared_once():
    declared = [
        (path.relative_to(APPS), line.strip())
        for path in APPS.rglob("models.py")
        for line in path.read_text().splitlines()
        if line.strip().startswith(("heartbeat_at = ", "worker_id = ", "cancel_requested = "))
    ]
    assert [str(path) for path, _ in declared] == ["jobs/models.py"] * 3, declared
