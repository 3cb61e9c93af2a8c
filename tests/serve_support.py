"""Shared by the ``serve`` tests (``test_serve.py``, ``faults/test_faults_serve.py``): a model that
takes its time, hand-made multipart bodies, the one in-process uvicorn (``live_server``), and (run
as a script) a server in its own process for the signal tests.

``SlowModel`` stands in for the LLM step with a batch that takes as long as a test needs, so a
test can hold a batch open while it sends others; everything else (uploads, perception, the
batcher, ``result_record``) is the real server.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any


class SlowModel:
    """The LLM step as a server sees it: ``answer`` takes ``delay_s`` (or waits until ``gate``
    opens), records the id of every clip it answered, in order, and answers each clip by naming
    it, so a test can tell that every client got its own answer back through a batch.
    What the answers say is not under test here (the tiny random LLM costs seconds a batch on a
    busy CPU); when the server calls the model, and for whom, is."""

    name = "slow-test-model"

    def __init__(self, delay_s: float = 0.0, gate: threading.Event | None = None):
        self.delay_s = delay_s
        self.gate = gate
        self.answered: list[str] = []
        self.loads = 0  # how often the server asked for the weights (``EmotionModel.load``)

    def load(self) -> SlowModel:
        self.loads += 1
        return self

    def answer(self, perceptions: list[Any]) -> list[Any]:
        from affect_llm.models.textualized import Answer

        self.answered.extend(p.clip_id for p in perceptions)
        if self.gate is not None:
            self.gate.wait(30)
        time.sleep(self.delay_s)
        return [Answer(explanation=f"The answer for {p.clip_id}.", emotions=["neutral"], emotions_source="evidence")
                for p in perceptions]


def multipart_body(parts: list[tuple[str, str | tuple[str, bytes]]], boundary: str = "b0undary") -> bytes:
    """A multipart/form-data body with the parts in the given order: ``(name, text)`` or
    ``(name, (filename, bytes))``."""
    out = bytearray()
    for name, value in parts:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            filename, data = value
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: video/mp4\r\n\r\n").encode() + data + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn in a thread (real sockets, real disconnects); yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def main(argv: list[str]) -> None:
    """``python serve_support.py PORT DELAY_S``: a ``SlowModel`` served by
    ``affect_llm.serve.server.run`` (what ``affect-llm serve`` runs), one request per batch."""
    from affect_llm.perception import PerceiveOptions
    from affect_llm.serve import create_app
    from affect_llm.serve.server import run

    port, delay = argv
    model = SlowModel(delay_s=float(delay))
    app = create_app(model=model, max_batch=1, batch_wait_ms=0, perception_workers=2,
                     perceive_options=PerceiveOptions(num_frames=2))
    run(app, "127.0.0.1", int(port), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
