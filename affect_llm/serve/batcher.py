"""Micro-batching: concurrent requests share one LLM generation.

On a CPU (and even more on a GPU) a batch of B clips costs far less than B single generations,
because every decoding step runs the model once for all rows. A server that answers each
request on its own wastes that. ``MicroBatcher`` runs one worker thread that takes the first
waiting request, keeps collecting for up to ``wait_ms`` (or until ``max_batch`` requests are
in), and calls ``answer_fn(items)`` once for all of them. While a batch is generating, new
requests queue up and form the next batch at once, so under load batches fill by themselves and
the wait only matters when the server is idle.

The worker is the only thread that runs the model, so the model needs no lock of its own.

``close()`` is the graceful stop: the batch being collected or generated is finished, everything
still queued behind it fails at once with ``BatcherClosed`` (the server answers 503), and so does
every later ``submit``. A request cancelled before its batch starts (its client went away) takes
no row of any batch.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """One request's answer and the batch it was answered in."""

    value: Any
    batch_size: int
    queued_s: float  # from submit to the start of its batch's generation
    generate_s: float  # the whole batch's generation


@dataclass
class _Job:
    item: Any
    future: Future
    submitted: float


_STOP = object()


class BatcherClosed(RuntimeError):
    """The batcher is stopping: this item was not answered and will not be."""


class BatchStats:
    """Counters for ``/healthz``: how many batches ran and how large they were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.batches = 0
        self.requests = 0
        self.failed_batches = 0
        self.sizes: Counter[int] = Counter()
        self.generate_s = 0.0

    def record(self, size: int, seconds: float, failed: bool = False) -> None:
        with self._lock:
            self.batches += 1
            self.requests += size
            self.sizes[size] += 1
            self.generate_s += seconds
            self.failed_batches += int(failed)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "batches": self.batches,
                "requests": self.requests,
                "failed_batches": self.failed_batches,
                "batch_sizes": {str(k): v for k, v in sorted(self.sizes.items())},
                "max_batch_size_seen": max(self.sizes, default=0),
                "mean_batch_size": round(self.requests / self.batches, 3) if self.batches else 0.0,
                "generate_s": round(self.generate_s, 3),
            }

    def mean_s(self) -> float | None:
        """Mean seconds of one batch so far; ``None`` before the first."""
        with self._lock:
            return self.generate_s / self.batches if self.batches else None


class MicroBatcher:
    """Collects submitted items into batches for ``answer_fn(list) -> list`` (same order, same length)."""

    def __init__(self, answer_fn: Callable[[list[Any]], Sequence[Any]], max_batch: int = 8,
                 wait_ms: float = 50.0, name: str = "micro-batcher"):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if wait_ms < 0:
            raise ValueError(f"wait_ms must be 0 or more, got {wait_ms}")
        self.answer_fn = answer_fn
        self.max_batch = max_batch
        self.wait_s = wait_ms / 1000.0
        self.name = name
        self.stats = BatchStats()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.running = 0  # the size of the batch generating now (0: idle)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop taking items, without waiting: the batch in progress is answered, every item still
        queued fails with ``BatcherClosed``, then the worker ends (``stop`` also waits for it)."""
        self._closed = True
        self._queue.put(_STOP)

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the batch in progress, fail whatever still waits, and end the worker."""
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout_s)
            self._thread = None
        self._fail_queued()

    def _fail_queued(self, *jobs: Any) -> None:
        """Fail ``jobs`` and everything queued (the stop marker is dropped: ``_run`` also polls)."""
        while True:
            try:
                jobs += (self._queue.get_nowait(),)
            except queue.Empty:
                break
        for job in jobs:
            if isinstance(job, _Job) and job.future.set_running_or_notify_cancel():
                job.future.set_exception(BatcherClosed("the server is shutting down; send the request again"))

    def submit(self, item: Any) -> Future:
        """Queue ``item``; the future resolves to a ``BatchResult`` (or the batch's exception)."""
        future: Future = Future()
        if self._closed:
            future.set_exception(BatcherClosed("the server is shutting down; send the request again"))
            return future
        self.start()
        self._queue.put(_Job(item, future, time.monotonic()))
        if self._closed:  # closed meanwhile: the worker may have gone already
            self._fail_queued()
        return future

    def _collect(self, first: _Job) -> tuple[list[_Job], bool]:
        batch, stop = [first], False
        deadline = time.monotonic() + self.wait_s
        while len(batch) < self.max_batch:
            try:
                # Whatever already waits joins at once; then wait out the window.
                job = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    job = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if job is _STOP:
                stop = True
                break
            batch.append(job)
        return batch, stop

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                if self._closed:
                    return
                continue
            if first is _STOP or self._closed:
                self._fail_queued(first)
                return
            batch, stop = self._collect(first)
            # A request whose client went away is cancelled: it takes no row of the batch.
            live = [job for job in batch if job.future.set_running_or_notify_cancel()]
            if live:
                self._answer(live)
            if stop or self._closed:
                self._fail_queued()
                return

    def _answer(self, jobs: list[_Job]) -> None:
        start = time.monotonic()
        self.running = len(jobs)
        try:
            values = list(self.answer_fn([job.item for job in jobs]))
            if len(values) != len(jobs):
                raise RuntimeError(f"answer_fn returned {len(values)} answers for {len(jobs)} items")
        except BaseException as exc:
            self.running = 0
            seconds = time.monotonic() - start
            self.stats.record(len(jobs), seconds, failed=True)
            log.exception("batch of %d failed after %.2f s", len(jobs), seconds)
            for job in jobs:
                job.future.set_exception(exc)
            return
        seconds = time.monotonic() - start
        self.running = 0
        self.stats.record(len(jobs), seconds)
        log.info("answered a batch of %d in %.2f s (oldest waited %.0f ms)", len(jobs), seconds,
                 1000 * (start - min(job.submitted for job in jobs)))
        for job, value in zip(jobs, values):
            job.future.set_result(BatchResult(value=value, batch_size=len(jobs),
                                              queued_s=round(start - job.submitted, 4),
                                              generate_s=round(seconds, 4)))
