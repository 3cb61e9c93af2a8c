"""Processes and engines: the process group, seeds and RNG states, and the DeepSpeed / DDP wrapper.

Everything that differs between one process, ``torchrun`` (DDP) and ``deepspeed`` (ZeRO-2/3)
lives here, so the recipe's loop asks an :class:`Engine` to step and never branches on the
launcher itself.
"""

from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InputError
from .config import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class Dist:
    """This process's place in the job: rank, world size, and the device it trains on."""

    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def all_gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        if self.world == 1:
            return [obj]
        out: list[Any] = [None] * self.world
        torch.distributed.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        """Leave the process group. Exiting with it alive lets gloo's threads outlive the
        interpreter ("terminate called without an active exception", SIGABRT) now and then."""
        if self.world > 1 and torch.distributed.is_initialized():
            torch.distributed.barrier()
            torch.distributed.destroy_process_group()

    def mean(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return float(t.item()) / self.world


def setup_distributed(config: TrainConfig) -> Dist:
    """Join the process group that ``torchrun`` / ``deepspeed`` / ``accelerate launch`` set up in the
    environment (gloo on CPU, nccl on CUDA); one process needs nothing."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and config.device in ("auto", "cuda")
    if config.device not in ("auto", "cuda", "cpu"):
        device = torch.device(config.device)
    else:
        device = torch.device(f"cuda:{local_rank}") if use_cuda else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if config.deepspeed:
            import deepspeed

            deepspeed.init_distributed(dist_backend=backend)
        else:
            torch.distributed.init_process_group(backend)
    return Dist(rank, world, local_rank, device)


# ------------------------------------------------------------------------------------ randomness
def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """Every generator a training step draws from (saved per rank, so dropout resumes identically)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------------------ DeepSpeed
def uses_offload(ds_config: dict[str, Any]) -> bool:
    """Whether ZeRO keeps the optimizer on the CPU / NVMe (then DeepSpeed's CPU Adam is required)."""
    zero = ds_config.get("zero_optimization", {})
    return str(zero.get("offload_optimizer", {}).get("device", "none")) in ("cpu", "nvme")


def deepspeed_config(config: TrainConfig, world: int) -> dict[str, Any]:
    """The DeepSpeed JSON with our batch sizes, clipping and precision filled in (one source of truth)."""
    path = Path(config.deepspeed)  # type: ignore[arg-type]
    try:
        ds = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the DeepSpeed config {path}: {exc}") from exc
    if "optimizer" in ds or "scheduler" in ds:
        raise InputError(f"{path}: remove 'optimizer'/'scheduler': the recipe builds them from the optim: "
                         "section of the training config")
    ours = {"train_micro_batch_size_per_gpu": config.micro_batch_size,
            "gradient_accumulation_steps": config.gradient_accumulation_steps,
            "train_batch_size": config.micro_batch_size * config.gradient_accumulation_steps * world,
            "gradient_clipping": config.optim.max_grad_norm or 0.0}  # DeepSpeed: 0 = no clipping
    for key, value in ours.items():
        if ds.get(key, "auto") not in ("auto", value):
            log.warning("%s: %s=%s overridden by the training config (%s)", path, key, ds[key], value)
        ds[key] = value
    ds["bf16"] = {**ds.get("bf16", {}), "enabled": config.precision == "bf16"}
    ds["fp16"] = {**ds.get("fp16", {}), "enabled": config.precision == "fp16"}
    ds.setdefault("steps_per_print", 10 ** 9)
    return ds


class Engine:
    """One optimizer step's mechanics for the three ways of running: DeepSpeed (ZeRO owns
    accumulation, clipping, fp16 scaling and the schedule), DDP, or one process; the last two
    with autocast and, in fp16, a dynamic loss scaler (upstream AffectGPT's AMP)."""

    def __init__(self, model: torch.nn.Module, optimizer: Any, scheduler: Any, config: TrainConfig, dist: Dist,
                 ds_config: dict[str, Any] | None):
        self.model = model
        self.dist = dist
        self.accum = config.gradient_accumulation_steps
        self.max_grad_norm = config.optim.max_grad_norm
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.deepspeed: Any = None
        self.forward: Any = model
        if ds_config is not None:
            import deepspeed

            self.deepspeed, optimizer, _, scheduler = deepspeed.initialize(
                model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)
            self.forward = self.deepspeed
        elif dist.world > 1:
            self.forward = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None)
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.autocast_dtype = ({"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.precision)
                               if self.deepspeed is None else None)
        self.scaler = (torch.amp.GradScaler(dist.device.type)
                       if config.precision == "fp16" and self.deepspeed is None else None)

    @property
    def zero_stage(self) -> int:
        return self.deepspeed.zero_optimization_stage() if self.deepspeed is not None else 0

    def autocast(self) -> Any:
        from contextlib import nullcontext

        return (torch.autocast(self.dist.device.type, dtype=self.autocast_dtype) if self.autocast_dtype is not None
                else nullcontext())

    def micro_step(self, batch: dict[str, Any], micro: int) -> float:
        """Forward and backward on one micro-batch (DeepSpeed also steps here, at its boundary)."""
        from contextlib import nullcontext

        if self.deepspeed is not None:
            loss = self.deepspeed(**batch).loss
            self.deepspeed.backward(loss)
            self.deepspeed.step()
            return float(loss.detach())
        sync = micro == self.accum - 1 or self.dist.world == 1
        ctx = self.forward.no_sync() if (not sync and hasattr(self.forward, "no_sync")) else nullcontext()
        with ctx:
            with self.autocast():
                loss = self.forward(**batch).loss
            (loss / self.accum if self.scaler is None else self.scaler.scale(loss / self.accum)).backward()
        return float(loss.detach())

    def optimizer_step(self) -> float:
        """Finish the step (unscale, clip, step, schedule, zero) and return the gradient norm."""
        import math

        if self.deepspeed is not None:
            grad_norm = self.deepspeed.get_global_grad_norm()
            return float(grad_norm) if grad_norm is not None else float("nan")
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        # max_grad_norm null: no clipping (upstream), the norm is still logged
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm or math.inf))
        if self.scaler is not None:
            self.scaler.step(self.optimizer)  # skipped when the fp16 gradients overflowed
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return grad_norm
