"""Shared by the fault tests: run the CLI bounded in time, count open files, bound a call."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest


def open_fds(pid: int | str = "self") -> int:
    """Open file descriptors of a process (Linux ``/proc``)."""
    if not os.path.isdir(f"/proc/{pid}/fd"):
        pytest.skip("counting open files needs Linux /proc")
    return len(os.listdir(f"/proc/{pid}/fd"))


def cli(*args: str, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess:
    """``affect-llm ARGS`` in a fresh interpreter, killed after ``timeout`` seconds."""
    return subprocess.run([sys.executable, "-m", "affect_llm", *args], check=False, capture_output=True,
                          text=True, timeout=timeout, **kw)


def bounded(fn: Callable[[], Any], seconds: float) -> Any:
    """``fn()``, failing the test (instead of hanging the suite) when it takes over ``seconds``."""
    box: list = []

    def run() -> None:
        try:
            box.append((fn(), None))
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box.append((None, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"did not finish within {seconds:.0f} s (hung)")
    value, exc = box[0]
    if exc is not None:
        raise exc
    return value


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
