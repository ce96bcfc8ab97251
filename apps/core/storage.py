"""Media through Django's STORAGES: the web server and the workers may be on different
machines sharing an object store. Where an engine needs a path, `local_copy` gives the file's
own path on a local storage, or a temporary copy of it otherwise."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db.models.fields.files import FieldFile


def local_path(file: FieldFile) -> Path | None:
    """The file's path where its storage keeps it in a local folder; None otherwise (a storage
    without paths, or one whose paths are not files here, such as InMemoryStorage's)."""
    try:
        path = Path(file.path)
    except NotImplementedError:  # Storage.path(): "This backend doesn't support absolute paths"
        return None
    return path if path.is_file() else None


def media_exists(file: FieldFile) -> bool:
    return bool(file) and file.storage.exists(file.name)


@contextmanager
def local_copy(file: FieldFile) -> Iterator[Path]:
    """A path to read `file` from for as long as the block runs."""
    own = local_path(file)
    if own is not None:
        yield own
        return
    with tempfile.NamedTemporaryFile(
        suffix=Path(file.name).suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as copy:
        with file.storage.open(file.name, "rb") as source:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield Path(copy.name)
