"""Load prompt templates from ``prompts/`` (shipped in the package as ``affect_llm._prompts``).

Templates are data: editing a prompt never means editing code. A missing placeholder fails
loudly (``str.format_map`` with a strict mapping) instead of sending a half-filled prompt.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ModelError

_SOURCE_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def _read(name: str) -> str:
    """Read ``prompts/NAME`` from the source tree (checkout, editable install) or the installed wheel."""
    source = _SOURCE_PROMPTS / name
    if source.is_file():
        return source.read_text(encoding="utf-8")
    try:
        return resources.files("affect_llm._prompts").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ModelError(f"prompt template prompts/{name} is missing: reinstall affect-llm") from exc


@functools.lru_cache(maxsize=32)
def load_text(name: str) -> str:
    """A plain-text template, e.g. ``load_text("extract_emotions.txt")``."""
    return _read(name)


@functools.lru_cache(maxsize=32)
def load_yaml(name: str) -> dict[str, Any]:
    """A structured template (YAML mapping)."""
    data = yaml.safe_load(_read(name))
    if not isinstance(data, dict):
        raise ModelError(f"prompts/{name} must be a YAML mapping")
    return data


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"prompt placeholder {{{key}}} has no value")


def fill(template: str, **values: Any) -> str:
    """``template.format_map`` that refuses unknown placeholders."""
    return template.format_map(_Strict(values))
