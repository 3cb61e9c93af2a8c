"""Helpers for the AffectGPT-style model tests: tiny LLM folders, random-feature datasets, configs.

Training-mechanics tests (DeepSpeed, resume, manifests) do not need real clips: each "clip" is a
few unique bytes (the cache keys on content), and its features are random tensors written into
the feature cache under ``precomputed:`` encoders, so training runs from the cache alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
DIMS = {"audio": 24, "frames": 16}


def precomputed_modalities(audio_tokens: int = 3, frame_tokens: int = 2) -> list[dict[str, Any]]:
    return [{"name": "audio", "source": "audio", "encoder": f"precomputed:rand-audio:{DIMS['audio']}",
             "tokens": audio_tokens},
            {"name": "frames", "source": "frames", "encoder": f"precomputed:rand-frames:{DIMS['frames']}",
             "tokens": frame_tokens, "projector": "qformer", "projector_layers": 1}]


def random_feature_dataset(root: Path, n: int = 24, seed: int = 0, cache_dir: Path | None = None) -> dict[str, Path]:
    """``n`` fake clips with random features in the cache; the emotion is readable from the audio
    feature's sign pattern (so the loss can fall). Returns train/val manifests and the cache dir."""
    from affect_llm.features.cache import FeatureCache, clip_digest
    from affect_llm.features.extract import FeatureExtractor, StreamSpec

    root.mkdir(parents=True, exist_ok=True)
    cache_dir = cache_dir or root / "cache"
    mods = precomputed_modalities()
    extractor = FeatureExtractor([StreamSpec(m["name"], m["source"], m["encoder"]) for m in mods],
                                 feature_dtype="float32")
    cache = FeatureCache.for_extractor(extractor, cache_dir)
    g = torch.Generator().manual_seed(seed)
    emotions = ["happy", "sad", "angry"]
    entries, lines = {}, []
    for i in range(n):
        clip = root / "clips" / f"clip{i:03d}.mp4"
        clip.parent.mkdir(exist_ok=True)
        clip.write_bytes(f"fake clip {seed}/{i}".encode())
        label = emotions[i % 3]
        audio = torch.randn(5 + i % 4, DIMS["audio"], generator=g)
        audio[:, i % 3] += 3.0
        feats = {"audio": audio, "frames": torch.randn(4, DIMS["frames"], generator=g)}
        if i % 5 == 4:
            del feats["audio"]  # some clips have no audio track
        entries[clip_digest(clip)] = feats
        lines.append({"id": f"c{i}", "video": f"clips/{clip.name}", "subtitle": "I can't believe it." if i % 2 else None,
                      "description": f"The voice sounds {label}.", "emotions": [label]})
    cache.put(entries)
    (root / "train.jsonl").write_text("\n".join(json.dumps(x) for x in lines[: n * 3 // 4]) + "\n")
    (root / "val.jsonl").write_text("\n".join(json.dumps(x) for x in lines[n * 3 // 4:]) + "\n")
    return {"train": root / "train.jsonl", "val": root / "val.jsonl", "cache": cache_dir}


def write_config(path: Path, data: dict[str, Path], llm: Path, **overrides: Any) -> Path:
    """A small training YAML over ``data`` (from ``random_feature_dataset``) and a tiny LLM folder."""
    config: dict[str, Any] = {
        "data": {"train": str(data["train"]), "val": str(data["val"]), "cache_dir": str(data["cache"]),
                 "target": "hybrid", "features": "cache"},
        "model": {"modalities": precomputed_modalities(), "fusion": {"kind": "attention", "tokens": 2},
                  "llm": {"path": str(llm), "training": "lora"},
                  "lora": {"r": 4, "alpha": 8, "dropout": 0.1}, "width": 32, "heads": 4,
                  "sampling": {"feature_dtype": "float32"}, "modality_dropout": 0.2},
        "optim": {"lr": 2e-3, "warmup_steps": 2},
        "output_dir": str(path.parent / "run"),
        "micro_batch_size": 2, "gradient_accumulation_steps": 2, "max_steps": 6, "save_every": 3,
        "log_every": 1, "tensorboard": False, "seed": 1,
    }
    for dotted, value in overrides.items():
        node = config
        keys = dotted.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    path.write_text(yaml.safe_dump(config))
    return path


def tiny_clip(folder, seed: int = 3):
    """A random CLIP (vision width 24, projection 12) saved as a local folder."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    cfg = CLIPConfig(text_config={"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                                  "intermediate_size": 32, "vocab_size": 64},
                     vision_config={"hidden_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2,
                                    "intermediate_size": 32, "image_size": 32, "patch_size": 8},
                     projection_dim=12)
    torch.manual_seed(seed)
    model = CLIPModel(cfg).eval()
    model.save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return model
