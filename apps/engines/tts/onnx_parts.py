"""Parts of an ONNX network, cut once with the `onnx` package and kept in the model cache.

Cutting a network costs about a second, and a session made from bytes keeps more memory than
one opened from a file, so the parts are written to the cache once and opened from there after.
"""

import os
import tempfile
from pathlib import Path


def model_version(model_path: Path) -> str:
    """Changes with the model file (a new voice package)."""
    stat = model_path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def store_parts(folder: Path, files: list[tuple[str, object]]) -> None:
    """Each (name, ONNX model or text) written beside its target and renamed, in order: with
    the last file a marker, another process (two workers starting at once) sees the parts
    whole or not at all."""
    import onnx

    folder.mkdir(parents=True, exist_ok=True)
    for target, content in files:
        fd, staging = tempfile.mkstemp(prefix=".part-", dir=folder)
        os.close(fd)
        try:
            if isinstance(content, str):
                Path(staging).write_text(content)
            else:
                onnx.save(content, staging)
            os.replace(staging, folder / target)
        except BaseException:
            # A part is hundreds of MB: a full disk must not leave it behind at every start.
            Path(staging).unlink(missing_ok=True)
            raise
