"""Files that ship inside installed Python packages (model weights, voices), found without
importing the package: importing it would pull in what the portal does not use (torch, say)."""

import importlib.util
from pathlib import Path

from .errors import ErrorKind, ProviderError


def package_dir(package: str, *, missing: str = "") -> Path:
    """Where the installed Python package `package` lives; a clear error (`missing`, else a
    generic one) when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            missing or f"The Python package {package!r} is not installed.",
            kind=ErrorKind.INTERNAL,
            permanent=True,
        )
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_file(package: str, relative: str, *, what: str, install: str) -> Path:
    """`relative` inside the installed `package`; the error names `install` (the pip command)."""
    return package_dir(package, missing=f"The {what} weights are missing: {install}") / relative


def missing_packages(*packages: str) -> list[str]:
    return [p for p in packages if importlib.util.find_spec(p) is None]
