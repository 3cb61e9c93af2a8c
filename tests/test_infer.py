"""``affect-llm infer``: a corpus of good and bad clips, resume after SIGKILL, torn lines, sharding."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from affect_llm.inference import ResultStore, collect_inputs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, good_clip, silent_clip, noface_clip, huge_clip, bad_inputs) -> Path:
    """A manifest mixing good clips, degraded clips and every kind of bad entry."""
    root = tmp_path_factory.mktemp("corpus")
    rows = [
        {"id": "good", "video": str(good_clip)},
        {"id": "silent", "video": str(silent_clip)},
        {"id": "noface", "video": str(noface_clip), "subtitle": "This is unacceptable!"},
        {"id": "huge", "video": str(huge_clip)},
        {"id": "zero", "video": str(bad_inputs["zero_byte"])},
        {"id": "truncated", "video": str(bad_inputs["truncated_mp4"])},
        {"id": "textfile", "video": str(bad_inputs["text_as_mp4"])},
        {"id": "missing", "video": str(bad_inputs["missing_path"])},
        {"id": "good", "video": str(silent_clip)},  # duplicated id
    ]
    lines = [json.dumps(r) for r in rows]
    lines.insert(5, "{this is not json")
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return root / "manifest.jsonl"


def infer(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "affect_llm", "infer", "--no-progress", *args],
                          capture_output=True, text=True, timeout=900, **kw)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_corpus_every_good_clip_answered_every_bad_one_recorded(corpus, fast_model, tmp_path):
    out = tmp_path / "results.jsonl"
    proc = infer("--input", str(corpus), "--output", str(out), "--model", str(fast_model),
                 "--batch-size", "3", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    records = {r["id"]: r for r in read_lines(out)}
    assert len(records) == len(read_lines(out)) == 10  # 9 entries + 1 unparsable line, no id twice
    for good in ("good", "silent", "noface", "huge"):
        assert "error" not in records[good], records[good]
        assert records[good]["explanation"] and records[good]["emotions"]
    assert "audio" in records["silent"]["cues"]["missing"]
    assert "face" in records["noface"]["cues"]["missing"]
    for bad in ("zero", "truncated", "textfile", "missing"):
        assert records[bad]["stage"] == "decode" and records[bad]["error"], records[bad]
    assert records["good@line10"]["stage"] == "manifest" and "duplicate" in records["good@line10"]["error"]
    assert records["manifest.jsonl@line6"]["stage"] == "manifest"
    assert "4 answered, 6 failed" in proc.stdout

    # Run again: everything is done, nothing is appended.
    again = infer("--input", str(corpus), "--output", str(out), "--model", str(fast_model))
    assert again.returncode == 0 and "0 answered, 0 failed, 10 already done" in again.stdout
    assert len(read_lines(out)) == 10


def test_kill_and_resume_loses_and_duplicates_nothing(tmp_path, good_clip, fast_model):
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(6):
        (clips / f"c{i}.mp4").write_bytes(good_clip.read_bytes())
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "affect_llm", "infer", "--no-progress", "--input", str(clips),
           "--output", str(out), "--model", str(fast_model), "--batch-size", "1", "--workers", "0",
           "--no-transcribe"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = read_lines(out)
    assert 2 <= len(first) < 6, "the kill should land mid-run"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    ids = [r["id"] for r in read_lines(out)]  # every line parses
    assert sorted(ids) == [f"c{i}" for i in range(6)]
    assert f"{len(first)} already done" in resumed.stdout


def test_torn_last_line_is_repaired(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "a", "explanation": "x"}\n{"id": "b", "expl')
    store = ResultStore(out)
    store.write([{"id": "c"}])
    store.close()
    assert [r["id"] for r in read_lines(out)] == ["a", "c"]
    assert store.done == {"a", "c"}


def test_corrupt_middle_line_refuses_to_resume(tmp_path):
    from affect_llm.errors import InputError

    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "a"}\ngarbage\n{"id": "b"}\n')
    with pytest.raises(InputError, match=r"r.jsonl:2"):
        ResultStore(out)


def test_csv_manifest_and_folder_inputs(tmp_path, good_clip):
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a clip")
    (tmp_path / "memo.WAV").write_bytes(b"x")  # sound-only recordings are clips too
    assert [it.id for it in collect_inputs(tmp_path)] == ["a", "memo"]
    (tmp_path / "face.jpg").write_bytes(b"x")  # not a clip, and not a companion file: said to be skipped
    (tmp_path / "a.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    from affect_llm.inference import skipped_files

    assert [p.name for p in skipped_files(tmp_path)] == ["face.jpg"]
    csv_path = tmp_path / "m.csv"
    csv_path.write_text("name,video,subtitle\nc1,a.mp4,hello there\nc2,,\n")
    items = collect_inputs(csv_path)
    assert items[0].id == "c1" and items[0].video == tmp_path / "a.mp4" and items[0].subtitle == "hello there"
    assert items[1].problem and "m.csv:3" in items[1].problem


def test_bad_input_arguments(tmp_path):
    proc = infer("--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "nope" in proc.stderr and "Traceback" not in proc.stderr
    proc = infer(str(tmp_path / "nope"), "-o", str(tmp_path / "o.jsonl"))  # the input may come first, bare
    assert proc.returncode == 2 and "nope does not exist" in proc.stderr
    proc = infer("-o", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "no input given" in proc.stderr
    proc = infer(str(tmp_path / "a"), "--input", str(tmp_path / "b"), "-o", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "two inputs given" in proc.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    proc = infer("--input", str(empty), "--output", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "empty" in proc.stderr


def test_two_ranks_shard_and_merge(tmp_path, good_clip, fast_model):
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(4):
        (clips / f"s{i}.mp4").write_bytes(good_clip.read_bytes())
    out = tmp_path / "merged.jsonl"
    procs = [subprocess.Popen([sys.executable, "-m", "affect_llm", "infer", "--no-progress", "--input", str(clips),
                               "--output", str(out), "--model", str(fast_model), "--workers", "0",
                               "--no-transcribe"],
                              env=dict(os.environ, RANK=str(r), WORLD_SIZE="2", LOCAL_RANK=str(r)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    assert sorted(r["id"] for r in read_lines(out)) == ["s0", "s1", "s2", "s3"]
    assert not list(tmp_path.glob("merged.rank*"))


def test_ctrl_c_says_how_many_clips_are_answered_and_how_to_go_on(tmp_path, monkeypatch, capsys):
    """A user who stops a long run with Ctrl-C saw only "affect-llm: interrupted", and did not
    know that the answers so far were kept, nor that the same command resumes."""
    import affect_llm.inference as inference
    from affect_llm.cli.main import main

    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.wav", "b.wav", "c.wav"):
        (clips / name).write_bytes(b"RIFF")  # never decoded: the run is stopped before

    def stopped_after_one(items, store, options, progress=None, device=None):
        store.write([{"id": items[0].id, "explanation": "x", "emotions": ["neutral"]}])
        raise KeyboardInterrupt

    monkeypatch.setattr(inference, "run_inference", stopped_after_one)
    out = tmp_path / "out.jsonl"
    assert main(["infer", str(clips), "-o", str(out), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert f"interrupted: 1 of 3 clips are answered in {out}; the same command goes on from there" in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a"]
