"""``affect-llm serve``: the HTTP API (FastAPI + uvicorn), with micro-batched answers.

``create_app`` is imported on first use, so ``affect_llm.serve.batcher`` stays usable (and
testable) without FastAPI installed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
