"""The CPU learnability proof, end to end: synthetic clips -> real frozen encoders -> feature
cache -> training of a tiny AffectGPT-style model -> held-out accuracy -> modality ablations.

``prove(workdir)`` is what ``tests/test_affectgpt_learnability.py`` asserts on and what
``python train/prove_learnability.py`` prints. Accuracy is judged with the scorer's closed-label
mapping when ``affect_llm.scoring`` is installed (see ``evaluate.closed_label_mapper``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .evaluate import Report

log = logging.getLogger(__name__)

CONFIG = Path(__file__).resolve().parents[2] / "train" / "configs" / "learnability_cpu.yaml"


@dataclass
class LearnabilityResult:
    full: Report
    without_audio: Report
    without_video: Report
    summary: dict[str, Any]
    model_dir: Path
    timings: dict[str, float]

    def table(self) -> str:
        rows = [("clips", "full model", "audio zeroed", "video zeroed")]
        for kind in ("audio", "video", "both"):
            rows.append((f"{kind}-carried ({self.full.counts.get(kind, 0)})",
                         *(f"{r.accuracy.get(kind, float('nan')):.2f}"
                           for r in (self.full, self.without_audio, self.without_video))))
        rows.append(("conflicting: both named", *(f"{r.conflict_recall:.2f}" if r.conflict_recall is not None else "-"
                                                 for r in (self.full, self.without_audio, self.without_video))))
        width = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, width)) for r in rows]
        lines.append(f"chance {self.full.chance:.2f}; labels {', '.join(self.full.labels)}; "
                     f"mapping: {self.full.method}")
        return "\n".join(lines)


def cached_features(cache: Any, samples: list[Any], extractor: Any) -> Any:
    """``CachedFeatures`` for ``samples``, keyed and digested by ``Sample.clip`` (the video plus its
    side files), as training filled the cache and as ``CachedFeatures`` looks a sample up. The
    evaluation keyed them by ``Sample.video``: a clip with faces or audio files beside it was a
    different key and a different digest from the one the cache holds."""
    from ..features.cache import clip_digest
    from .data import CachedFeatures

    return CachedFeatures(cache, {s.clip: clip_digest(s.clip) for s in samples}, extractor)


def prove(workdir: str | Path, train_per_class: int = 10, val_per_class: int = 4, overrides: list[str] | None = None,
          config: str | Path = CONFIG) -> LearnabilityResult:
    """Build the data and a tiny LLM under ``workdir``, train, evaluate, ablate."""
    from ..features.cache import FeatureCache
    from ..models.affectgpt.io import load
    from ..models.affectgpt.tiny import make_tiny_llm
    from .config import load_train_config
    from .data import load_manifest
    from .evaluate import emotion_accuracy, read_kinds
    from .recipe import train
    from .synthetic import EMOTIONS, make_dataset

    work = Path(workdir)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    manifests = make_dataset(work / "synth", train_per_class, val_per_class)
    llm = make_tiny_llm(work / "tiny-llm")
    timings["data_s"] = time.perf_counter() - t
    cfg = load_train_config(config, [f"data.train={manifests['train']}", f"data.val={manifests['val']}",
                                     f"data.cache_dir={work / 'features'}", f"model.llm.path={llm}",
                                     f"output_dir={work / 'run'}", "resume=never", *(overrides or [])])
    t = time.perf_counter()
    summary = train(cfg)
    timings["train_s"] = time.perf_counter() - t  # includes encoding the clips into the cache
    t = time.perf_counter()
    model = load(summary["model_dir"])
    val = load_manifest(manifests["val"], "fail")
    cache = FeatureCache.for_extractor(model.extractor, work / "features")
    features = cached_features(cache, val, model.extractor)
    kinds = read_kinds(manifests["val"])
    labels = list(EMOTIONS)
    video = tuple(n for n in ("frames", "faces") if n in model.encoder_dims)  # the streams this model has
    reports = [emotion_accuracy(model, val, features, labels, kinds, ablate=ablate, max_new_tokens=16)
               for ablate in ((), ("audio",), video)]
    timings["eval_s"] = time.perf_counter() - t
    result = LearnabilityResult(*reports, summary=summary, model_dir=Path(summary["model_dir"]), timings=timings)
    log.info("learnability:\n%s", result.table())
    return result
