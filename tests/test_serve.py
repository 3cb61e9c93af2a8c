"""``affect-llm serve``: micro-batching, upload bounds, server-side paths, the OpenAPI schema.

The model is loaded once for the module (the fast-model folder: same code path, shorter answers)
and shared by every app built here. The batching test runs a real uvicorn on a free port, so
three client threads really are concurrent; the refusal tests use FastAPI's TestClient.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import serve_support  # tests/ is on sys.path (pytest's rootdir conftest)

from affect_llm.serve.batcher import MicroBatcher
from affect_llm.uploads import (
    UploadLimits,
    UploadRejected,
    check_duration,
    check_name,
    check_size,
    safe_filename,
)

fastapi = pytest.importorskip("fastapi", reason="the demo extra is not installed: pip install -e '.[demo]'")
httpx = pytest.importorskip("httpx")


# --------------------------------------------------------------------------- micro-batcher (no model)
def test_batcher_groups_concurrent_items_and_keeps_their_order():
    calls: list[list[int]] = []

    def answer(items: list[int]) -> list[int]:
        calls.append(list(items))
        time.sleep(0.05)
        return [i * 10 for i in items]

    batcher = MicroBatcher(answer, max_batch=4, wait_ms=300)
    futures = [batcher.submit(i) for i in range(6)]
    results = [f.result(timeout=10) for f in futures]
    batcher.stop()
    assert [r.value for r in results] == [i * 10 for i in range(6)]
    assert calls == [[0, 1, 2, 3], [4, 5]]  # capped at max_batch, the rest form the next batch
    assert [r.batch_size for r in results] == [4, 4, 4, 4, 2, 2]
    stats = batcher.stats.to_dict()
    assert stats["batches"] == 2 and stats["batch_sizes"] == {"2": 1, "4": 1}


def test_batcher_lone_item_waits_only_the_window():
    batcher = MicroBatcher(lambda items: items, max_batch=8, wait_ms=50)
    start = time.monotonic()
    assert batcher.submit("x").result(timeout=10).value == "x"
    assert time.monotonic() - start < 2.0
    batcher.stop()


def test_batcher_error_reaches_every_request_of_the_batch_and_worker_survives():
    def answer(items):
        if "boom" in items:
            raise RuntimeError("model failed")
        return items

    batcher = MicroBatcher(answer, max_batch=2, wait_ms=500)
    a, b = batcher.submit("ok"), batcher.submit("boom")
    for f in (a, b):
        with pytest.raises(RuntimeError, match="model failed"):
            f.result(timeout=10)
    assert batcher.submit("after").result(timeout=10).value == "after"
    assert batcher.stats.to_dict()["failed_batches"] == 1
    batcher.stop()


def test_batcher_skips_cancelled_requests():
    seen: list[list[str]] = []
    gate = threading.Event()

    def answer(items):
        seen.append(list(items))
        gate.wait(5)
        return items

    batcher = MicroBatcher(answer, max_batch=1, wait_ms=0)
    first = batcher.submit("first")  # occupies the worker until the gate opens
    time.sleep(0.2)
    gone = batcher.submit("gone")
    assert gone.cancel()  # the client went away while queued
    gate.set()
    last = batcher.submit("last")
    assert first.result(timeout=10).value == "first" and last.result(timeout=10).value == "last"
    batcher.stop()
    assert ["gone"] not in seen


def test_concurrent_transcriptions_match_serial_ones(example_clips):
    """Whisper's decoder hooks its KV cache onto the shared model: without the lock in
    ``WhisperAudio.transcribe``, two threads corrupt each other's transcripts."""
    from affect_llm.encoders.whisper_audio import load_whisper
    from affect_llm.media.clip import read_clip

    whisper = load_whisper("bundled")
    audios = [read_clip(example_clips[name]).audio for name in ("cheerful", "angry")]
    serial = [whisper.transcribe(a).text for a in audios]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda a: whisper.transcribe(a).text, audios * 2))
    assert threaded == serial * 2


def test_first_retry_after_grows_with_the_batches_ahead():
    """Before any batch has run, the estimate still counts the batches ahead (it was a flat 5 s
    whatever the queue), and a measured perception replaces the benchmark's before a batch has."""
    from affect_llm.serve.admission import FIRST_BATCH_S, FIRST_PERCEIVE_S, Admission

    admission = Admission(max_queue=16, max_batch=2, mean_batch_s=lambda: None)
    admission.in_flight = 2
    one_batch = admission.retry_after_s()
    admission.in_flight = 16
    assert admission.retry_after_s() == math.ceil(FIRST_PERCEIVE_S + 8 * FIRST_BATCH_S) > one_batch
    admission.perceived(10.0)
    assert admission.retry_after_s() == math.ceil(10.0 + 8 * FIRST_BATCH_S)


