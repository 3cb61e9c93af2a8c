"""Batch inference: ``infer`` at its defaults (workers + batched generation) vs a batch-1
sequential loop (perceive a clip, answer it, next), the way research code runs, on the same
clips and model."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .common import REPO, Row, interleaved


def _clips(n: int, root: Path) -> list[Path]:
    sources = [REPO / "examples" / "cheerful.mp4", REPO / "examples" / "angry.mp4"]
    out = []
    for i in range(n):
        p = root / f"clip{i:03d}.mp4"
        shutil.copyfile(sources[i % 2], p)
        out.append(p)
    return out


def run(quick: bool = False) -> Row:
    from affect_llm.cli.infer import _workers_default
    from affect_llm.inference import InferOptions, InputItem, ResultStore, run_inference
    from affect_llm.models import load_model
    from affect_llm.perception import perceive

    n = 4 if quick else 16
    root = Path(tempfile.mkdtemp(prefix="bench-infer-"))
    clips = _clips(n, root)
    items = [InputItem(id=p.stem, video=p) for p in clips]
    options = InferOptions(workers=_workers_default())  # the CLI defaults: batch 8, workers
    model = load_model("default")
    model.answer([perceive(clips[0])])  # warm: weights loaded and converted before timing
    runs = iter(range(1000))

    def ours() -> float:
        store = ResultStore(root / f"out{next(runs)}.jsonl")
        try:
            summary = run_inference(items, store, options)
        finally:
            store.close()
        return n / summary.seconds

    def sequential() -> float:
        import time

        t0 = time.perf_counter()
        for p in clips:
            model.answer([perceive(p)])
        return n / (time.perf_counter() - t0)

    repeats = 1 if quick else 2
    a, b = interleaved(ours, sequential, repeats)
    shutil.rmtree(root, ignore_errors=True)
    return Row(name=f"batch inference ({n} example clips, default model)",
               ours_label=f"infer (batch {options.batch_size}, {options.workers} workers)",
               base_label="batch-1 sequential loop", unit="clips/s", ours=round(a, 3), base=round(b, 3),
               ratio=round(a / b, 2), target=">= 3x", met=a / b >= 3, repeats=repeats)
