"""Perception stand-ins for the worker-death tests (module level: spawned workers import them by name).

They run in real worker processes and die the way real ones do (``SIGKILL`` from the kernel's
out-of-memory killer, a segfault in native decoding code), without the seconds a real
perception costs.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def crash_on_kill_ids(item):
    """Ids starting with ``kill`` kill their worker every time; ``once`` only the first time
    (a marker file next to the clip remembers); ``segv`` dies of SIGSEGV; others succeed."""
    if item.id.startswith("kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    if item.id.startswith("segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if item.id.startswith("once"):
        marker = Path(f"{item.video}.died")
        if not marker.exists():
            marker.write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
    return item, {"perceived": item.id, "pid": os.getpid()}, None


def always_die(item):
    os._exit(3)


def die_on_start():
    """A worker initializer that fails the way a broken install does."""
    os._exit(1)
