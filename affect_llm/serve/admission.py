"""How many requests the server holds at once, and what it tells the ones it turns away.

A server that takes every request only moves the wait into its own memory: in the probe of issue
#11, 50 concurrent uploads meant 25 clients timing out while their clips were still perceived
and answered. ``Admission`` bounds the requests in flight (receiving, perceiving, waiting for a
batch or in one) at ``max_queue``. The next one is answered at once with 503 and a
``Retry-After`` that estimates, from what this server measured, when the requests ahead of it
will be done: the mean perception time plus one mean batch per ``max_batch`` requests in flight.
Until this server has measured a perception or a batch, the figures the benchmark measured for
the default model stand in for each (``FIRST_PERCEIVE_S``, ``FIRST_BATCH_S``), through the same
formula: a burst that fills the queue before the first batch ends is told to wait in proportion
to the batches ahead of it, not a flat guess, and each prior gives way to this server's own mean
as soon as it has one.

``drain()`` is the first stop signal: from then on every new request is refused with 503, and
so is every admitted one that has not reached its batch yet (see ``MicroBatcher.close``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import ApiError

DEFAULT_MAX_QUEUE = 16  # two full batches of the default --max-batch 8 behind the one generating
# Before this server has measured anything: the README's benchmark (`make bench`, 2 CPU cores,
# default model). One batch: "describe, warm: whole answer" took 4.4 s for one clip, and `infer`
# answers a batch of 8 in about the same (~0.55 s a clip), so a batch costs ~4.4 s whatever its
# size. One perception: ~1 core-second a clip (mostly Whisper), on top of the batch.
FIRST_BATCH_S = 4.4
FIRST_PERCEIVE_S = 1.0
DRAIN_RETRY_S = 10  # shutting down: about a restart (the model loads again)
_EWMA = 0.2  # weight of the newest measurement in the running means


class Admission:
    """Counts requests in flight, refuses the one over ``max_queue`` (or any while draining)."""

    def __init__(self, max_queue: int, max_batch: int, mean_batch_s: Callable[[], float | None]):
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self.max_queue = max_queue
        self.max_batch = max_batch
        self._mean_batch_s = mean_batch_s
        self._lock = threading.Lock()
        self.in_flight = 0
        self.refused_full = 0
        self.refused_draining = 0
        self.dropped_disconnected = 0
        self.mean_perceive_s: float | None = None
        self.draining = False

    def retry_after_s(self) -> int:
        """Seconds until the requests in flight are likely answered (at least 1): one perception
        plus one batch per ``max_batch`` of them, each from this server's means, or from the
        benchmark's figures (``FIRST_PERCEIVE_S``, ``FIRST_BATCH_S``) until it has measured one."""
        batch_s = self._mean_batch_s()
        if batch_s is None:
            batch_s = FIRST_BATCH_S
        perceive_s = FIRST_PERCEIVE_S if self.mean_perceive_s is None else self.mean_perceive_s
        batches = math.ceil(max(self.in_flight, 1) / self.max_batch)
        return max(1, math.ceil(perceive_s + batches * batch_s))

    def unavailable(self, why: str, retry_s: int) -> ApiError:
        return ApiError(503, why, headers={"Retry-After": str(retry_s)})

    def shutting_down(self) -> ApiError:
        with self._lock:
            self.refused_draining += 1
        return self.unavailable(f"the server is shutting down: send the request again in {DRAIN_RETRY_S} s",
                                DRAIN_RETRY_S)

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one place while the request runs; ``ApiError(503)`` when there is none."""
        if self.draining:
            raise self.shutting_down()
        with self._lock:
            full = self.in_flight >= self.max_queue
            if full:
                self.refused_full += 1
            else:
                self.in_flight += 1
        if full:
            retry = self.retry_after_s()
            raise self.unavailable(f"the server is busy ({self.max_queue} requests in progress, its "
                                   f"--max-queue): send the request again in {retry} s", retry)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def perceived(self, seconds: float) -> None:
        """Record one perception's duration (for ``retry_after_s``)."""
        with self._lock:
            prev = self.mean_perceive_s
            self.mean_perceive_s = seconds if prev is None else (1 - _EWMA) * prev + _EWMA * seconds

    def dropped(self) -> None:
        with self._lock:
            self.dropped_disconnected += 1

    def drain(self) -> None:
        self.draining = True

    def to_dict(self) -> dict[str, object]:
        with self._lock:
            return {"max_queue": self.max_queue, "in_flight": self.in_flight,
                    "refused_full": self.refused_full, "refused_draining": self.refused_draining,
                    "dropped_disconnected": self.dropped_disconnected, "draining": self.draining,
                    "mean_perceive_s": None if self.mean_perceive_s is None else round(self.mean_perceive_s, 3),
                    "retry_after_s": self.retry_after_s()}
