"""Perception worker processes that survive the death of a worker.

``multiprocessing.Pool`` replaces a worker killed by a signal (an out-of-memory kill, a segfault
in native decoding code, ``kill -9``) but silently drops the task it held, so a caller waiting
for that result waits for ever. Here each worker holds at most one clip at a time and the pool
knows which: when a worker dies, its clip is given to a fresh worker once (the death may not be
the clip's fault: the kernel's out-of-memory killer picks the largest process, not the guilty
one), and a clip that kills a second worker becomes an error record (``stage: "perception"``,
the signal named) while the run goes on.

A collector thread in the parent owns the workers: it hands out clips, reads results as they
come (so workers keep going while the caller is busy with the LLM) and replaces dead workers.
The caller gets results in input order, with at most ``ahead`` clips decoded or in flight
beyond the one it waits for.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import AffectError

log = logging.getLogger(__name__)

# A clip that kills this many workers is recorded as failed and skipped.
MAX_DEATHS_PER_CLIP = 2
# Workers dying this many times in a row before they are even ready, or this many times in a row
# without one clip finished (four clips in a row each killing two workers), mean the workers or
# the machine are broken (a bad install, no memory left): the run stops with an error instead
# of recording every clip of the corpus as failed.
MAX_STARTUP_DEATHS_IN_A_ROW = 3
MAX_DEATHS_IN_A_ROW = 8
_POLL_S = 0.05
_READY = -1  # the index of the message a worker sends once it is initialised
_JOIN_S = 5.0

Work = Callable[[Any], tuple[Any, Any, dict | None]]


def death_cause(exitcode: int | None) -> tuple[str, str | None]:
    """``("killed by SIGKILL", "SIGKILL")`` or ``("exited with code 3", None)``."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}", name
    return f"exited with code {exitcode}", None


