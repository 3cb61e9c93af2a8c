"""Warm ``describe`` on the example clips: the grounded pipeline against the one before it.

Issue F made the answer belong to the evidence (multilingual Whisper base with translation, three
evidence channels, fusion, checked sentences with a retry). Its budget: warm ``describe`` within
1.5x of the pipeline it replaced. Both run in this same benchmark: the earlier pipeline is the
source tree of ``BASELINE_COMMIT`` (exported with ``git archive`` into ``bench/work/``), run in
the same virtual environment. Each side is a fresh process that loads its models, answers every
clip once to warm up, then times perceive + answer per clip; the processes alternate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .common import REPO, WORK, Row, interleaved

BASELINE_COMMIT = "80abab1"  # the last commit before issue F (grounded judgment)
CLIPS = ("cheerful", "angry", "silent")

_SCRIPT = """
import json, sys, time
import affect_llm
from affect_llm.models import load_model
from affect_llm.perception import perceive
clips = sys.argv[1:]
model = load_model("default")
for c in clips:
    model.answer([perceive(c)])
start = time.perf_counter()
for c in clips:
    model.answer([perceive(c)])
print(json.dumps({"s_per_clip": (time.perf_counter() - start) / len(clips), "package": affect_llm.__file__}))
"""


def baseline_tree() -> Path:
    """The source of ``BASELINE_COMMIT``, exported once (``git archive``: no worktree bookkeeping)."""
    tree = WORK / f"pre-issue-f-{BASELINE_COMMIT}"
    if not (tree / "affect_llm" / "__init__.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", BASELINE_COMMIT], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _time(tree: Path, clips: list[str]) -> float:
    """Seconds per clip, warm, for the package in ``tree`` (run from there, so it is the one imported)."""
    env = dict(os.environ, PYTHONPATH=str(tree), TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, *clips], cwd=tree, env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"describe timing in {tree} failed: {proc.stderr.strip().splitlines()[-1:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"timed {result['package']}, not the tree {tree}")
    return float(result["s_per_clip"])


def run(quick: bool = False) -> Row:
    clips = [str(REPO / "examples" / f"{name}.mp4") for name in (CLIPS[:1] if quick else CLIPS)]
    old = baseline_tree()
    repeats = 1 if quick else 2
    ours, base = interleaved(lambda: _time(REPO, clips), lambda: _time(old, clips), repeats)
    return Row(name=f"describe, warm ({len(clips)} example clip{'s' if len(clips) > 1 else ''})",
               ours_label="grounded (Whisper base, evidence, checker)", base_label=f"before issue F ({BASELINE_COMMIT})",
               unit="s/clip", ours=round(ours, 2), base=round(base, 2), ratio=round(base / ours, 2),
               target="<= 1.5x the earlier time", met=ours <= 1.5 * base, repeats=repeats)
