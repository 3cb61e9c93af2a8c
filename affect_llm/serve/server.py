"""Runs the app under uvicorn with the stop an operator expects from a server that holds work.

First SIGTERM (or Ctrl-C): the batch being generated is finished and its clients answered;
every other request (new, still uploading, perceiving, or queued behind that batch) is answered
503 with ``Retry-After``; uvicorn stops accepting connections, waits for the open ones to end,
and the process exits 0. A second signal exits at once (status 128 + signal number), after
removing the uploads still on disk.

uvicorn alone re-raises the signal after its own graceful stop, so the process would die of it
(status 143 for SIGTERM) even when everything went well; ``GracefulServer`` keeps the signal
handling to itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulServer(uvicorn.Server):
    """``uvicorn.Server`` whose first stop signal calls ``drain`` and whose second calls ``abandon``
    then exits the process."""

    def __init__(self, config: uvicorn.Config, drain: Callable[[], None], abandon: Callable[[], None]):
        super().__init__(config)
        self._drain = drain
        self._abandon = abandon

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            log.warning("second %s: exiting now, without waiting for the running batch",
                        signal.Signals(sig).name)
            self._abandon()
            os._exit(128 + sig)
        log.info("%s: finishing the running batch, refusing new work, then exiting (send it again to "
                 "exit at once)", signal.Signals(sig).name)
        self._drain()
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; an embedding application handles them
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def run(app: Any, host: str, port: int, log_level: str = "info") -> None:
    """Serve ``app`` (from ``create_app``) until stopped; returns after a graceful stop."""
    service = app.state.service
    server = GracefulServer(uvicorn.Config(app, host=host, port=port, log_level=log_level),
                            drain=service.drain, abandon=service.abandon)
    server.run()
