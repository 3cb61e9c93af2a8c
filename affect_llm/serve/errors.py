"""The server's refusals: an HTTP status, one line of text, and the headers that go with it.

Every error the API sends is ``{"error": "one line"}`` (see ``app.py``); this is the exception the
request handlers raise to get one, kept apart from ``app.py`` so the admission and multipart
modules can raise it without importing the app.
"""

from __future__ import annotations


class ApiError(Exception):
    """A refusal with its HTTP status, answered as ``{"error": message}`` plus ``headers``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class ClientGone(Exception):
    """The client closed its connection before the answer: nothing is sent, nothing more is done."""
