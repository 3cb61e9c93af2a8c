"""Training mechanics on random precomputed features: kill/resume gives the same loss curve (one
process, and 2-process DeepSpeed ZeRO-2 and ZeRO-3 over gloo), outputs, and error reporting.

Each run is a real subprocess started the way users start it (``python -m affect_llm train`` and
``torchrun ... train/train.py``); a "kill" is a SIGKILL the recipe sends itself after step N
(``AFFECT_LLM_KILL_AFTER_STEP``), i.e. no clean-up code runs.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys

import pytest
from affectgpt_support import REPO, random_feature_dataset, write_config

KILL_ENV = "AFFECT_LLM_KILL_AFTER_STEP"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from affect_llm.models.affectgpt.tiny import make_tiny_llm

    root = tmp_path_factory.mktemp("train")
    llm = make_tiny_llm(root / "tiny-llm")
    data = random_feature_dataset(root / "data", n=24)
    return root, llm, data


def _env(**extra):
    env = dict(os.environ, TQDM_DISABLE="1", DS_ACCELERATOR="cpu", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop(KILL_ENV, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_train(config, *overrides, kill_after=None, procs=1, timeout=300):
    env = _env(**({KILL_ENV: kill_after} if kill_after else {}))
    sets = [x for o in overrides for x in ("--set", o)]
    if procs == 1:
        cmd = [sys.executable, "-m", "affect_llm", "train", str(config), *sets]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}",
               str(REPO / "train" / "train.py"), str(config), *sets]
    return subprocess.run(cmd, env=env, cwd=config.parent, capture_output=True, text=True, timeout=timeout,
                          check=False)


def curve(run_dir):
    with open(run_dir / "metrics.csv", newline="") as f:
        return [(int(r["step"]), float(r["loss"]), float(r["lr"]), float(r["grad_norm"])) for r in csv.DictReader(f)]


def assert_same_curve(a, b, tol=1e-5):
    assert [r[0] for r in a] == [r[0] for r in b], (a, b)
    for x, y in zip(a, b):
        assert all(abs(u - v) <= tol * max(1.0, abs(u)) for u, v in zip(x[1:], y[1:])), (x, y)


def test_resume_after_kill_continues_identically(setup):
    root, llm, data = setup
    config = write_config(root / "single.yaml", data, llm)
    ref = run_train(config, f"output_dir={root / 'ref'}")
    assert ref.returncode == 0, ref.stderr[-3000:]
    killed = run_train(config, f"output_dir={root / 'killed'}", kill_after=4)
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert not (root / "killed" / "model").exists()
    assert [p.name for p in (root / "killed" / "checkpoints").iterdir()] == ["step-0000003"]
    resumed = run_train(config, f"output_dir={root / 'killed'}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr and "step-0000003" in resumed.stderr
    reference, continued = curve(root / "ref"), curve(root / "killed")
    assert len(reference) == 6
    assert_same_curve(reference, continued)
    assert reference[-1][1] < reference[0][1]
    # outputs: model folder, loss curve, summary; only the newest 2 checkpoints kept
    summary = json.loads(resumed.stdout)
    assert summary["start_step"] == 3 and summary["steps"] == 6
    out = root / "killed"
    assert (out / "loss.png").stat().st_size > 1000 and (out / "summary.json").exists()
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-0000003", "step-0000006"]
    from affect_llm.models import load_model

    model = load_model(str(out / "model"))
    assert model.name == "model" and model.model.config.fusion.kind == "attention"


def test_bad_manifest_line_stops_training_with_its_line_number(setup):
    root, llm, data = setup
    bad = root / "bad.jsonl"
    lines = data["train"].read_text().splitlines()
    lines.insert(2, '{"id": "zz", "video": "clips/none.mp4", "description": "x"}')
    bad.write_text("\n".join(f.replace('"clips/', f'"{data["train"].parent}/clips/') for f in lines) + "\n")
    config = write_config(root / "bad.yaml", {**data, "train": bad}, llm)
    proc = run_train(config, f"output_dir={root / 'bad-run'}")
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith("affect-llm: error: 1 bad entry") and f"{bad}:3: clip" in err and "none.mp4" in err
    skipped = run_train(config, f"output_dir={root / 'bad-run'}", "data.on_error=skip", "max_steps=1")
    assert skipped.returncode == 0, skipped.stderr[-2000:]
    assert f"skipping {bad}:3" in skipped.stderr


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None,
                    reason="deepspeed is not installed: pip install 'affect-llm[train]'")
def test_deepspeed_zero2_and_zero3_two_processes_kill_and_resume(setup):
    root, llm, data = setup
    config = write_config(root / "ds.yaml", data, llm)
    z2 = str(REPO / "train" / "ds_zero2.json")
    z3 = str(REPO / "train" / "ds_zero3.json")
    ref = run_train(config, f"output_dir={root / 'z2-ref'}", f"deepspeed={z2}", procs=2)
    assert ref.returncode == 0, ref.stderr[-4000:]
    reference = curve(root / "z2-ref")
    for name, ds in (("z2", z2), ("z3", z3)):
        out = root / f"{name}-resumed"
        killed = run_train(config, f"output_dir={out}", f"deepspeed={ds}", kill_after=4, procs=2)
        assert killed.returncode != 0 and not (out / "model").exists(), killed.stderr[-3000:]
        assert (out / "checkpoints" / "step-0000003" / "state.json").exists()
        resumed = run_train(config, f"output_dir={out}", f"deepspeed={ds}", procs=2)
        assert resumed.returncode == 0, resumed.stderr[-4000:]
        assert "resumed from" in resumed.stderr
        # ZeRO-3 reduces in another order than ZeRO-2: equal within float tolerance
        assert_same_curve(reference, curve(out), tol=1e-4)
        from affect_llm.models.affectgpt.io import load

        model = load(out / "model")  # ZeRO-3 partitions were gathered before saving
        norms = [float(p.abs().sum()) for p in model.adapter_parameters().values()]
        assert min(norms) > 0
