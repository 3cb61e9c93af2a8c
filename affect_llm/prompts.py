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


class FrozenDict(dict):
    """A ``dict`` that refuses every change: the cached templates are shared by every model in the
    process, so one caller's edit would silently change the prompts of all the others.

    A ``dict`` subclass (not ``MappingProxyType``) so that reads, ``dict(template, key=...)``,
    ``json.dumps``, pickling and ``copy.deepcopy`` all work as before; ``dict(frozen)`` is the
    way to get a private, editable copy."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("prompt templates are shared and read-only: edit a copy (dict(template))")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))


class FrozenList(list):
    """A ``list`` that refuses every change (see ``FrozenDict``); ``frozen + [x]`` still gives a
    new, plain list, as the models' section lists rely on."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("prompt templates are shared and read-only: edit a copy (list(template))")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


def freeze(value: Any) -> Any:
    """``value`` with every dict and list in it made read-only (``FrozenDict``, ``FrozenList``)."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return FrozenList(freeze(v) for v in value)
    return value


@functools.lru_cache(maxsize=32)
def load_yaml(name: str) -> FrozenDict:
    """A structured template (YAML mapping), read-only: the cached object is shared."""
    data = yaml.safe_load(_read(name))
    if not isinstance(data, dict):
        raise ModelError(f"prompts/{name} must be a YAML mapping")
    return freeze(data)


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"prompt placeholder {{{key}}} has no value")


def fill(template: str, **values: Any) -> str:
    """``template.format_map`` that refuses unknown placeholders."""
    return template.format_map(_Strict(values))
