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


def test_media_is_reached_through_the_storage_api_only():
    """Web servers and workers may be on different machines sharing an object store: no app
    code asks a stored file or a storage for a local path, or builds one from MEDIA_ROOT, but
    apps/core/storage.py (local_copy, growing files)."""
    import ast

    from django.apps import apps as registry
    from django.db.models import FileField

    fields = {
        f.name
        for m in registry.get_models()
        for f in m._meta.get_fields()
        if isinstance(f, FileField)
    }
    assert {"media", "audio", "file"} <= fields  # the check below sees the real field names
    found = []
    for path in APPS.rglob("*.py"):
        text = path.read_text()
        if path.relative_to(APPS).as_posix() == "core/storage.py":
            continue
        if ".path" not in text and "MEDIA_ROOT" not in text:
            continue  # nothing to look at closer (parsing every file is slow)
        for node in ast.walk(ast.parse(text)):
            where = f"{path.relative_to(APPS)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr == "path":
                owner = node.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if name in fields or "storage" in name:
                    found.append(f"{where}: {ast.unparse(node)}")
            if "MEDIA_ROOT" in (getattr(node, "attr", None), getattr(node, "id", None)):
                found.append(f"{where}: MEDIA_ROOT")
    assert found == [], "\n".join(found)
