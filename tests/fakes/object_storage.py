"""A storage that behaves like an object store (S3 through django-storages) for tests: files by
name under a root of its own, no `path()` (NotImplementedError, as S3Storage), each save stored
whole (written aside, then moved into place), names that are not under the root refused.

Being on disk, it is shared by the processes a test starts (web server, workers), as a bucket
is shared by machines; select it with VOICEPORTAL_MEDIA_STORAGE=tests.fakes.object_storage.
ObjectStorage and VOICEPORTAL_MEDIA_STORAGE_OPTIONS={"location": "..."}."""

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


@deconstructible(path="tests.fakes.object_storage.ObjectStorage")
class ObjectStorage(Storage):
    def __init__(self, location: str):
        self.root = Path(location).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _object(self, name: str) -> Path:
        target = (self.root / name).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise SuspiciousFileOperation(f"{name!r} is not a name in this store")
        return target

    def _open(self, name: str, mode: str = "rb") -> File:
        if "r" not in mode or "+" in mode:
            raise ValueError("Objects are written with save(), not opened for writing")
        # The name the store knows, not where the bytes happen to lie.
        return File(open(self._object(name), mode), name=name)  # noqa: SIM115

    def _save(self, name: str, content) -> str:
        target = self._object(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        with open(aside, "wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
        os.replace(aside, target)
        return name

    def delete(self, name: str) -> None:
        self._object(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._object(name).is_file()  # a "folder" is only a prefix, as in S3

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        folder = self._object(path) if path.strip("/") else self.root
        if not folder.is_dir():
            return [], []
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
        return [e.name for e in entries if e.is_dir()], [e.name for e in entries if e.is_file()]

    def size(self, name: str) -> int:
        return self._object(name).stat().st_size

    def url(self, name: str) -> str:
        return f"/objects/{name}"

    def get_modified_time(self, name: str) -> datetime:
        return datetime.fromtimestamp(self._object(name).stat().st_mtime, tz=UTC)

    def objects(self) -> set[str]:
        """Every stored name (for tests' checks)."""
        return {
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        }
