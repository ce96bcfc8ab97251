"""Files that ship inside installed Python packages (model weights), found without importing
the package: importing it would pull in what the portal does not use (torch, say)."""

import importlib.util
from pathlib import Path

from .errors import ErrorKind, ProviderError


def packaged_file(package: str, relative: str, *, what: str, install: str) -> Path:
    """`relative` inside the installed `package`; a clear error naming `install` (the pip
    command) when the package is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            f"The {what} weights are missing: {install}",
            kind=ErrorKind.INTERNAL,
            permanent=True,
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative
