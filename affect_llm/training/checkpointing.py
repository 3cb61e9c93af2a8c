"""Checkpoints (save, find, resume) and the exported model folder.

``output_dir/checkpoints/step-NNNNNNN/`` holds the trainable weights, the optimizer and scheduler
(or DeepSpeed's own partitioned files), every rank's RNG states, and ``state.json`` with the
step. A checkpoint is complete only once ``state.json`` exists (written last, by rename), so a
kill during a save leaves the previous one in use.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from .config import TrainConfig
from .distributed import Dist, rng_state, set_rng_state

log = logging.getLogger(__name__)


class Checkpoints:
    """``root/step-NNNNNNN/``; complete once ``state.json`` is there; the newest ``keep`` are kept."""

    def __init__(self, root: Path, keep: int, dist: Dist, deepspeed_engine: Any = None):
        self.root = root
        self.keep = max(1, keep)
        self.dist = dist
        self.engine = deepspeed_engine

    @staticmethod
    def tag(step: int) -> str:
        return f"step-{step:07d}"

    def complete(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("step-*") if (p / "state.json").exists())

    def resume_point(self, resume: str) -> Path | None:
        """The checkpoint ``resume`` names: ``auto`` (the newest complete one, if any), ``never``,
        or a checkpoint folder (which must be complete)."""
        if resume == "never":
            return None
        if resume == "auto":
            complete = self.complete()
            return complete[-1] if complete else None
        folder = Path(resume)
        if not (folder / "state.json").exists():
            raise InputError(f"resume: {folder} is not a complete checkpoint (no state.json)")
        return folder

    def save(self, step: int, model: Any, optimizer: Any, scheduler: Any, extra: dict[str, Any]) -> Path:
        folder = self.root / self.tag(step)
        if self.dist.main and folder.exists():
            shutil.rmtree(folder)  # an incomplete save of the same step, left by a kill
        self.dist.barrier()
        if self.engine is not None:
            self.engine.save_checkpoint(str(self.root), tag=self.tag(step), client_state={"step": step},
                                        save_latest=False, exclude_frozen_parameters=True)
        elif self.dist.main:
            folder.mkdir(parents=True, exist_ok=True)
            from safetensors.torch import save_file

            trainable = {n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad}
            save_file(trainable, str(folder / "trainable.safetensors"))
            torch.save(optimizer.state_dict(), folder / "optimizer.pt")
            torch.save(scheduler.state_dict(), folder / "scheduler.pt")
        self.dist.barrier()
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(rng_state(), folder / f"rng-rank{self.dist.rank}.pt")
        self.dist.barrier()
        if self.dist.main:
            tmp = folder / "state.json.tmp"
            tmp.write_text(json.dumps({"step": step, **extra}, indent=1))
            tmp.replace(folder / "state.json")
            for old in self.complete()[:-self.keep]:
                shutil.rmtree(old, ignore_errors=True)
        self.dist.barrier()
        return folder

    def load(self, folder: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
        """Restore weights, optimizer, scheduler and this rank's RNG; returns ``state.json``."""
        state = json.loads((folder / "state.json").read_text())
        if self.engine is not None:
            self.engine.load_checkpoint(str(folder.parent), tag=folder.name, load_module_strict=False,
                                        load_optimizer_states=True, load_lr_scheduler_states=True)
        else:
            from safetensors.torch import load_file

            saved = load_file(str(folder / "trainable.safetensors"))
            params = dict(model.named_parameters())
            with torch.no_grad():
                for name, tensor in saved.items():
                    params[name].copy_(tensor)
            optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=False))
            scheduler.load_state_dict(torch.load(folder / "scheduler.pt", weights_only=False))
        rng_file = folder / f"rng-rank{self.dist.rank}.pt"
        if rng_file.exists():
            set_rng_state(torch.load(rng_file, weights_only=False))
        else:
            log.warning("%s has no RNG state for rank %d (different world size?): dropout will differ",
                        folder, self.dist.rank)
        return state


def warn_on_changes(state: dict[str, Any], folder: Path, config: TrainConfig, dist: Dist) -> None:
    """Say when the resumed run cannot continue the original one identically."""
    if not dist.main:
        return
    if state.get("config_digest") != config.digest():
        log.warning("resuming from %s with a changed configuration: the continuation will differ", folder)
    if state.get("world_size", dist.world) != dist.world:
        log.warning("resuming with %d processes, the checkpoint had %d: the data order changes",
                    dist.world, state["world_size"])


def export_model(model: Any, folder: Path, engine: Any, dist: Dist, merge_lora: bool) -> Path:
    """Write the model folder on rank 0 (ZeRO-3 partitions are gathered first)."""
    from ..models.affectgpt.io import save

    zero3 = engine is not None and engine.zero_optimization_stage() == 3
    if zero3:
        import deepspeed

        wanted = [p for p in model.parameters() if p.requires_grad or model.config.llm.training == "full"]
        with deepspeed.zero.GatheredParameters(wanted, modifier_rank=None):
            if dist.main:
                save(model, folder, merge_lora=merge_lora)
    elif dist.main:
        save(model, folder, merge_lora=merge_lora)
    dist.barrier()
    return folder
