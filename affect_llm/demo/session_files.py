"""Which uploaded clips each visitor of the chat demo holds, so they are deleted when no longer used.

Gradio writes an upload to ``<upload folder>/<content hash>/<name>`` and keeps it until its cache
clean-up removes it. Kept for the server's life, every visitor's clip (their face, their voice)
stays on disk. The demo therefore deletes a visitor's upload as soon as it is not needed: when
they explain another clip, and when their session ends (tab closed, or their state expired).

Two visitors who upload the same bytes under the same name get the *same* path, so a file is
deleted only when no session holds it any more. Only files inside the upload folder are ever
touched (an example clip, or a file Gradio keeps in its cache for every visitor, is not an
upload), and nothing here imports Gradio: the demo passes the folder and the kept paths in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)


class SessionFiles:
    """``hold(session, path)`` / ``release(session)``: each session holds at most one upload (the
    clip of its current conversation); a path no session holds is deleted with its folder."""

    def __init__(self, upload_folder: str | os.PathLike, keep: Callable[[], Iterable[str]] = tuple):
        """``keep``: paths never to delete (Gradio's cached example clips), asked at each deletion."""
        self.upload_folder = Path(upload_folder).resolve()
        self.keep = keep
        self._held: dict[str, Path] = {}
        self._lock = threading.Lock()

    def is_upload(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` lies inside the upload folder (only those are ever deleted)."""
        resolved = Path(path).resolve()
        return resolved != self.upload_folder and resolved.is_relative_to(self.upload_folder)

    def hold(self, session: str, path: str | os.PathLike) -> None:
        """``session`` now uses ``path``; the upload it held before is released. Paths outside the
        upload folder (example clips) are not tracked."""
        new = Path(path).resolve() if self.is_upload(path) else None
        with self._lock:
            old = self._held.pop(session, None)
            if new is not None:
                self._held[session] = new
            stale = [old] if old is not None and old != new else []
            self._delete_unheld(stale)

    def release(self, session: str) -> None:
        """The session has ended: delete its upload unless another session holds the same file."""
        with self._lock:
            old = self._held.pop(session, None)
            self._delete_unheld([old] if old is not None else [])

    def release_all(self) -> None:
        """The server stops: delete every held upload."""
        with self._lock:
            held = list(self._held.values())
            self._held.clear()
            self._delete_unheld(held)

    def held(self) -> dict[str, Path]:
        with self._lock:
            return dict(self._held)

    def _delete_unheld(self, paths: list[Path]) -> None:
        if not paths:
            return
        still_held = set(self._held.values())
        kept = {Path(p).resolve() for p in self.keep()}
        for path in dict.fromkeys(paths):
            if path in still_held or path in kept:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                log.info("deleted upload %s", path.name)
            if path.parent != self.upload_folder:  # Gradio's <content hash> folder, now empty
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
