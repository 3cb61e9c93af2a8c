"""Small JSON caches on disk, keyed by scorer version and data digest.

Decisions that are slow to make (WordNet look-ups, MiniLM nearest neighbours) but depend only
on the word and the packaged data are stored under ``cache_dir("scoring")``. The file name
carries the key, so a new scorer version or new tables never read stale decisions; writes go
to a temporary file that is renamed, so a killed run never leaves a broken cache behind.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..assets import cache_dir

log = logging.getLogger(__name__)


class JsonCache:
    """A dict persisted as one JSON file; ``save()`` writes only when something changed."""

    def __init__(self, name: str, key: str) -> None:
        self.path: Path = cache_dir("scoring") / f"{name}-{key}.json"
        self.data: dict[str, Any] = {}
        self._dirty = False
        if self.path.exists():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:  # a corrupt cache is rebuilt, never fatal
                log.warning("ignoring unreadable cache %s (%s)", self.path, exc)
                self.data = {}

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:  # read-only cache dir: keep working from memory
            log.warning("cannot write cache %s (%s)", self.path, exc)
            Path(tmp).unlink(missing_ok=True)
