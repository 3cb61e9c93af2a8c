"""Training data plumbing: manifests (every bad line reported), the MER-Caption+ importer, the
feature cache (hits, stale clips, corrupt shards), the deterministic sampler, training configs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from affect_llm.errors import InputError
from affect_llm.features.cache import FeatureCache, clip_digest
from affect_llm.training.data import Problems, StepSampler, load_manifest, read_manifest


def write_manifest(folder, lines):
    (folder / "clips").mkdir(exist_ok=True)
    for name in ("a", "b", "c"):
        (folder / "clips" / f"{name}.mp4").write_bytes(name.encode())
    path = folder / "m.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = [json.dumps({"id": "a", "video": "clips/a.mp4", "description": "She smiles.", "emotions": ["happy"]}),
        json.dumps({"id": "b", "video": "clips/b.mp4", "subtitle": "No!", "emotions": "[angry, tense]"})]


def test_manifest_bad_lines_are_reported_with_line_numbers(tmp_path, caplog):
    path = write_manifest(tmp_path, [
        GOOD[0],
        "{not json",
        json.dumps({"id": "x", "video": "clips/missing.mp4", "description": "d"}),
        json.dumps({"id": "y", "video": "clips/c.mp4"}),
        json.dumps({"id": "a", "video": "clips/c.mp4", "description": "again"}),
        json.dumps({"id": 3, "video": "clips/c.mp4", "description": "d"}),
        "",
        GOOD[1],
    ])
    with pytest.raises(InputError) as err:
        load_manifest(path, "fail")
    msg = str(err.value)
    for line, reason in ((2, "not valid JSON"), (3, "clip "), (4, "needs a non-empty 'description'"),
                         (5, "duplicate id 'a'"), (6, "'id' must be a string")):
        assert f"m.jsonl:{line}: {reason}" in msg
    assert "missing.mp4 does not exist" in msg and "data.on_error: skip" in msg
    with caplog.at_level(logging.WARNING):
        samples = load_manifest(path, "skip")
    assert [s.id for s in samples] == ["a", "b"]
    assert samples[1].emotions == ["angry", "tense"] and samples[1].line == 8
    assert samples[0].video == tmp_path / "clips" / "a.mp4"
    assert sum("skipping" in r.message for r in caplog.records) == 5
    assert any("skipped 5 bad entries" in r.getMessage() for r in caplog.records)


def test_import_mer_csv_layout(tmp_path):
    from affect_llm.training.mer import import_mer, parse_openset

    assert parse_openset("[happy, excited]") == ["happy", "excited"]
    assert parse_openset("['Happy', \"proud\"]") == ["happy", "proud"]
    root = tmp_path / "MER2025"
    (root / "video").mkdir(parents=True)
    for name in ("s1", "s2", "s4"):
        (root / "video" / f"{name}.mp4").write_bytes(name.encode())
    (root / "track2_train_mercaptionplus.csv").write_text(
        "name,openset\ns1,\"[happy, excited]\"\ns2,[sad\ns3,[angry]\n")
    (root / "track3_train_mercaptionplus.csv").write_text(
        "name,reason\ns1,\"In the video, she smiles widely.\"\ns4,\"He frowns and shouts.\"\n")
    (root / "subtitle_chieng.csv").write_text("name,chinese,english\ns1,x,I passed!\ns4,y,Go away.\n")
    out = tmp_path / "data" / "mer.jsonl"
    with pytest.raises(InputError) as err:
        import_mer(root, out)
    assert "track2_train_mercaptionplus.csv:3: unbalanced brackets" in str(err.value)
    assert "track2_train_mercaptionplus.csv:4: clip" in str(err.value) and "s3.mp4 does not exist" in str(err.value)
    stats = import_mer(root, out, on_error="skip")
    assert (stats.written, stats.skipped, stats.with_subtitle) == (2, 2, 2)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0] == {"id": "s1", "video": "../MER2025/video/s1.mp4", "subtitle": "I passed!",
                        "description": "In the video, she smiles widely.", "emotions": ["happy", "excited"]}
    assert lines[1]["id"] == "s4" and "emotions" not in lines[1]
    samples = load_manifest(out, "fail")  # the manifest it writes is one training reads
    assert samples[0].video.resolve() == (root / "video" / "s1.mp4").resolve()
    with pytest.raises(InputError, match="has no column 'reason'"):
        (root / "track3_train_mercaptionplus.csv").write_text("name,caption\ns1,x\n")
        import_mer(root, out)


def _spec(dtype="float32"):
    return {"version": 1, "streams": [["audio", "audio", "precomputed:a"]], "feature_dtype": dtype}


def test_feature_cache_hits_stale_and_corrupt_entries(tmp_path, caplog):
    clips = []
    for i in range(3):
        clips.append(tmp_path / f"c{i}.mp4")
        clips[-1].write_bytes(f"clip {i}".encode())
    calls = []

    def extract(path):
        calls.append(path.name)
        return {"audio": torch.full((4, 8), float(len(calls))), "frames": torch.randn(2, 3)}

    cache = FeatureCache(tmp_path / "cache", _spec(), "spec1", shard_size=2)
    digests = cache.ensure(clips, extract, on_error=lambda p, e: None, progress=False)
    assert calls == ["c0.mp4", "c1.mp4", "c2.mp4"] and len(list(cache.dir.glob("shard-*.safetensors"))) == 2
    assert torch.equal(cache.get(digests[clips[1]])["audio"], torch.full((4, 8), 2.0))
    # a second run (another process) finds everything
    again = FeatureCache(tmp_path / "cache", _spec(), "spec1")
    again.ensure(clips, extract, on_error=lambda p, e: None, progress=False)
    assert len(calls) == 3
    # a changed clip is a miss (keyed by content), never a stale hit
    clips[0].write_bytes(b"clip 0, edited")
    again.ensure(clips, extract, on_error=lambda p, e: None, progress=False)
    assert calls[-1] == "c0.mp4" and len(calls) == 4
    # a corrupt shard is detected on read, deleted, and its clips rebuilt
    shard = again.dir / again._index[digests[clips[1]]][0]
    data = bytearray(shard.read_bytes())
    data[-5] ^= 0xFF
    shard.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert again.get(digests[clips[1]]) is None
    assert any("is corrupt" in r.getMessage() for r in caplog.records) and not shard.exists()
    again.ensure(clips, extract, on_error=lambda p, e: None, progress=False)
    assert "c1.mp4" in calls[4:] and again.get(digests[clips[1]]) is not None
    # a different spec (encoder ids, sampling, storage dtype) never shares entries
    other = FeatureCache(tmp_path / "cache", _spec("float16"), "spec2")
    assert digests[clips[2]] not in other
    # a sidecar written for another spec is ignored
    sidecar = next(again.dir.glob("shard-*.json"))
    meta = json.loads(sidecar.read_text())
    meta["spec_id"] = "other"
    sidecar.write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING):
        again.reload()
    assert any("dropping unreadable sidecar" in r.getMessage() for r in caplog.records)


def test_cache_reports_unreadable_clips(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"x")
    seen = []

    def extract(path):
        raise InputError(f"{path} is not a video")

    cache = FeatureCache(tmp_path / "cache", _spec(), "s")
    got = cache.ensure([bad], extract, on_error=lambda p, e: seen.append((p, str(e))), progress=False)
    assert got == {} and seen == [(bad, f"{bad} is not a video")]
    assert clip_digest(bad) not in cache


def test_step_sampler_resumes_the_same_stream():
    full = list(StepSampler(10, micro_batch_size=3, accumulation=2, world_size=2, rank=1, seed=7,
                            start_step=0, max_steps=5))
    resumed = list(StepSampler(10, 3, 2, 2, 1, 7, start_step=3, max_steps=5))
    assert resumed == full[3 * 2:]
    rank0 = list(StepSampler(10, 3, 2, 2, 0, 7, 0, 5))
    epoch0 = [i for batch in rank0 + full for e, i in batch if e == 0]
    assert sorted(epoch0) == list(range(10))  # ranks split each epoch without overlap
    assert [k for b in full for k in b][:3] != [k for b in rank0 for k in b][:3]


def test_train_config_paths_overrides_and_errors(tmp_path):
    from affect_llm.training.config import load_train_config

    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "run.yaml"
    path.write_text("data: {train: ../data/train.jsonl, val: val.jsonl}\ndeepspeed: ../ds.json\n"
                    "model: {llm: {path: ../llm}, modalities: [{name: audio, source: audio, encoder: bundled}]}\n")
    cfg = load_train_config(path, ["optim.lr=1e-5", "max_steps=7", "model.modalities.0.tokens=5"])
    assert cfg.data.train == str(tmp_path / "data" / "train.jsonl")
    assert cfg.data.val == str(tmp_path / "cfg" / "val.jsonl") and cfg.deepspeed == str(tmp_path / "ds.json")
    assert cfg.model.llm.path == str(tmp_path / "llm") and cfg.model.modalities[0].encoder == "bundled"
    assert (cfg.optim.lr, cfg.max_steps, cfg.model.modalities[0].tokens) == (1e-5, 7, 5)
    with pytest.raises(InputError, match=r"run\.yaml: unknown key\(s\) optim\.learning_rate"):
        load_train_config(path, ["optim.learning_rate=1"])
    with pytest.raises(InputError, match="data.target 'both' is not one of"):
        load_train_config(path, ["data.target=both"])
    path.write_text("model: {}\n")
    with pytest.raises(InputError, match="required key data is missing"):
        load_train_config(path)
    problems = Problems("fail")
    assert read_manifest(write_manifest(tmp_path, GOOD), problems) and not problems.items


@pytest.mark.parametrize("name", ["learnability_cpu", "smollm2_cpu", "qwen7b_zero2", "qwen7b_zero3", "qwen7b_qlora",
                                  "affectgpt_repro"])
def test_shipped_training_configs_are_valid(name):
    from affectgpt_support import REPO

    from affect_llm.training.config import load_train_config

    cfg = load_train_config(REPO / "train" / "configs" / f"{name}.yaml")
    if cfg.deepspeed:
        assert json.loads(Path(cfg.deepspeed).read_text())["zero_optimization"]["stage"] in (2, 3)
    if name == "affectgpt_repro":
        assert cfg.model.fusion.kind == "gate" and {m.tokens for m in cfg.model.modalities} == {1}
        assert (cfg.model.lora.r, cfg.model.lora.alpha, cfg.model.lora.dropout) == (16, 32, 0.05)
        assert cfg.data.target == "hybrid"


def _release(root, names, track2_rows, track3_rows, subtitle_header="name,chinese,english"):
    """A MER2025-style release folder: CSVs, clips (a few unique bytes each) and nothing else."""
    (root / "video").mkdir(parents=True)
    for name in names:
        (root / "video" / f"{name}.mp4").write_bytes(name.encode())
    (root / "track2_train_mercaptionplus.csv").write_text("name,openset\n" + "".join(r + "\n" for r in track2_rows))
    (root / "track3_train_mercaptionplus.csv").write_text("name,reason\n" + "".join(r + "\n" for r in track3_rows))
    (root / "subtitle_chieng.csv").write_text(subtitle_header + "\n" + "".join(f"{n},x,words of {n}\n" for n in names))


def _write_wav(path, seconds=0.5, rate=16_000, freq=220.0):
    import wave

    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def test_import_mer_neutral_union_sentence_column_and_release_faces_audio(tmp_path):
    import numpy as np

    from affect_llm.training.mer import import_mer

    root = tmp_path / "rel"
    _release(root, ["a", "b", "c", "d"], ["a,[]", "b,\"[sad, tired]\"", "d,"],
             ["a,\"She looks calm.\"", "c,\"He laughs.\""], subtitle_header="name,chinese,sentence")
    faces = np.zeros((3, 112, 112, 3), np.uint8)
    (root / "openface_face" / "a").mkdir(parents=True)
    np.save(root / "openface_face" / "a" / "a.npy", faces)  # MER2025's layout
    np.save(root / "openface_face" / "b.npy", faces)  # OV-MERD+'s (no sub-folder)
    _write_wav(root / "audio" / "a.wav")
    out = tmp_path / "m.jsonl"
    stats = import_mer(root, out)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows) == ["a", "b", "c", "d"]  # the union: c has only a caption
    assert rows["a"]["emotions"] == ["neutral"] and rows["d"]["emotions"] == ["neutral"]  # "[]" and an empty cell
    assert rows["b"]["emotions"] == ["sad", "tired"] and "description" not in rows["b"]
    assert rows["c"] == {"id": "c", "video": "rel/video/c.mp4", "subtitle": "words of c", "description": "He laughs."}
    assert rows["a"]["subtitle"] == "words of a"  # read from the `sentence` column
    assert rows["a"]["faces"] == "rel/openface_face/a/a.npy" and rows["b"]["faces"] == "rel/openface_face/b.npy"
    assert rows["a"]["audio"] == "rel/audio/a.wav" and "audio" not in rows["b"]
    assert (stats.neutral, stats.with_faces, stats.with_audio) == (2, 2, 1)
    samples = {s.id: s for s in load_manifest(out, "fail")}
    assert samples["a"].faces == root / "openface_face" / "a" / "a.npy" and samples["c"].faces is None
    assert samples["c"].clip == samples["c"].video  # no side files: the cache key is the bare video
    assert samples["a"].clip.audio == root / "audio" / "a.wav"
    (root / "audio" / "a.wav").unlink()
    with pytest.raises(InputError, match=r"m\.jsonl:\d: audio file .*a\.wav does not exist"):
        load_manifest(out, "fail")


def test_release_faces_and_wav_feed_the_encoders_and_key_the_cache(tmp_path):
    import numpy as np

    from affect_llm.features.cache import clip_digest
    from affect_llm.features.clipfiles import ClipFiles, load_openface_faces, openface_indices
    from affect_llm.features.extract import FeatureExtractor, StreamSpec

    assert openface_indices(16, 8).tolist() == [0, 2, 4, 6, 8, 10, 12, 14]
    assert openface_indices(10, 4).tolist() == [0, 2, 5, 7]  # arange(0, 10, 2.5) truncated
    assert openface_indices(3, 8).tolist() == [0, 1, 2, 2, 2, 2, 2, 2]  # the last face repeated
    faces = np.zeros((5, 64, 48, 3), np.uint8)
    faces[..., 0] = 200  # blue in the stored BGR order
    for i in range(5):
        faces[i, :, :, 1] = 10 * i  # green tells the faces apart
    npy = tmp_path / "f.npy"
    np.save(npy, faces)
    rgb = load_openface_faces(npy, 8)
    assert rgb.shape == (8, 224, 224, 3) and rgb.dtype == np.uint8
    assert (rgb[..., 2] == 200).all() and (rgb[..., 0] == 0).all()  # BGR -> RGB
    assert rgb[:, 0, 0, 1].tolist() == [0, 10, 20, 30, 40, 40, 40, 40]  # 5 faces for 8: all, then the last
    bgr = load_openface_faces(npy, 8, keep_bgr=True)
    assert (bgr[..., 0] == 200).all()
    np.save(tmp_path / "bad.npy", np.zeros((2, 3), np.float32))
    with pytest.raises(InputError, match=r"bad\.npy: expected OpenFace crops \[T, H, W, 3\] uint8"):
        load_openface_faces(tmp_path / "bad.npy", 8)

    video = tmp_path / "v.mp4"
    video.write_bytes(b"not decoded: faces and audio come from the release files")
    wav = tmp_path / "v.wav"
    _write_wav(wav, seconds=0.4)
    ex = FeatureExtractor([StreamSpec("audio", "audio", "logmel"), StreamSpec("faces", "faces", "mobilenet_v2")],
                          num_frames=4, feature_dtype="float32")
    feats = ex.from_clip(ClipFiles(video, npy, wav))
    assert feats["audio"].shape == (20, 80)  # 0.4 s at 50 tokens per second
    assert feats["faces"].shape[0] == 4 and feats["faces"].shape[1] == ex.dims["faces"]
    # the cache key covers every file: the video alone, or changed crops, are other entries
    d = clip_digest(ClipFiles(video, npy, wav))
    assert d != clip_digest(video) and d != clip_digest(ClipFiles(video, npy))
    np.save(npy, faces[:4])
    assert clip_digest(ClipFiles(video, npy, wav)) != d
    assert "openface_bgr" not in ex.spec  # default extraction keeps old cache ids


def _mixed_stream(mixture, start_step, max_steps, rank=0, world=1):
    sampler = StepSampler(len(mixture), micro_batch_size=3, accumulation=2, world_size=world, rank=rank, seed=5,
                          start_step=start_step, max_steps=max_steps)
    return [mixture.locate(*key) for batch in sampler for key in batch]


def test_mixture_ratios_rotation_identity_and_resume():
    from collections import Counter

    from affect_llm.training.data import Mixture

    one = Mixture([10], [1.0], seed=5)  # a plain manifest: slots are the samples, epochs unchanged
    assert len(one) == 10 and [one.locate(3, k) for k in range(10)] == [(3, k) for k in range(10)]

    mixture = Mixture([10, 4, 6], [0.5, 2.0, 1.0], seed=5)  # 5 + 8 + 6 draws per epoch
    assert len(mixture) == 19
    draws = [mixture.locate(e, k) for e in range(4) for k in range(19)]
    per_epoch = [Counter(i for _, i in draws[e * 19:(e + 1) * 19]) for e in range(4)]
    for counts in per_epoch:
        assert sum(v for i, v in counts.items() if i < 10) == 5  # half of source 0
        assert all(counts[i] == 2 for i in range(10, 14))  # source 1 twice over
        assert all(counts[i] == 1 for i in range(14, 20))  # source 2 once
    # the down-sampled source rotates: epochs 0 and 1 together see each of its samples once
    assert sorted(i for e, i in draws[:5] + draws[19:24]) == list(range(10))
    # an up-sampled sample's two draws have their own sample epochs (independent target/dropout)
    twice = [key for key in draws[:19] if key[1] == 10]
    assert len(twice) == 2 and twice[0][0] != twice[1][0]
    # resuming (fresh objects, as in a new process) continues the very same stream
    full = _mixed_stream(mixture, 0, 12)
    assert _mixed_stream(Mixture([10, 4, 6], [0.5, 2.0, 1.0], seed=5), 7, 12) == full[7 * 6:]
    share = Counter(0 if i < 10 else 1 if i < 14 else 2 for _, i in full)
    assert len(full) == 72 and abs(share[0] / 72 - 5 / 19) < 0.1 and abs(share[1] / 72 - 8 / 19) < 0.1
    other_seed = Mixture([10, 4, 6], [0.5, 2.0, 1.0], seed=6)
    assert [other_seed.locate(1, k) for k in range(5)] != [mixture.locate(1, k) for k in range(5)]


def test_train_config_mixture_list_and_sources(tmp_path):
    from affect_llm.training.config import load_train_config
    from affect_llm.training.data import mix, read_sources

    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "run.yaml"
    path.write_text("data:\n  train:\n    - {path: ../a.jsonl, ratio: 2}\n    - {path: b.jsonl}\n"
                    "model: {modalities: [{name: audio, source: audio, encoder: logmel}]}\n")
    cfg = load_train_config(path)
    assert [(s.path, s.ratio) for s in cfg.data.train] == [(str(tmp_path / "a.jsonl"), 2.0),
                                                            (str(tmp_path / "cfg" / "b.jsonl"), 1.0)]
    assert cfg.digest() != load_train_config(path, ["data.train.0.ratio=3"]).digest()
    assert load_train_config(path, ["data.train=one.jsonl"]).data.train == str(tmp_path / "cfg" / "one.jsonl")
    with pytest.raises(InputError, match=r"data.train\[1\].ratio must be > 0"):
        load_train_config(path, ["data.train.1.ratio=0"])
    with pytest.raises(InputError, match="data.train is an empty list"):
        load_train_config(path, ["data.train=[]"])
    write_manifest(tmp_path, GOOD)  # tmp_path/m.jsonl with samples a, b
    (tmp_path / "cfg" / "b.jsonl").write_text(GOOD[0].replace("clips/", "../clips/") + "\n")
    (tmp_path / "a.jsonl").write_text((tmp_path / "m.jsonl").read_text())
    problems = Problems("fail")
    sources = read_sources(load_train_config(path).data.train, problems)
    samples, mixture = mix(sources, seed=0)
    assert [s.id for s in samples] == ["a", "b", "a"] and len(mixture) == 2 * 2 + 1
    sources[1].samples = []
    with pytest.raises(InputError, match=r"data.train\[1\] .*b\.jsonl has no usable samples"):
        mix(sources, seed=0)
