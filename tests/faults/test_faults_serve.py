"""``serve`` under hostile input and load (issue #11, items 1, 8 and 11).

Over-long text fields are refused 413 before perception or the model; every refusal, Starlette's
own included, is ``{"error": "one line"}``; a burst of concurrent requests against a slow model
and a small queue gets answers or 503 with ``Retry-After``, never a 5xx or a hang; a client that
leaves before its batch is not answered; SIGTERM finishes the running batch, refuses the rest and
exits 0. The LLM step is ``serve_support.SlowModel`` (answers that quote each clip's words, after
a delay a test chooses); the rest is the real server, on 127.0.0.1.
"""

from __future__ import annotations

import math
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from faults_helpers import bounded
from serve_support import SlowModel, free_port, live_server, multipart_body

from affect_llm.media.subtitle import MAX_FIELD_CHARS
from affect_llm.serve.admission import FIRST_BATCH_S, FIRST_PERCEIVE_S, Admission
from affect_llm.serve.errors import ApiError
from affect_llm.uploads import UploadLimits, human_size

fastapi = pytest.importorskip("fastapi", reason="the demo extra is not installed: pip install -e '.[demo]'")
httpx = pytest.importorskip("httpx")

SUPPORT = Path(__file__).resolve().parents[1] / "serve_support.py"
MULTIPART = {"content-type": "multipart/form-data; boundary=b0undary"}


@pytest.fixture(scope="module")
def clip(example_clips) -> bytes:
    # The smallest (30 kB), and without audio: with no words to weigh, perception stays under a
    # second, so the tests time the server, not the words channel's models.
    return example_clips["silent"].read_bytes()


def _app(model, **kw):
    from affect_llm.perception import PerceiveOptions
    from affect_llm.serve import create_app

    return create_app(model=model, perceive_options=PerceiveOptions(num_frames=2), **kw)


def _uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("affect-llm-upload-*")}


def _one_line_error(r) -> str:
    body = r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error and "\n" not in error and "Traceback" not in error and "e+" not in error, error
    return error


# --------------------------------------------------------------------------- no model
def test_human_size_reads_like_people_write():
    assert [human_size(n) for n in (0, 900, 1536, 10 * 1024, 1024**2, 1.5 * 1024**2, 300 * 1024**2,
                                    2.25 * 1024**3)] == [
        "0 bytes", "900 bytes", "1.5 kB", "10 kB", "1 MB", "1.5 MB", "300 MB", "2.2 GB"]
    assert UploadLimits(max_mb=0.5).describe().endswith("at most 512 kB and 120 s")


def test_retry_after_estimates_from_what_was_measured():
    batch_s = [None]
    admission = Admission(max_queue=2, max_batch=2, mean_batch_s=lambda: batch_s[0])
    with admission.admit(), admission.admit():
        with pytest.raises(ApiError) as refused, admission.admit():
            pass
        assert refused.value.status == 503
        # nothing measured yet: the benchmark's perception and batch, one batch ahead
        assert refused.value.headers == {"Retry-After": str(math.ceil(FIRST_PERCEIVE_S + FIRST_BATCH_S))}
        batch_s[0], admission.mean_perceive_s = 4.0, 1.5
        # two in flight, two per batch: one batch of 4 s after a perception of 1.5 s
        assert admission.retry_after_s() == 6
    assert admission.in_flight == 0 and admission.to_dict()["refused_full"] == 1
    admission.drain()
    with pytest.raises(ApiError) as refused, admission.admit():
        pass
    assert refused.value.status == 503 and "shutting down" in str(refused.value)