def test_malformed_multipart_is_a_400_without_a_server_warning(tmp_path, caplog):
    """``python_multipart`` logged a WARNING per malformed body; the client gets its 400 with the
    same words, so the server log keeps them at DEBUG, and the library's own logger stays as it was."""
    import logging

    from affect_llm.serve.multipart import MultipartReader

    reader = MultipartReader("multipart/form-data; boundary=b0undary", tmp_path, UploadLimits())
    with caplog.at_level(logging.DEBUG), pytest.raises(UploadRejected, match="malformed") as refused:
        reader.feed(b"--b0undary\r\nnot a header line\r\n\r\n")
    reader.close()
    assert refused.value.status == 400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any(r.name == "affect_llm.serve.multipart" and r.levelno == logging.DEBUG
               and r.getMessage().startswith("python_multipart: ") for r in caplog.records)
    library = logging.getLogger("python_multipart.multipart")
    assert library.isEnabledFor(logging.WARNING) and not library.filters and not library.disabled


# --------------------------------------------------------------------------- upload checks (no model)
def test_upload_checks(example_clips, audio_only, tmp_path):
    limits = UploadLimits(max_mb=1, max_seconds=3)
    check_name("clip.MP4", limits)
    check_name("memo.wav", limits)
    with pytest.raises(UploadRejected, match=r"notes.txt: '.txt' is not a type accepted here") as exc:
        check_name("notes.txt", limits)
    assert exc.value.status == 422
    with pytest.raises(UploadRejected, match="over the 1 MB upload limit: cut or compress the recording") as exc:
        check_size("big.mp4", 5 * 1024 * 1024, limits)
    assert exc.value.status == 413
    with pytest.raises(UploadRejected, match=r"empty \(0 bytes\): upload the file again"):
        check_size("empty.mp4", 0, limits)
    with pytest.raises(UploadRejected, match=r"cheerful.mp4 lasts 5 s, over the 3 s limit"):
        check_duration(example_clips["cheerful"], limits)
    assert 4 < check_duration(example_clips["cheerful"], UploadLimits(max_seconds=60)) < 6
    assert 1 < check_duration(audio_only, UploadLimits(max_seconds=60)) < 3  # sound only: its length
    with pytest.raises(UploadRejected, match=r"voice_memo.mp4 lasts 2 s, over the 1 s limit"):
        check_duration(audio_only, UploadLimits(max_seconds=1))
    text = tmp_path / "text.mp4"
    text.write_text("not a video\n")
    assert check_duration(text, limits) is None  # unknown: the decoder words the error later
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("my clip (1).mp4") == "my_clip_1_.mp4"
    assert safe_filename("") == "upload.mp4"


@pytest.fixture(scope="module")
def minute_of_sound(tmp_path_factory) -> dict[str, Path]:
    """A 60 s tone as .wav, .mp3 and .m4a (ffmpeg's lavfi sine source): long enough that decoding
    it is real work, short enough to make in a moment."""
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: `apt-get install -y ffmpeg`")
    folder = tmp_path_factory.mktemp("minute")
    files = {}
    for suffix in ("wav", "mp3", "m4a"):
        files[suffix] = folder / f"minute.{suffix}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=220:duration=60", "-ac", "1", "-ar", "16000", str(files[suffix])],
                       check=True)
    return files


@pytest.mark.parametrize("suffix", ["wav", "mp3", "m4a"])
def test_a_long_sound_files_duration_comes_from_its_header(minute_of_sound, suffix, monkeypatch):
    """The admission check of a sound upload reads the length the container states; the sound is
    not decoded (a decoder that fails proves it), and the limit refuses it by that length."""
    import decord

    from affect_llm import uploads
    from affect_llm.media.clip import header_duration

    path = minute_of_sound[suffix]
    assert header_duration(path) == pytest.approx(60, abs=0.2)  # the header route answers

    def no_decoding(*args, **kwargs):
        raise AssertionError("the sound was decoded to learn its length")

    monkeypatch.setattr(decord, "AudioReader", no_decoding)
    assert uploads.probe_duration(path) == pytest.approx(60, abs=0.2)
    with pytest.raises(UploadRejected, match=rf"minute.{suffix} lasts 60 s, over the 30 s limit"):
        check_duration(path, UploadLimits(max_seconds=30))


