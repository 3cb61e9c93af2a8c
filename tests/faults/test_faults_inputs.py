"""Hostile inputs to the front door: clips without audio by the dozen under a low ``ulimit -n``,
FIFOs named like videos, and ``{"path": ...}`` requests to ``serve`` that once gave a 500.
Each case is bounded in time; none may hang, leak a file descriptor or show a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from faults_helpers import bounded, cli, no_traceback, open_fds

from affect_llm.errors import InputError
from affect_llm.media.clip import read_clip
from affect_llm.uploads import UploadLimits, UploadRejected, check_upload

LOW_ULIMIT = 64
CLIPS_UNDER_LOW_ULIMIT = 80


def test_clips_without_audio_leak_no_file_under_a_low_ulimit(example_clips):
    """Each clip without an audio track used to leak one descriptor (decord's audio reader), so
    under ``ulimit -n 64`` decoding failed with "Too many open files" after ~58 clips."""
    script = textwrap.dedent(f"""
        import os, resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, ({LOW_ULIMIT}, {LOW_ULIMIT}))
        from affect_llm.media.clip import read_clip
        read_clip(sys.argv[1])  # libraries loaded once
        before = len(os.listdir("/proc/self/fd"))
        for _ in range({CLIPS_UNDER_LOW_ULIMIT}):
            assert read_clip(sys.argv[1]).audio is None
        print(before, len(os.listdir("/proc/self/fd")))
    """)
    open_fds()  # skips without /proc
    proc = subprocess.run([sys.executable, "-c", script, str(example_clips["silent"])], capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before, after = map(int, proc.stdout.split())
    assert after <= before + 1, f"{CLIPS_UNDER_LOW_ULIMIT} clips without audio: fds {before} -> {after}"


def test_clips_with_audio_still_have_it_and_leak_nothing(example_clips):
    read_clip(example_clips["cheerful"], num_frames=2)
    before = open_fds()
    for _ in range(5):
        assert read_clip(example_clips["cheerful"], num_frames=2).audio is not None
        assert read_clip(example_clips["silent"], num_frames=2).audio is None
    assert open_fds() <= before + 1


def test_fifo_is_refused_before_opening(fifo, tmp_path):
    """A FIFO (or a symlink to one) named ``x.mp4`` is refused at once by the decoder (describe,
    infer, serve) and by the upload checks (serve, chat), never opened."""
    link = tmp_path / "link.mp4"
    link.symlink_to(fifo)
    for path in (fifo, link):
        with pytest.raises(InputError, match="FIFO"):
            bounded(lambda p=path: read_clip(p), 20)
        with pytest.raises(UploadRejected, match="FIFO") as refused:
            bounded(lambda p=path: check_upload(p, UploadLimits()), 20)
        assert refused.value.status == 422
    start = time.monotonic()
    proc = cli("describe", str(link), timeout=60)
    assert proc.returncode == 2 and "FIFO" in proc.stderr and str(link) in proc.stderr
    no_traceback(proc)
    assert time.monotonic() - start < 60


def test_other_non_regular_inputs(tmp_path):
    for path, what in ((Path("/dev/zero"), "character device"), (tmp_path, "directory"),
                       (tmp_path / "gone.mp4", "does not exist")):
        if path.exists() or what == "does not exist":
            with pytest.raises(InputError, match=what):
                bounded(lambda p=path: read_clip(p), 20)
    dangling = tmp_path / "dangling.mp4"
    dangling.symlink_to(tmp_path / "nowhere.mp4")
    with pytest.raises(InputError, match="does not exist"):
        read_clip(dangling)


# --------------------------------------------------------------------------- serve: path requests
@pytest.fixture(scope="module")
def path_client(tmp_path_factory, tiny_model, example_clips):
    """``serve`` (in process) with ``--allow-paths`` on a folder holding a clip, a FIFO, a folder
    named like a clip, a symlink loop and a symlink out of the folder."""
    from fastapi.testclient import TestClient

    from affect_llm.models import load_model
    from affect_llm.serve import create_app

    root = tmp_path_factory.mktemp("allowed")
    (root / "clip.mp4").write_bytes(example_clips["silent"].read_bytes())
    os.mkfifo(root / "pipe.mp4")
    (root / "folder.mp4").mkdir()
    (root / "loop.mp4").symlink_to(root / "loop.mp4")
    (root / "escape.mp4").symlink_to("/etc/hostname")
    with TestClient(create_app(model=load_model(str(tiny_model)), allow_paths=root)) as client:
        yield client


JSON = {"content-type": "application/json"}
BAD_PATHS = [
    ("clip\x00.mp4", 422, "NUL"),
    ("\x00", 422, "NUL"),
    ("pipe.mp4", 422, "FIFO"),
    ("folder.mp4", 422, "folder"),
    ("loop.mp4", 422, ""),
    ("escape.mp4", 403, "outside"),
    ("../../etc/passwd", 403, "outside"),
    ("/etc/passwd", 403, "outside"),
    ("nope.mp4", 404, "does not exist"),
    ("a" * 5000 + ".mp4", None, ""),
    ("\ud800.mp4", None, ""),
    ("~nosuchuser/x.mp4", None, ""),
    ("", None, ""),
]


@pytest.mark.parametrize(("path", "status", "words"), BAD_PATHS, ids=range(len(BAD_PATHS)))
def test_bad_path_requests_are_4xx_with_one_line(path_client, path, status, words):
    body = json.dumps({"path": path}).encode()  # ASCII escapes: lone surrogates travel too
    r = bounded(lambda: path_client.post("/describe", content=body, headers=JSON), 30)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if status is not None:
        assert r.status_code == status, r.text
    error = r.json()["error"]
    assert words in error and "\n" not in error and "Traceback" not in error


def test_wrongly_typed_path_requests_are_422(path_client):
    for body in ({"path": 5}, {"path": None}, {"path": ["clip.mp4"]}, {"nopath": "clip.mp4"}, [1]):
        r = path_client.post("/describe", json=body)
        assert r.status_code == 422 and "error" in r.json(), (body, r.text)
    r = path_client.post("/describe", content=b'{"path": "\xff.mp4"}', headers=JSON)
    assert 400 <= r.status_code < 500, r.text
