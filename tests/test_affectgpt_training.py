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
from affectgpt_support import REPO, random_feature_dataset, tiny_clip, write_config

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


# ------------------------------------------------------------------------------ encoders chosen by the YAML
def test_clip_projected_image_features_are_chosen_in_the_training_yaml(setup, tmp_path):
    import numpy as np
    import torch
    import yaml

    from affect_llm.errors import InputError
    from affect_llm.features.extract import FeatureExtractor
    from affect_llm.training.config import load_train_config

    _, llm, data = setup
    clip = tiny_clip(tmp_path / "clip")
    config = write_config(tmp_path / "clip.yaml", data, llm)
    raw = yaml.safe_load(config.read_text())
    raw["model"]["modalities"][1].update(encoder="clip", image_features="projected")  # relative to the YAML
    config.write_text(yaml.safe_dump(raw))
    extractor = FeatureExtractor.from_config(load_train_config(config).model)
    assert extractor.dims["frames"] == 12  # projection_dim, not the vision width (24)
    frames = np.random.default_rng(0).integers(0, 255, (3, 40, 48, 3), dtype=np.uint8)
    feats = extractor.from_arrays(frames, None, None, 16_000)["frames"]
    pixels = extractor.encoders["frames"].pixels.processor(images=list(frames), return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        ref = clip.get_image_features(pixel_values=pixels)
    ref = ref if isinstance(ref, torch.Tensor) else ref.pooler_output
    torch.testing.assert_close(feats.float(), ref.half().float(), rtol=1e-3, atol=1e-3)  # feature_dtype float16
    pooled = FeatureExtractor.from_config(load_train_config(config, ["model.modalities.1.image_features=pooled"]).model)
    assert pooled.dims["frames"] == 24 and pooled.spec_id != extractor.spec_id  # another cache entry
    with pytest.raises(InputError, match=r"clip\.yaml.*image_features.*'projection'.*pooled.*projected"):
        load_train_config(config, ["model.modalities.1.image_features=projection"])
    with pytest.raises(InputError, match=r"'frames': image_features: projected needs a CLIP folder"):
        load_train_config(config, ["model.modalities.1.encoder=mobilenet_v2"])


def test_reproduce_variant_feeds_openface_faces_in_bgr_order(tmp_path):
    import numpy as np
    import torch

    from affect_llm.features.clipfiles import ClipFiles
    from affect_llm.features.extract import FeatureExtractor
    from affect_llm.models.affectgpt.config import AffectGPTConfig, FusionConfig, ModalityConfig

    def extractor(variant):
        cfg = AffectGPTConfig(variant=variant, modalities=[ModalityConfig("faces", "faces", "mobilenet_v2", tokens=1)],
                              fusion=FusionConfig(kind="none"), modality_dropout=0.0).validate()
        return FeatureExtractor.from_config(cfg)

    faces = np.zeros((4, 112, 112, 3), np.uint8)
    faces[..., 0] = 220  # stored blue-heavy (OpenFace writes BGR)
    faces[..., 1] = np.arange(4, dtype=np.uint8)[:, None, None] * 40
    np.save(tmp_path / "bgr.npy", faces)
    np.save(tmp_path / "rgb.npy", np.ascontiguousarray(faces[..., ::-1]))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"not decoded: the faces come from the release's .npy")
    reproduce, improved = extractor("reproduce"), extractor("improved")
    assert reproduce.openface_bgr and not improved.openface_bgr and reproduce.spec_id != improved.spec_id
    as_stored = reproduce.from_clip(ClipFiles(video, tmp_path / "bgr.npy"))["faces"]
    # reproduce encodes the stored bytes; improved flips them to RGB first
    torch.testing.assert_close(as_stored, improved.from_clip(ClipFiles(video, tmp_path / "rgb.npy"))["faces"])
    assert not torch.allclose(as_stored, improved.from_clip(ClipFiles(video, tmp_path / "bgr.npy"))["faces"])


# ------------------------------------------------------------------------------ generation warnings
def test_generation_bans_repeated_ngrams_without_transformers_warnings(setup):
    import warnings

    import torch

    from affect_llm.features.batch import collate_features
    from affect_llm.models.affectgpt.config import (
        AffectGPTConfig,
        FusionConfig,
        LLMConfig,
        LoRAConfig,
        ModalityConfig,
    )
    from affect_llm.models.affectgpt.modeling import AffectGPTModel

    _, llm, _ = setup
    config = AffectGPTConfig(modalities=[ModalityConfig("audio", "audio", "precomputed:a:8", tokens=2)],
                             fusion=FusionConfig(kind="none"), llm=LLMConfig(path=str(llm), training="lora"),
                             lora=LoRAConfig(r=4, alpha=8, dropout=0.0), width=32, heads=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = AffectGPTModel.from_config(config, encoder_dims={"audio": 8}, seed=0).eval()
        feats = collate_features([{"audio": torch.randn(5, 8, generator=torch.Generator().manual_seed(0))}],
                                 model.encoder_dims)
        ours = model.describe(["I passed!"], feats, max_new_tokens=24)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "no_repeat_ngram_size" in m or "is_gradient_checkpointing" in m], messages
    # the same answer as transformers' own setting (which warns): the ban covers the new tokens only
    batch = model.prompt.collate([model.prompt.encode("I passed!")], padding_side="left")
    embeds = model.embed_inputs(batch["input_ids"], batch["slot_mask"], feats)
    tok = model.tokenizer
    with warnings.catch_warnings(record=True) as direct, torch.no_grad():
        warnings.simplefilter("always")
        common = {"attention_mask": batch["attention_mask"], "max_new_tokens": 24, "do_sample": False,
                  "pad_token_id": model.prompt.pad_id, "eos_token_id": tok.eos_token_id}
        reference = model.llm.generate(inputs_embeds=embeds, no_repeat_ngram_size=4, **common)
        looping = model.llm.generate(inputs_embeds=embeds, **common)
    assert any("no_repeat_ngram_size" in str(w.message) for w in direct)  # what the setting would print
    assert ours == [model.prompt.clean(t) for t in tok.batch_decode(reference, skip_special_tokens=True)]
    assert reference.tolist() != looping.tolist()  # the ban is in force: this random LLM repeats itself without it