def test_a_sound_file_without_a_stated_duration_is_decoded_to_measure_it(minute_of_sound, monkeypatch):
    from affect_llm import uploads
    from affect_llm.media import clip

    monkeypatch.setattr(clip, "header_duration", lambda path: None)  # as a raw stream without a header
    assert uploads.probe_duration(minute_of_sound["wav"]) == pytest.approx(60, abs=0.05)


def test_the_header_is_read_only_through_a_known_layout(minute_of_sound, monkeypatch):
    """The duration is a struct field whose place depends on the libavformat version: an unknown
    version is not guessed at (None: the decode measures instead)."""
    from affect_llm import uploads
    from affect_llm.media import clip

    monkeypatch.setattr(clip, "_URL_OFFSET", {})
    assert clip.header_duration(minute_of_sound["wav"]) is None
    assert uploads.probe_duration(minute_of_sound["wav"]) == pytest.approx(60, abs=0.05)


def test_upload_limits_name_the_video_and_the_sound_types_apart():
    text = UploadLimits(max_mb=1, max_seconds=30).describe()
    video, sound = text.split(" or a sound recording ")
    assert video.startswith("a video (") and ".mp4" in video and ".wav" not in video
    assert ".wav" in sound and ".mp3" in sound and ".mp4" not in sound
    assert text.endswith("at most 1 MB and 30 s")


# --------------------------------------------------------------------------- the API with a real model
@pytest.fixture(scope="module")
def model(fast_model):
    from affect_llm.models import load_model

    m = load_model(str(fast_model))
    _ = m.llm
    return m


@pytest.fixture(scope="module")
def allowed_dir(tmp_path_factory, example_clips) -> Path:
    folder = tmp_path_factory.mktemp("allowed")
    (folder / "angry-on-server.mp4").write_bytes(example_clips["angry"].read_bytes())
    return folder


@pytest.fixture(scope="module")
def live_server(model, allowed_dir):
    """A real uvicorn in a thread (``serve_support.live_server``, as the fault tests use): a batch
    of up to 3, collected for up to 3 s so that three requests whose perception ends at different
    times still meet."""
    from affect_llm.serve import create_app

    app = create_app(model=model, max_batch=3, batch_wait_ms=3000, allow_paths=allowed_dir,
                     perception_workers=3)
    with serve_support.live_server(app) as url:
        yield url


def test_concurrent_requests_are_batched_with_separate_answers(live_server, example_clips, fast_model):
    requests = [
        ("upload", "cheerful", "I passed the exam, this is wonderful!"),
        ("upload", "silent", "I am so tired of waiting here."),
        ("path", "angry-on-server.mp4", "Leave me alone, I said no!"),
    ]

    def send(kind: str, what: str, subtitle: str) -> dict:
        if kind == "upload":
            with open(example_clips[what], "rb") as f:
                r = httpx.post(f"{live_server}/describe", files={"file": (f"{what}.mp4", f, "video/mp4")},
                               data={"subtitle": subtitle}, timeout=300)
        else:
            r = httpx.post(f"{live_server}/describe", json={"path": what, "subtitle": subtitle, "id": "angry-path"},
                           timeout=300)
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda args: send(*args), requests))

    for (kind, what, subtitle), result, want_id in zip(requests, results, ("cheerful", "silent", "angry-path")):
        assert result["id"] == want_id
        assert result["cues"]["words"]["subtitle"] == subtitle and result["cues"]["subtitle_source"] == "user"
        assert subtitle in result["explanation"]  # the verbal part quotes this request's own words
        assert result["emotions"] and result["model"] == fast_model.name
        assert result["timings"]["generate_s"] > 0
    assert "audio" in results[1]["cues"]["missing"] and results[0]["cues"]["face"]["found"]
    assert max(r["batch_size"] for r in results) > 1

    health = httpx.get(f"{live_server}/healthz", timeout=10).json()
    assert health["status"] == "ok"
    batching = health["batching"]
    assert batching["requests"] == 3 and batching["max_batch_size_seen"] > 1
    assert batching["batches"] < 3  # at least two of the three shared a generation


def test_startup_loads_the_model_through_its_interface():
    """``serve`` loads the weights with ``EmotionModel.load()`` before it reports ready; it used to
    read a ``llm`` attribute instead, which a model is free to load lazily elsewhere."""
    from fastapi.testclient import TestClient

    from affect_llm.serve import create_app

    model = serve_support.SlowModel()
    app = create_app(model=model)
    assert model.loads == 0 and app.state.service.health()["status"] == "loading"
    with TestClient(app) as client:
        assert model.loads == 1
        assert client.get("/healthz").json()["status"] == "ok"


