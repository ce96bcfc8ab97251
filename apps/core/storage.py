"""Media through Django's STORAGES: the web server and the workers may be on different
machines sharing an object store or a network volume. Files are read with `storage.open`
(streamed), written with `storage.save`; where an engine needs a path, `local_copy` gives the
file's own path on a local storage, or a temporary copy of it otherwise.

This is the one module that asks a storage for paths (an architecture test holds it so)."""

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage

_COPY_CHUNK = 1024 * 1024


class Stored(Protocol):
    """A stored file: a FieldFile, or a `StoredFile` for a name kept outside a model field."""

    name: str
    storage: Storage


class StoredFile(NamedTuple):
    name: str
    storage: Storage = default_storage


def local_path(file: Stored) -> Path | None:
    """The file's path where its storage keeps it in a local folder; None otherwise (a storage
    without paths, or one whose paths are not files here, such as InMemoryStorage's)."""
    path = _storage_path(file.storage, file.name)
    return path if path is not None and path.is_file() else None


def _storage_path(storage: Storage, name: str) -> Path | None:
    try:
        return Path(storage.path(name))
    except NotImplementedError:  # Storage.path(): "This backend doesn't support absolute paths"
        return None


def media_exists(file: Stored | None) -> bool:
    return bool(file) and bool(file.name) and file.storage.exists(file.name)


@contextmanager
def local_copy(file: Stored) -> Iterator[Path]:
    """A path to read `file` from for as long as the block runs: its own on a local storage,
    else a temporary copy (with the file's own name, which some providers show), removed after.
    FileNotFoundError when the storage has no such file."""
    own = local_path(file)
    if own is not None:
        yield own
        return
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as folder:
        copy = Path(folder) / (PurePosixPath(file.name).name or "media")
        with file.storage.open(file.name, "rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, _COPY_CHUNK)
        yield copy


@contextmanager
def local_copies(files: Iterable[Stored]) -> Iterator[list[Path]]:
    with ExitStack() as stack:
        yield [stack.enter_context(local_copy(f)) for f in files]


def media_save(name: str, content, *, storage: Storage = default_storage) -> str:
    """Store `content` (bytes or a file) as `name`, replacing what was there; the stored name."""
    if storage.exists(name):
        storage.delete(name)
    if isinstance(content, bytes):
        content = _content(content)
    elif not isinstance(content, File):
        content = File(content)
    return storage.save(name, content)


def folder_delete(folder: str, *, storage: Storage = default_storage) -> None:
    """Remove every file under `folder` (an object store has no folders to remove; a local
    one's empty folders go too)."""
    own = _storage_path(storage, folder)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)
        return
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    for sub in folders:
        folder_delete(f"{folder}/{sub}", storage=storage)


# --- Files that grow while they are written (speech as it is spoken, live recordings) ---------


def growing_path(name: str, *, storage: Storage = default_storage) -> tuple[Path, bool]:
    """Where to write a file that grows, and whether that is the stored file itself.

    On a local storage the file grows in place (readers follow it there); otherwise it is
    written to a spool folder of this machine and stored by `growing_store` when complete."""
    own = _storage_path(storage, name)
    if own is not None:
        return own, True
    return Path(settings.FILE_UPLOAD_TEMP_DIR) / "spool" / name, False


def growing_store(name: str, *, storage: Storage = default_storage) -> str:
    """Store the spooled file `name` (see `growing_path`) and remove the spool; nothing to do
    where it grew in place. The stored name."""
    path, in_place = growing_path(name, storage=storage)
    if in_place or not path.is_file():
        return name
    with open(path, "rb") as source:
        stored = media_save(name, source, storage=storage)
    path.unlink()
    return stored


def growing_fetch(name: str, *, storage: Storage = default_storage) -> Path:
    """The growing file's path, with the stored file copied to the spool first when it is
    continued on a storage without paths (a live recording resumed)."""
    path, in_place = growing_path(name, storage=storage)
    if not in_place and not path.exists() and storage.exists(name):
        path.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target, _COPY_CHUNK)
    return path


def _part_name(name: str, n: int) -> str:
    return f"{name}.parts/{n:06d}"


class GrowingFile:
    """A file one process writes while others read it (speech as it is spoken).

    On a local storage it grows in place. On a storage without paths it is written to this
    machine's spool, and each piece written is also stored as a numbered part, so a reader on
    another machine follows the parts until `store` has put the whole file in their place.
    A storage without paths is taken to store each save whole, as object stores do."""

    def __init__(self, name: str, *, storage: Storage = default_storage):
        self.name, self.storage = name, storage
        self.path, self.in_place = growing_path(name, storage=storage)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(self.path, "wb")  # noqa: SIM115 (closed by close(), also on failure)
        self._parts = 0

    def write(self, data: bytes) -> None:
        """Write and flush: a reader told of the bytes (by the row) finds them."""
        self._out.write(data)
        self._out.flush()
        if not self.in_place:
            self.storage.save(_part_name(self.name, self._parts), _content(data))
            self._parts += 1

    def close(self) -> None:
        self._out.close()

    def store(self) -> None:
        """Close, store the whole file (from the spool) and remove its parts."""
        self.close()
        if self.in_place:
            return
        growing_store(self.name, storage=self.storage)
        for n in range(self._parts):
            self.storage.delete(_part_name(self.name, n))


class GrowingReader:
    """Reads a `GrowingFile` from where it left off, in its process or another."""

    def __init__(self, name: str, *, storage: Storage = default_storage):
        self.name, self.storage = name, storage
        self.path, self.in_place = growing_path(name, storage=storage)
        self.position = 0
        self._part = 0

    def nothing_new(self) -> bool:
        """True when a file growing in place has no bytes past those read: a stat, cheap
        enough to call from the event loop. A stored file cannot tell without a read: False."""
        if not self.in_place:
            return False
        try:
            return os.stat(self.path).st_size <= self.position
        except FileNotFoundError:  # the writer has not started
            return True

    def read(self, limit: int) -> bytes:
        """The next bytes written (at most `limit` of the file's own); b"" when none yet."""
        data = self._read_path(limit) if self.in_place else self._read_stored(limit)
        self.position += len(data)
        return data

    def _read_path(self, limit: int) -> bytes:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.position)
                return f.read(limit)
        except FileNotFoundError:  # the writer has not started
            return b""

    def _read_stored(self, limit: int) -> bytes:
        # The parts are removed only once the whole file is stored: no part, no whole file
        # means nothing more has been written yet.
        part = _part_name(self.name, self._part)
        if self.storage.exists(part):
            try:
                with self.storage.open(part, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                pass  # the whole file was stored and its parts removed since: read that
            else:
                self._part += 1
                return data
        if not self.storage.exists(self.name):
            return b""
        with self.storage.open(self.name, "rb") as f:
            f.seek(self.position)
            return f.read(limit)


def _content(data: bytes) -> ContentFile:
    return ContentFile(data)