def _worker_main(conn: Any, initializer: Callable[..., None] | None, initargs: tuple, work: Work) -> None:
    """One worker: ``(index, item)`` in, ``(index, work(item))`` out, until ``None`` or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    if initializer is not None:
        initializer(*initargs)
    try:
        conn.send((_READY, None))  # a death before this is the worker's, not a clip's
    except (EOFError, OSError):
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        index, item = task
        result = work(item)
        try:
            conn.send((index, result))
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            from .results import error_record

            conn.send((index, (item, None, error_record(
                str(getattr(item, "id", index)), f"the perception result cannot be sent back ({exc})",
                "perceive", video=str(getattr(item, "video", ""))))))


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: tuple[int, Any] | None = None
    ready: bool = False


class PerceptionPool:
    """``workers`` spawned processes running ``work(item)``; see the module docstring."""

    def __init__(self, workers: int, work: Work, initializer: Callable[..., None] | None = None,
                 initargs: tuple = (), failed: Callable[[Any, str, str | None], dict] | None = None):
        """``failed(item, cause, signal_name)`` builds the error record of a clip that killed
        ``MAX_DEATHS_PER_CLIP`` workers."""
        import multiprocessing as mp

        self._ctx = mp.get_context("spawn")  # fork after torch has started threads can deadlock
        self.size = max(1, int(workers))
        self.work = work
        self.initializer = initializer
        self.initargs = initargs
        self.failed = failed or _default_failed
        self.deaths = 0  # workers that died (for reports and tests)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child, self.initializer, self.initargs, self.work),
                                    name="affect-llm-perception", daemon=True)
        process.start()
        child.close()  # the worker holds its end; ours must not keep it open (EOF detection)
        return _Worker(process, parent)

    def imap(self, items: Iterable[Any], ahead: int) -> Iterator[tuple[Any, Any, dict | None]]:
        """``work(item)`` for every item, in order; at most ``ahead`` items dispatched past the
        one being waited for. Stops the workers when done or when the caller stops iterating."""
        run = _Run(self, list(items), max(1, ahead))
        run.start()
        try:
            yield from run.results()
        finally:
            run.stop()


def _default_failed(item: Any, cause: str, signal_name: str | None) -> dict:
    from .results import error_record

    extra = {"signal": signal_name} if signal_name else {}
    return error_record(str(getattr(item, "id", item)), cause, "perception", **extra)


class _Run:
    """One ``imap`` call: the collector thread's state, and the ordered hand-over to the caller."""

    def __init__(self, pool: PerceptionPool, items: list[Any], ahead: int):
        self.pool = pool
        self.items = items
        self.ahead = ahead
        self.todo: deque[int] = deque(range(len(items)))
        self.out: queue.Queue = queue.Queue()
        self.consumed = 0  # results the caller has taken (written by the caller's thread only)
        self.stopping = threading.Event()
        self.workers: list[_Worker] = []
        self.clip_deaths: dict[int, int] = {}
        self.deaths_in_a_row = 0
        self.startup_deaths_in_a_row = 0
        self.thread = threading.Thread(target=self._collect, name="perception-collector", daemon=True)

    def start(self) -> None:
        if self.items:
            self.thread.start()

    def results(self) -> Iterator[tuple[Any, Any, dict | None]]:
        ready: dict[int, Any] = {}
        for index in range(len(self.items)):
            while index not in ready:
                kind, i, value = self.out.get()
                if kind == "error":
                    raise value
                ready[i] = value
            self.consumed = index + 1
            yield ready.pop(index)

    # ---- collector thread --------------------------------------------------------------------
    def _collect(self) -> None:
        from multiprocessing.connection import wait

        try:
            self.workers = [self.pool._spawn() for _ in range(min(self.pool.size, len(self.items)))]
            delivered = 0
            while delivered < len(self.items) and not self.stopping.is_set():
                self._dispatch()
                handles = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
                wait(handles, timeout=_POLL_S)
                for slot, worker in enumerate(self.workers):
                    delivered += self._receive(worker)
                    if not worker.process.is_alive():
                        delivered += self._receive(worker)  # a result sent just before the exit
                        delivered += self._buried(slot, worker)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.out.put(("error", -1, exc if isinstance(exc, Exception) else AffectError(str(exc))))
        finally:
            self._shutdown()

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not worker.ready or worker.task is not None or not self.todo:
                continue
            index = self.todo[0]
            if index >= self.consumed + self.ahead:
                return  # the caller is behind: do not decode further ahead
            self.todo.popleft()
            worker.task = (index, self.items[index])
            # A worker that died cannot take it: its sentinel says so and the task is handed out again.
            with contextlib.suppress(OSError, EOFError):
                worker.conn.send(worker.task)

    def _receive(self, worker: _Worker) -> int:
        """Take what ``worker`` has sent (its ready signal, a finished result); returns how many
        results were delivered."""
        delivered = 0
        while True:
            try:
                if not worker.conn.poll():
                    return delivered
                index, result = worker.conn.recv()
            except (EOFError, OSError):
                return delivered  # died (maybe while sending): handled as a death
            except Exception as exc:
                if worker.task is None:
                    raise
                index, item = worker.task
                result = (item, None, self.pool.failed(item, f"the perception result cannot be read "
                                                             f"({type(exc).__name__}: {exc})", None))
                result[2]["stage"] = "perceive"
            if index == _READY:
                worker.ready = True
                self.startup_deaths_in_a_row = 0
                continue
            worker.task = None
            self.deaths_in_a_row = 0
            self.out.put(("result", index, result))
            delivered += 1

    def _buried(self, slot: int, worker: _Worker) -> int:
        """Replace the dead ``worker``; its clip is handed out again or recorded as failed."""
        worker.process.join(timeout=_JOIN_S)
        cause, sig = death_cause(worker.process.exitcode)
        worker.conn.close()
        self.pool.deaths += 1
        self.deaths_in_a_row += 1
        self.startup_deaths_in_a_row += not worker.ready
        delivered = 0
        if self.startup_deaths_in_a_row >= MAX_STARTUP_DEATHS_IN_A_ROW:
            raise AffectError(f"perception workers died {self.startup_deaths_in_a_row} times in a row while "
                              f"starting ({cause}): run with --workers 0 to see the error")
        if self.deaths_in_a_row >= MAX_DEATHS_IN_A_ROW:
            raise AffectError(f"perception workers died {self.deaths_in_a_row} times in a row without "
                              f"finishing a clip (last: {cause}): check free memory, or run with "
                              "--workers 0 to see the error")
        if worker.task is not None:
            index, item = worker.task
            self.clip_deaths[index] = self.clip_deaths.get(index, 0) + 1
            what = getattr(item, "video", None) or getattr(item, "id", index)
            if self.clip_deaths[index] >= MAX_DEATHS_PER_CLIP:
                log.error("a perception worker died on %s again (%s): the clip is recorded as failed "
                          "and skipped", what, cause)
                message = (f"{what}: the perception worker died on this clip {self.clip_deaths[index]} "
                           f"times ({cause}; out of memory or a crash in native decoding code?); skipped")
                self.out.put(("result", index, (item, None, self.pool.failed(item, message, sig))))
                delivered = 1
            else:
                log.warning("a perception worker died on %s (%s); trying the clip once more in a fresh "
                            "worker", what, cause)
                self.todo.appendleft(index)
        else:
            log.warning("an idle perception worker died (%s); starting a fresh one", cause)
        self.workers[slot] = self.pool._spawn()
        return delivered

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2 * _JOIN_S + 1)

    def _shutdown(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError, EOFError, ValueError):
                worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(timeout=_JOIN_S if not self.stopping.is_set() else 0.5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=_JOIN_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
            worker.process.close()
        self.workers = []
