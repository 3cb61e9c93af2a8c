"""``infer`` under faults: perception workers killed mid-run, duplicate stems in a folder, failed
clips scored, and manifest lines that are not UTF-8 or wrongly typed. Every run is bounded in
time; every test checks that no id is lost or written twice and that no traceback reaches the
user."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crashing_work import always_die, crash_on_kill_ids, die_on_start
from faults_helpers import bounded, cli, no_traceback

from affect_llm.errors import AffectError
from affect_llm.inference import InputItem, collect_inputs, worker_died_record
from affect_llm.perception_pool import MAX_DEATHS_IN_A_ROW, PerceptionPool


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dead_workers_become_error_records_and_the_run_goes_on(tmp_path):
    """Real spawned workers die of SIGKILL and SIGSEGV. A clip that kills one worker is tried again
    in a fresh one; a clip that kills two is recorded (stage perception, signal named); every
    clip comes back once, in order."""
    ids = ["a", "kill-1", "b", "once-1", "c", "segv-1", "d", "e"]
    items = [InputItem(id=i, video=tmp_path / f"{i}.mp4") for i in ids]
    pool = PerceptionPool(2, crash_on_kill_ids, failed=worker_died_record)
    out = bounded(lambda: list(pool.imap(items, ahead=3)), 120)

    assert [item.id for item, _, _ in out] == ids  # none lost, none twice, input order
    by_id = {item.id: (perception, error) for item, perception, error in out}
    for good in ("a", "b", "c", "d", "e", "once-1"):  # once-1 succeeded on its second worker
        assert by_id[good][1] is None and by_id[good][0]["perceived"] == good
    for bad, sig in (("kill-1", "SIGKILL"), ("segv-1", "SIGSEGV")):
        perception, error = by_id[bad]
        assert perception is None and error["stage"] == "perception" and error["signal"] == sig
        assert sig in error["error"] and "2 times" in error["error"] and error["id"] == bad
        assert error["video"] == str(tmp_path / f"{bad}.mp4")
    assert (tmp_path / "once-1.mp4.died").exists()
    assert pool.deaths == 5  # kill-1 twice, segv-1 twice, once-1 once


def test_workers_that_always_die_stop_the_run_with_one_error(tmp_path):
    """Workers that die on start-up (a broken install), or on clip after clip (no memory left),
    stop the run with one error instead of recording every clip of a big corpus as failed."""
    items = [InputItem(id=f"c{i}", video=tmp_path / f"c{i}.mp4") for i in range(20)]
    with pytest.raises(AffectError, match="died 3 times in a row while starting"):
        bounded(lambda: list(PerceptionPool(2, crash_on_kill_ids, initializer=die_on_start).imap(items, 4)), 120)
    pool = PerceptionPool(1, always_die)
    with pytest.raises(AffectError, match=f"died {MAX_DEATHS_IN_A_ROW} times in a row without finishing"):
        bounded(lambda: list(pool.imap(items, 4)), 120)


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmd:
                kids.append(int(entry))
    return kids


def _holds_clip(pid: int, folder: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder))
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finding worker processes needs /proc")
def test_infer_survives_kill_9_of_a_worker_and_scores_failed_clips(tmp_path, example_clips, tiny_model, fifo):
    """The CLI end to end: a folder with two clips sharing a stem and a FIFO; the perception worker
    is killed with SIGKILL mid-run. The run finishes, every clip has exactly one record (unique
    ids, the video path in each), and ``--score-with`` scores the failed clip as an empty answer."""
    clips = fifo.parent
    (clips / "dup.mp4").write_bytes(example_clips["cheerful"].read_bytes())
    (clips / "dup.mkv").write_bytes(example_clips["angry"].read_bytes())
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": i, "emotions": [e]}) + "\n"
                            for i, e in (("dup.mkv", "angry"), ("dup.mp4", "happy"), ("stream", "sad"))))
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "affect_llm", "infer", "--no-progress", "--input", str(clips), "--output",
           str(out), "--model", str(tiny_model), "--workers", "1", "--batch-size", "4", "--no-transcribe",
           "--score-with", str(gold)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, holding, deadline = None, False, time.monotonic() + 90
    try:
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            for pid in _children(proc.pid):
                # Best: kill it while it has a clip open (mid-decode); after 20 s kill it anyway.
                holding = _holds_clip(pid, clips)
                if holding or time.monotonic() > deadline - 70:
                    os.kill(pid, signal.SIGKILL)
                    killed = pid
                    break
            time.sleep(0.01)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert killed is not None, "no perception worker was found to kill"
    assert proc.returncode == 0, stderr[-3000:]
    no_traceback(subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr))
    assert "perception worker died" in stderr
    if holding:  # killed mid-clip: that clip was given to a fresh worker, not lost
        assert "trying the clip once more" in stderr
    print(f"worker {killed} killed {'holding a clip' if holding else 'between clips'}")

    records = read_lines(out)
    ids = [r["id"] for r in records]
    assert sorted(ids) == ["dup.mkv", "dup.mp4", "stream"]  # unique, none lost, none twice
    by_id = {r["id"]: r for r in records}
    assert by_id["dup.mp4"]["video"] == str(clips / "dup.mp4") and by_id["dup.mkv"]["video"] == str(clips / "dup.mkv")
    assert "error" not in by_id["dup.mp4"] and "error" not in by_id["dup.mkv"]
    assert by_id["stream"]["stage"] == "decode" and "FIFO" in by_id["stream"]["error"]
    assert "2 answered, 1 failed (decode: 1)" in stdout
    assert "1 failed clip scored as empty answers" in stdout and "over 3 of 3" in stdout


def test_scoring_failure_exits_non_zero(tmp_path):
    """A run whose scoring fails (here: a gold file with a line that is not JSON) exits 2, after
    the results are written; no model is loaded because no clip is usable."""
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "x", "video": 5}\n')
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "x", "emotions": ["sad"]}\nnot json\n')
    out = tmp_path / "out.jsonl"
    proc = cli("infer", "--no-progress", "--input", str(manifest), "--output", str(out), "--workers", "0",
               "--score-with", str(gold))
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert "gold.jsonl:2" in proc.stderr and "scoring" in proc.stderr
    assert [r["id"] for r in read_lines(out)] == ["m.jsonl@line1"]


def test_folder_ids_stay_unique_when_stems_collide(tmp_path):
    for name in ("dup.mp4", "dup.mkv", "dup.mp4.mp4", "solo.mp4", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.mp4").mkdir()
    items = collect_inputs(tmp_path)
    ids = [it.id for it in items]
    assert len(set(ids)) == len(ids) == 4
    assert sorted(ids) == ["dup.mkv", "dup.mp4", "dup.mp4.mp4", "solo"]
    assert {it.id: it.video.name for it in items}["dup.mp4"] == "dup.mp4"


BAD_JSONL_LINES = [
    b'{"id": "latin1", "video": "caf\xe9.mp4"}',          # a Latin-1 byte: not UTF-8
    b'{"id": "number", "video": 5}',                     # video not a string
    b'{"id": "list", "video": ["a.mp4"]}',
    b'{"id": "obj", "video": {"p": 1}}',
    b'{"id": "nul", "video": "a\\u0000b.mp4"}',           # a NUL byte in the path
    b'{"id": ["x"], "video": "a.mp4"}',                  # id of the wrong type
    b'{"id": "sub", "video": "a.mp4", "subtitle": 3}',   # subtitle of the wrong type
    b'[1, 2]',
    b'"just a string"',
    b'{"id": "deep", "video": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    b'\xff\xfe\x00garbage',
    b'{"id": "ok-missing", "video": "nowhere.mp4"}',     # well-formed; fails at decode
]


def test_bad_manifest_lines_are_recorded_per_line(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_bytes(b"\xef\xbb\xbf" + b"\n".join(BAD_JSONL_LINES) + b"\n\n")
    out = tmp_path / "out.jsonl"
    proc = cli("infer", "--no-progress", "--input", str(manifest), "--output", str(out), "--workers", "0")
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    records = read_lines(out)
    assert len(records) == len({r["id"] for r in records}) == len(BAD_JSONL_LINES)
    by_line = {r.get("line"): r for r in records}
    assert "not UTF-8" in by_line[1]["error"] and "not UTF-8" in by_line[11]["error"]
    assert "must be a path" in by_line[2]["error"] and "must be a path" in by_line[3]["error"]
    assert "NUL" in by_line[5]["error"] and "'id'" in by_line[6]["error"] and "'subtitle'" in by_line[7]["error"]
    assert all(r["stage"] == "manifest" for r in records if r["id"] != "ok-missing")
    assert {r["id"]: r for r in records}["ok-missing"]["stage"] == "decode"
    assert f"0 answered, {len(BAD_JSONL_LINES)} failed" in proc.stdout

    again = cli("infer", "--no-progress", "--input", str(manifest), "--output", str(out), "--workers", "0")
    assert again.returncode == 0 and f"{len(BAD_JSONL_LINES)} already done" in again.stdout
    assert len(read_lines(out)) == len(BAD_JSONL_LINES)


def test_csv_manifest_with_a_non_utf8_row(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(b"id,video,subtitle\r\ngood,a.mp4,hello\r\nbad,caf\xe9.mp4,\r\n"
                         b'multi,b.mp4,"two\r\nlines"\r\nlast,c.mp4,\r\n')
    items = collect_inputs(manifest)
    assert [it.id for it in items] == ["good", "m.csv@line3", "multi", "last"]
    assert "not UTF-8" in items[1].problem and items[2].subtitle == "two\r\nlines"
    assert items[3].line == 6


def test_train_manifest_with_non_utf8_and_wrong_types(tmp_path, example_clips):
    from affect_llm.training.data import Problems, read_manifest

    clip = example_clips["cheerful"]
    manifest = tmp_path / "train.jsonl"
    manifest.write_bytes(b"\n".join([
        json.dumps({"id": "a", "video": str(clip), "description": "She smiles."}).encode(),
        b'{"id": "b", "video": "caf\xe9.mp4", "description": "x"}',
        b'{"id": "c", "video": 5, "description": "x"}',
        json.dumps({"id": "d", "video": "a\x00.mp4", "description": "x"}).encode(),
        json.dumps({"id": "e", "video": str(clip), "emotions": ["happy"]}).encode(),
    ]))
    problems = Problems("skip")
    samples = read_manifest(manifest, problems)
    assert [s.id for s in samples] == ["a", "e"]
    assert [p.split(": ", 1)[0] for p in problems.items] == [f"{manifest}:{n}" for n in (2, 3, 4)]
    assert "not UTF-8" in problems.items[0] and "must be a string" in problems.items[1]
    assert "NUL" in problems.items[2]
