"""Memory: peak RSS of ``describe`` and of ``infer`` at the default batch size (vs batch 1)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from .common import REPO, Row, example_copies, peak_rss_mb


def run(quick: bool = False) -> list[Row]:
    clip = REPO / "examples" / "cheerful.mp4"
    cli = [sys.executable, "-m", "affect_llm"]
    describe_mb = peak_rss_mb([*cli, "describe", str(clip), "--json"])
    root = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    n = 4 if quick else 8
    example_copies(root, n, sources=("cheerful",))
    rows_mb = {}
    for bs in (8, 1):
        out = root / f"out{bs}.jsonl"
        # workers 0: one process, so its peak RSS is the whole pipeline's
        rows_mb[bs] = peak_rss_mb([*cli, "infer", "--input", str(root), "--output", str(out), "--no-progress",
                                   "--workers", "0", "--batch-size", str(bs)])
    shutil.rmtree(root, ignore_errors=True)
    return [
        Row(name="peak RSS: describe (one clip)", ours_label="describe", base_label="-", unit="MB",
            ours=round(describe_mb), base=None, ratio=None),
        Row(name=f"peak RSS: infer ({n} clips, workers 0)", ours_label="batch 8 (default)", base_label="batch 1",
            unit="MB", ours=round(rows_mb[8]), base=round(rows_mb[1]), ratio=round(rows_mb[1] / rows_mb[8], 2),
            note="ratio < 1 means batching costs memory"),
    ]
