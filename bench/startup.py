"""Start-up: ``affect-llm --help`` (lazy imports) vs what an eager CLI pays (importing torch and
transformers first); and time to the first streamed token of ``describe`` (warm) vs the full answer."""

from __future__ import annotations

import subprocess
import sys
import time

from .common import REPO, Row, interleaved


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def run_help(quick: bool = False) -> Row:
    repeats = 3 if quick else 7
    ours_cmd = [sys.executable, "-m", "affect_llm", "--help"]
    eager_cmd = [sys.executable, "-c", "import torch, transformers, affect_llm.cli.main as m; m.build_parser()"]
    a, b = interleaved(lambda: _wall(ours_cmd), lambda: _wall(eager_cmd), repeats)
    return Row(name="start-up: affect-llm --help", ours_label="lazy CLI", base_label="eager imports",
               unit="s", ours=round(a, 3), base=round(b, 3), ratio=round(b / a, 1), target="< 1 s",
               met=a < 1.0, repeats=repeats)


def run_first_token(quick: bool = False) -> Row:
    from affect_llm.models import load_model
    from affect_llm.perception import perceive

    clip = REPO / "examples" / "cheerful.mp4"
    model = load_model("default")
    model.answer([perceive(clip)])  # warm

    def first_token() -> float:
        t0 = time.perf_counter()
        p = perceive(clip)
        for _answer, _final in model.answer_stream(p):
            return time.perf_counter() - t0
        return time.perf_counter() - t0

    def full() -> float:
        t0 = time.perf_counter()
        model.answer([perceive(clip)])
        return time.perf_counter() - t0

    repeats = 1 if quick else 3
    a, b = interleaved(first_token, full, repeats)
    return Row(name="describe, warm: time to first token", ours_label="first streamed token",
               base_label="whole answer", unit="s", ours=round(a, 3), base=round(b, 3), ratio=round(b / a, 1),
               repeats=repeats)