# --------------------------------------------------------------------------- item 1: over-long fields
@pytest.fixture(scope="module")
def counted():
    """A TestClient over a model that records what it answered, plus an allowed-paths folder."""
    from fastapi.testclient import TestClient

    slow = SlowModel()
    root = Path(tempfile.mkdtemp(prefix="affect-llm-test-allowed-"))
    with TestClient(_app(slow, allow_paths=root)) as client:
        yield client, slow
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def test_over_long_fields_are_413_before_any_work(counted, clip):
    client, slow = counted
    before = _uploads()
    huge = "I am fine. " * 82_000  # ~900 kB: the subtitle that once took the server to 20 GB
    bodies = {
        "subtitle of 900 kB": multipart_body([("subtitle", huge), ("file", ("a.mp4", clip))]),
        "one character over, 2 bytes each": multipart_body([("subtitle", "é" * (MAX_FIELD_CHARS + 1)),
                                                             ("file", ("a.mp4", clip))]),
        "after the file": multipart_body([("file", ("a.mp4", clip)), ("subtitle", huge)]),
        "the id": multipart_body([("id", "x" * (MAX_FIELD_CHARS + 1)), ("file", ("a.mp4", clip))]),
        "a field nobody asked for": multipart_body([("notes", huge), ("file", ("a.mp4", clip))]),
    }
    for what, body in bodies.items():
        start = time.monotonic()
        r = client.post("/describe", content=body, headers=MULTIPART)
        assert r.status_code == 413, (what, r.text)
        assert time.monotonic() - start < 3, what
        error = _one_line_error(r)
        assert "12,000-character limit" in error and "120 words" in error, error
    r = client.post("/describe", json={"path": "a.mp4", "subtitle": "x" * (MAX_FIELD_CHARS + 1)})
    assert r.status_code == 413 and "'subtitle'" in _one_line_error(r)
    r = client.post("/describe", content=b'{"path": "' + b"x" * 300_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "JSON body is over" in _one_line_error(r)
    health = client.get("/healthz").json()
    assert slow.answered == [] and health["batching"]["requests"] == 0
    assert health["queue"]["mean_perceive_s"] is None  # no perception ran either
    assert health["queue"]["in_flight"] == 0 and _uploads() <= before  # nothing left on disk
    # At the limit it is a subtitle, cut to the prompt's budget: answered, not refused.
    long_ok = ("word " * (MAX_FIELD_CHARS // 5))[:MAX_FIELD_CHARS]
    r = client.post("/describe", content=multipart_body([("subtitle", long_ok), ("file", ("a.mp4", clip))]),
                    headers=MULTIPART)
    assert r.status_code == 200, r.text
    assert slow.answered == ["a"] and len(r.json()["cues"]["words"]["subtitle"]) < 1300  # bound_words cut it


# --------------------------------------------------------------------------- item 8: the error shape
def test_every_refusal_is_error_shaped(counted, clip):
    client, slow = counted
    answered = len(slow.answered)
    cases = [
        ("no boundary", client.post("/describe", content=b"x", headers={"content-type": "multipart/form-data"}),
         400, "boundary"),
        ("broken framing", client.post("/describe", content=b"--b0undary\r\nnot a header line\r\n\r\n",
                                       headers=MULTIPART), 400, "malformed"),
        ("cut short", client.post("/describe", content=multipart_body([("file", ("a.mp4", clip))])[:-40],
                                  headers=MULTIPART), 400, "cut short"),
        ("two files", client.post("/describe", content=multipart_body(
            [("file", ("a.mp4", clip)), ("file", ("b.mp4", clip))]), headers=MULTIPART), 400, "two files"),
        ("a field over 1 MB", client.post("/describe", content=multipart_body(
            [("subtitle", "x" * 1_100_000), ("file", ("a.mp4", clip))]), headers=MULTIPART), 413, "limit"),
        ("not UTF-8", client.post("/describe", content=multipart_body([("subtitle", "x"), ("file", ("a.mp4", clip))])
                                  .replace(b"\r\n\r\nx\r\n", b"\r\n\r\n\xff\xfe\r\n"), headers=MULTIPART),
         422, "UTF-8"),
        ("no name", client.post("/describe", content=b"--b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
                                b"--b0undary--\r\n", headers=MULTIPART), 400, "no name"),
        ("too many parts", client.post("/describe", content=multipart_body([(f"f{i}", "x") for i in range(20)]),
                                       headers=MULTIPART), 400, "parts"),
        ("unknown route", client.get("/nope"), 404, "Not Found"),
        ("wrong method", client.get("/describe"), 405, "Method Not Allowed"),
    ]
    for what, r, status, words in cases:
        assert r.status_code == status, (what, r.status_code, r.text)
        assert words in _one_line_error(r), (what, r.text)
    assert len(slow.answered) == answered


def test_over_the_size_limit_reads_in_human_units():
    from fastapi.testclient import TestClient

    with TestClient(_app(SlowModel(), limits=UploadLimits(max_mb=0.01))) as client:
        r = client.post("/describe", content=b"\0" * (2 * 1024 * 1024), headers=MULTIPART)
        assert r.status_code == 413
        assert _one_line_error(r) == "the upload (2 MB so far) is over the 10 kB limit: cut or compress the clip"
        r = client.post("/describe", content=multipart_body([("file", ("a.mp4", b"\0" * 20_000))]), headers=MULTIPART)
        assert r.status_code == 413 and "a.mp4 is over 10 kB (the upload limit)" in _one_line_error(r)


# --------------------------------------------------------------------------- item 11: load
def test_burst_against_a_small_queue_gets_answers_or_503(clip):
    """30 concurrent uploads, a model taking 0.4 s a batch, at most 4 requests in flight."""
    slow = SlowModel(delay_s=0.4)
    app = _app(slow, max_batch=2, batch_wait_ms=20, max_queue=4, perception_workers=2)
    before = _uploads()

    def send(i: int):
        body = multipart_body([("id", f"request-{i}"), ("file", (f"c{i}.mp4", clip))])
        return i, httpx.post(f"{url}/describe", content=body, headers=MULTIPART, timeout=60)

    with live_server(app) as url:
        with ThreadPoolExecutor(30) as pool:
            results = bounded(lambda: list(pool.map(send, range(30))), 90)
        health = httpx.get(f"{url}/healthz", timeout=10).json()
    statuses = [r.status_code for _, r in results]
    assert set(statuses) <= {200, 503}, statuses
    answered = [(i, r.json()) for i, r in results if r.status_code == 200]
    refused = [r for _, r in results if r.status_code == 503]
    assert len(answered) >= 4 and refused
    for i, record in answered:
        assert record["id"] == f"request-{i}" and record["explanation"] == f"The answer for request-{i}."
    for r in refused:
        assert int(r.headers["Retry-After"]) >= 1 and "busy" in _one_line_error(r)
    queue = health["queue"]
    assert queue["in_flight"] == 0 and queue["refused_full"] == len(refused)
    assert health["batching"]["requests"] == len(answered) == len(slow.answered)
    assert _uploads() <= before


def _send_and_leave(url: str, body: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(b"POST /describe HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return sock


def _wait_for(url: str, test, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        health = httpx.get(f"{url}/healthz", timeout=10).json()
        if test(health):
            return health
        assert time.monotonic() < deadline, f"not reached within {seconds} s: {health}"
        time.sleep(0.05)


def test_clients_that_left_before_their_batch_are_not_processed(clip):
    gate = threading.Event()
    slow = SlowModel(gate=gate)
    app = _app(slow, max_batch=1, batch_wait_ms=0, max_queue=8)
    with live_server(app) as url, ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{url}/describe", headers=MULTIPART, timeout=60,
                            content=multipart_body([("id", "stays"), ("file", ("a.mp4", clip))]))
        _wait_for(url, lambda h: h["batching"]["running"] == 1)  # "stays" holds the only batch
        gone = _send_and_leave(url, multipart_body([("id", "leaves"), ("file", ("b.mp4", clip))]))
        _wait_for(url, lambda h: h["batching"]["pending"] == 1)  # perceived, queued behind it
        gone.close()
        health = _wait_for(url, lambda h: h["queue"]["dropped_disconnected"] == 1, seconds=5)
        assert health["batching"]["pending"] == 1  # still in the queue, but cancelled
        gate.set()
        assert first.result(timeout=30).status_code == 200
        health = _wait_for(url, lambda h: h["queue"]["in_flight"] == 0)
    assert slow.answered == ["stays"]  # "leaves" never took a row of a batch
    assert health["batching"]["requests"] == 1


# --------------------------------------------------------------------------- SIGTERM
def _start_server(delay_s: float, log: Path) -> tuple[subprocess.Popen, str]:
    """The server in its own process; its output goes to ``log`` (a pipe nobody reads would fill
    up and stall it)."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(SUPPORT), str(port), str(delay_s)],
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/healthz", timeout=2).json()["status"] == "ok":
                return proc, url
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def test_sigterm_finishes_the_running_batch_refuses_the_rest_and_exits_0(clip, tmp_path):
    proc, url = _start_server(delay_s=3, log=tmp_path / "serve.log")
    try:
        def post(words: str):
            return httpx.post(f"{url}/describe", headers=MULTIPART, timeout=60,
                              content=multipart_body([("id", words), ("file", ("a.mp4", clip))]))

        with ThreadPoolExecutor(2) as pool:
            running = pool.submit(post, "in-the-running-batch")
            _wait_for(url, lambda h: h["batching"]["running"] == 1, seconds=30)
            queued = pool.submit(post, "queued-behind-it")
            _wait_for(url, lambda h: h["batching"]["pending"] == 1)
            proc.send_signal(signal.SIGTERM)
            try:
                late = post("sent-after-the-signal")
                assert late.status_code == 503 and "Retry-After" in late.headers, late.text
            except httpx.TransportError:
                pass  # refused at the door: the listening socket is already closed
            r = running.result(timeout=30)
            assert r.status_code == 200 and r.json()["explanation"] == "The answer for in-the-running-batch."
            r = queued.result(timeout=30)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
            assert "shutting down" in _one_line_error(r)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_second_sigterm_exits_at_once_and_leaves_no_upload(clip, tmp_path):
    proc, url = _start_server(delay_s=60, log=tmp_path / "serve.log")
    before = _uploads()
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(httpx.post, f"{url}/describe", headers=MULTIPART, timeout=60,
                        content=multipart_body([("id", "held"), ("file", ("a.mp4", clip))]))
            _wait_for(url, lambda h: h["batching"]["running"] == 1, seconds=30)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert proc.poll() is None  # the first signal waits for the batch (60 s)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 128 + signal.SIGTERM
            assert time.monotonic() - start < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _uploads() <= before
