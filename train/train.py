"""Launcher entry point: ``python train/train.py CONFIG.yaml [--set KEY=VALUE ...]``.

The same as ``affect-llm train``; this file exists so that ``torchrun``, ``deepspeed`` and
``accelerate launch`` have a script to start on every rank:

    torchrun --nproc_per_node 8 train/train.py train/configs/qwen7b_zero2.yaml
    deepspeed --num_gpus 8 train/train.py train/configs/qwen7b_zero3.yaml
    accelerate launch --num_processes 8 train/train.py train/configs/qwen7b_zero2.yaml

The recipe itself is ``affect_llm/training/recipe.py`` (``TrainingRecipe``).
"""

import sys

from affect_llm.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
