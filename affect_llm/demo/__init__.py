"""``affect-llm chat``: the web demo (``build_demo`` returns ``gr.Blocks``) and the conversation
model behind it and behind the terminal mode (``Conversation``).

``build_demo``, ``launch`` and ``close`` are imported on first use, so the terminal mode and the wheel plot
work without Gradio installed.
"""

from __future__ import annotations

from typing import Any

from .conversation import Conversation

__all__ = ["Conversation", "build_demo", "close", "launch"]


def __getattr__(name: str) -> Any:
    if name in ("build_demo", "close", "launch"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
