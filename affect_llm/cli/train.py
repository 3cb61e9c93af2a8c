"""``affect-llm train CONFIG.yaml``: train an AffectGPT-style model (recipe in affect_llm/training)."""

from __future__ import annotations

import argparse
import json
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train an AffectGPT-style model (pre-fused audio/video tokens + LoRA LLM)",
        description="Train from a YAML config (see train/configs/). Encoders run once per clip into the "
        "feature cache; checkpoints every save_every steps; a killed run resumes where it stopped.",
        epilog="examples:\n"
        "  affect-llm train train/configs/smollm2_cpu.yaml\n"
        "  affect-llm train CONFIG.yaml --set max_steps=20 --set optim.lr=1e-4\n"
        "  torchrun --nproc_per_node 8 train/train.py train/configs/qwen7b_zero2.yaml\n"
        "  deepspeed --num_gpus 8 train/train.py train/configs/qwen7b_zero3.yaml\n\n"
        "See train/RECIPES.md for the real-scale recipes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", help="training YAML (paths inside are relative to it)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set optim.lr=1e-4 (repeatable)")
    # The deepspeed launcher passes --local_rank to every process; the recipe reads LOCAL_RANK.
    p.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from ..training.config import load_train_config
    from ..training.recipe import train

    # Resumes, cache builds and skipped samples are worth seeing without -v (clip-level logs are not).
    training_log = logging.getLogger("affect_llm.training")
    if training_log.getEffectiveLevel() > logging.INFO:
        training_log.setLevel(logging.INFO)
    summary = train(load_train_config(args.config, args.overrides))
    if int(os.environ.get("RANK", "0")) == 0:
        sys.stdout.write(json.dumps(summary, indent=1, default=str) + "\n")
    return 0