@pytest.fixture(scope="module")
def client_factory(model, allowed_dir):
    from fastapi.testclient import TestClient

    from affect_llm.serve import create_app

    def make(**kw):
        return TestClient(create_app(model=model, **kw))

    return make


def test_oversized_upload_is_refused_with_413(client_factory, example_clips, tmp_path):
    with client_factory(limits=UploadLimits(max_mb=0.01)) as client:
        with open(example_clips["cheerful"], "rb") as f:
            r = client.post("/describe", files={"file": ("cheerful.mp4", f, "video/mp4")})
        assert r.status_code == 413
        assert "cheerful.mp4" in r.json()["error"] and "upload limit" in r.json()["error"]
        # A body far over the limit is refused from its Content-Length, before it is read.
        big = tmp_path / "big.mp4"
        big.write_bytes(b"\0" * (2 * 1024 * 1024))
        with open(big, "rb") as f:
            r = client.post("/describe", files={"file": ("big.mp4", f, "video/mp4")})
        assert r.status_code == 413 and "limit" in r.json()["error"]
        # The same without a Content-Length (chunked): counted while it streams in.
        r = client.post("/describe", content=(b"\0" * 65536 for _ in range(40)),
                        headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code == 413 and "limit" in r.json()["error"]
        assert client.get("/healthz").json()["batching"]["requests"] == 0


def test_bad_uploads_get_422_with_the_one_line_reason(client_factory, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Dear diary, today I was happy.\n" * 20)
    renamed = tmp_path / "notes.mp4"
    renamed.write_bytes(notes.read_bytes())
    with client_factory(limits=UploadLimits(max_seconds=3)) as client:
        for path, expected in ((notes, "notes.txt: '.txt' is not a type accepted here"),
                               (renamed, "notes.mp4 is a text file, not a video or a sound recording")):
            with open(path, "rb") as f:
                r = client.post("/describe", files={"file": (path.name, f, "application/octet-stream")})
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error.startswith(expected) and "\n" not in error
            assert "affect-llm-upload" not in error  # the client's file name, not the server's temp path
        r = client.post("/describe", files={"file": ("empty.mp4", b"", "video/mp4")})
        assert r.status_code == 422 and "empty" in r.json()["error"]
        r = client.post("/describe", data={"subtitle": "no file"}, files={"other": ("x.mp4", b"x")})
        assert r.status_code == 422 and "'file'" in r.json()["error"]
        r = client.post("/describe", content=b"raw", headers={"content-type": "video/mp4"})
        assert r.status_code == 415


def test_long_clip_is_refused_before_decoding(client_factory, example_clips):
    with client_factory(limits=UploadLimits(max_seconds=2)) as client, open(example_clips["cheerful"], "rb") as f:
        r = client.post("/describe", files={"file": ("cheerful.mp4", f, "video/mp4")})
    assert r.status_code == 422 and "over the 2 s limit" in r.json()["error"]


def test_server_side_paths_only_inside_the_allowed_folder(client_factory, allowed_dir, example_clips):
    with client_factory() as client:  # no allow_paths
        r = client.post("/describe", json={"path": str(allowed_dir / "angry-on-server.mp4")})
        assert r.status_code == 403 and "--allow-paths" in r.json()["error"]
    with client_factory(allow_paths=allowed_dir) as client:
        r = client.post("/describe", json={"path": str(example_clips["cheerful"])})
        assert r.status_code == 403 and "outside the allowed folder" in r.json()["error"]
        r = client.post("/describe", json={"path": "../" + example_clips["cheerful"].name})
        assert r.status_code == 403
        r = client.post("/describe", json={"path": "nope.mp4"})
        assert r.status_code == 404 and "nope.mp4" in r.json()["error"]
        r = client.post("/describe", json={"clip": "angry-on-server.mp4"})
        assert r.status_code == 422 and "path" in r.json()["error"]


def test_openapi_lists_describe_and_healthz(client_factory):
    with client_factory() as client:
        schema = client.get("/openapi.json").json()
        health = client.get("/healthz").json()
    post = schema["paths"]["/describe"]["post"]
    assert {"multipart/form-data", "application/json"} <= post["requestBody"]["content"].keys()
    assert "file" in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"200", "413", "422"} <= post["responses"].keys()
    assert "/healthz" in schema["paths"]
    assert health["status"] == "ok" and health["limits"]["max_mb"] == 200
