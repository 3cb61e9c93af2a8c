"""The training recipe: one readable loop, config as data (torchtune style).

    affect-llm train CONFIG.yaml                      # one process (CPU or one GPU)
    torchrun --nproc_per_node 8 train/train.py CONFIG.yaml
    deepspeed --num_gpus 8 train/train.py CONFIG.yaml --set deepspeed=train/ds_zero3.json
    accelerate launch --num_processes 8 train/train.py CONFIG.yaml

Steps, in order: set up the process group -> build the model (frozen encoders, projectors,
fusion, LoRA LLM) -> read the manifests (every bad line reported) -> encode every clip once into
the feature cache (rank 0) -> optimizer and schedule -> DeepSpeed (ZeRO-2/3, when configured)
or DDP -> resume from the newest complete checkpoint -> the loop: micro-batches, gradient
accumulation, clipping, logging to CSV (and TensorBoard), checkpoints every ``save_every``
steps -> export the model folder and a loss-curve PNG.

Resuming after a kill continues identically: checkpoints hold the trainable weights, the
optimizer and scheduler, every rank's RNG states, and the step, and the data stream is a pure
function of the step (``data.StepSampler``), so the loss curve of a resumed run matches the
uninterrupted one within float tolerance. A checkpoint is complete only once its
``state.json`` exists (written last), so a kill during a save leaves the previous one in use.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InputError
from .config import TrainConfig
from .data import (
    CachedFeatures,
    CaptionDataset,
    Collator,
    LiveFeatures,
    Problems,
    Sample,
    StepSampler,
    eval_batches,
    mix,
    read_manifest,
    read_sources,
)

log = logging.getLogger(__name__)

# Fault injection for the resume tests: SIGKILL this process right after optimizer step N.
KILL_ENV = "AFFECT_LLM_KILL_AFTER_STEP"
METRIC_FIELDS = ("step", "epoch", "loss", "lr", "grad_norm", "val_loss", "samples", "elapsed_s")


# ====================================================================================== processes
@dataclass
class Dist:
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


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
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


# ====================================================================================== data
def _all_gather(dist: Dist, obj: Any) -> list[Any]:
    if dist.world == 1:
        return [obj]
    out: list[Any] = [None] * dist.world
    torch.distributed.all_gather_object(out, obj)
    return out


def prepare_features(config: TrainConfig, extractor: Any, dist: Dist, samples: list[Sample],
                     problems: Problems) -> tuple[list[Sample], Any]:
    """The feature source for ``samples``; in cache mode, first encode every clip not yet cached.

    The clips are split over the ranks (rank r encodes clips r, r + world, ...), each rank writes
    its own shards, and rank 0 collects the clips that could not be read: they become manifest
    problems, reported with their line numbers (skipped or fatal as ``data.on_error`` says).
    """
    from ..features.cache import FeatureCache, clip_digest

    if config.data.features == "live":
        if not extractor.live:
            raise InputError("data.features: live needs real encoders, but a stream is 'precomputed:...': "
                             "use data.features: cache")
        return samples, LiveFeatures(extractor)
    cache = FeatureCache.for_extractor(extractor, config.data.cache_dir, config.data.shard_size)
    by_clip: dict[Any, list[Sample]] = {}  # Sample.clip: the video, or the video and its side files
    for s in samples:
        by_clip.setdefault(s.clip, []).append(s)
    clips = list(by_clip)  # the same order on every rank: ranks exchange indices into it
    number = {c: i for i, c in enumerate(clips)}
    mine = [c for i, c in enumerate(clips) if i % dist.world == dist.rank]
    failed: list[tuple[int, str]] = []
    if extractor.live:
        ok = cache.ensure(mine, extractor.from_clip, lambda p, e: failed.append((number[p], str(e))),
                          progress=dist.main)
    else:
        ok = {}
        for p in mine:
            d = clip_digest(p)
            if d in cache:
                ok[p] = d
            else:
                failed.append((number[p], (f"its features are not in the cache {cache.dir} and the encoders are "
                                           "precomputed-only")))
    gathered = _all_gather(dist, ({number[k]: v for k, v in ok.items()}, failed))
    result: Any = None
    if dist.main:
        digests: dict[int, str] = {}
        for part_ok, part_failed in gathered:
            digests.update(part_ok)
            for i, reason in part_failed:
                for s in by_clip[clips[i]]:
                    problems.add(s.where, f"cannot use clip {clips[i]}: {reason}")
        try:
            problems.finish("the training data")
            result = ("ok", digests)
        except InputError as exc:
            result = ("error", str(exc))
    result = dist.broadcast(result)
    if result[0] == "error":
        raise InputError(result[1])
    digests_by_path = {clips[int(k)]: v for k, v in result[1].items()}
    cache.reload()
    kept = [s for s in samples if s.clip in digests_by_path]
    return kept, CachedFeatures(cache, digests_by_path, extractor if extractor.live else None)


def build_datasets(config: TrainConfig, model: Any, dist: Dist) -> tuple[CaptionDataset, CaptionDataset | None]:
    problems = Problems(config.data.on_error, report=dist.main)
    sources = read_sources(config.data.train, problems)  # one manifest, or several mixed by ratio
    train = [s for src in sources for s in src.samples]
    val = read_manifest(config.data.val, problems) if config.data.val else []
    if config.data.features == "live":
        problems.finish("the training data")
    all_samples, features = prepare_features(config, model.extractor, dist, train + val, problems)
    kept = {id(s) for s in all_samples}
    for src in sources:
        src.samples = [s for s in src.samples if id(s) in kept]
    train, mixture = mix(sources, config.seed)
    val = [s for s in val if id(s) in kept]
    names = [m.name for m in config.model.modalities]
    train_ds = CaptionDataset(train, model.prompt, features, config.data.target, config.seed,
                              config.model.modality_dropout, names, mixture)
    val_ds = (CaptionDataset(val, model.prompt, features, config.data.target, config.seed, 0.0, names)
              if val else None)
    return train_ds, val_ds


# ====================================================================================== optimizer
def lr_factor(step: int, config: TrainConfig, max_steps: int) -> float:
    """Linear warm-up from ``warmup_start_ratio``, then cosine / linear decay to ``min_lr_ratio`` (or constant)."""
    o = config.optim
    if o.warmup_steps and step < o.warmup_steps:
        return o.warmup_start_ratio + (1 - o.warmup_start_ratio) * (step + 1) / o.warmup_steps
    if o.schedule == "constant":
        return 1.0
    progress = min(1.0, (step - o.warmup_steps) / max(1, max_steps - o.warmup_steps))
    shape = 0.5 * (1 + math.cos(math.pi * progress)) if o.schedule == "cosine" else 1.0 - progress
    return o.min_lr_ratio + (1 - o.min_lr_ratio) * shape


def _uses_offload(ds_config: dict[str, Any]) -> bool:
    zero = ds_config.get("zero_optimization", {})
    return str(zero.get("offload_optimizer", {}).get("device", "none")) in ("cpu", "nvme")


def build_optimizer(config: TrainConfig, params: list[torch.nn.Parameter], ds_config: dict[str, Any] | None) -> Any:
    o = config.optim
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if ds_config is not None and _uses_offload(ds_config):
        from deepspeed.ops.adam import DeepSpeedCPUAdam

        return DeepSpeedCPUAdam(groups, lr=o.lr, betas=tuple(o.betas), eps=o.eps, adamw_mode=True)
    return torch.optim.AdamW(groups, lr=o.lr, betas=tuple(o.betas), eps=o.eps)


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


# ====================================================================================== checkpoints
class Checkpoints:
    """``output_dir/checkpoints/step-NNNNNNN/``; complete once ``state.json`` is there."""

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


# ====================================================================================== logging
class Metrics:
    """metrics.csv (+ TensorBoard when installed and enabled), rank 0 only."""

    def __init__(self, out: Path, enabled: bool, tensorboard: bool, resume_step: int):
        self.path = out / "metrics.csv"
        self.enabled = enabled
        self.tb = None
        if not enabled:
            return
        rows = []
        if resume_step > 0 and self.path.exists():  # drop rows logged after the checkpoint we resume from
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
        with open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METRIC_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(out / "tensorboard"), purge_step=resume_step + 1 if resume_step else None)
            except ImportError:
                log.info("tensorboard is not installed: logging to %s only", self.path)

    def log(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=METRIC_FIELDS).writerow({k: row.get(k, "") for k in METRIC_FIELDS})
        if self.tb is not None:
            for key in ("loss", "lr", "grad_norm", "val_loss"):
                if row.get(key) not in (None, ""):
                    self.tb.add_scalar(f"train/{key}" if key != "val_loss" else "val/loss", float(row[key]), row["step"])
            self.tb.flush()

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_loss(metrics_csv: Path, png: Path) -> Path:
    """Loss per step (and held-out loss where measured) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_csv)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = [int(r["step"]) for r in rows if r["loss"]]
    ax.plot(steps, [float(r["loss"]) for r in rows if r["loss"]], label="train loss", lw=1.2)
    val = [(int(r["step"]), float(r["val_loss"])) for r in rows if r.get("val_loss")]
    if val:
        ax.plot(*zip(*val), "o-", label="held-out loss", ms=4)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (answer tokens)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return png


# ====================================================================================== the loop
def _to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Tensors to ``device``; ``features`` stay as they are (``AffectGPTModel.forward`` moves them)."""
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}


def evaluate_loss(forward: Any, dataset: CaptionDataset, collate: Collator, batch_size: int, dist: Dist,
                  autocast: Any) -> float:
    """Mean answer-token cross-entropy over the held-out set (sharded over ranks, same count per rank)."""
    batches = eval_batches(len(dataset), batch_size, dist.world, dist.rank)
    per_rank = len(batches)
    if dist.world > 1:  # ZeRO-3 needs every rank in every forward: pad with weight-0 batches
        counts = torch.tensor([len(batches)])
        torch.distributed.all_reduce(counts, op=torch.distributed.ReduceOp.MAX)
        per_rank = int(counts.item())
    total = torch.zeros(2, dtype=torch.float64)
    with torch.no_grad():
        for i in range(per_rank):
            keys, weight = (batches[i], 1.0) if i < len(batches) else ([(0, 0)], 0.0)
            batch = _to_device(collate([dataset[k] for k in keys]), dist.device)
            with autocast():
                out = forward(**batch)
            tokens = float((batch["labels"][:, 1:] != -100).sum())
            total += torch.tensor([float(out.loss) * tokens * weight, tokens * weight], dtype=torch.float64)
    if dist.world > 1:
        torch.distributed.all_reduce(total)
    return float(total[0] / max(total[1], 1.0))


def train(config: TrainConfig) -> dict[str, Any]:
    """Run (or resume) the training described by ``config``; returns a summary (rank 0's view)."""
    from contextlib import nullcontext

    from tqdm import tqdm

    from ..models.affectgpt.modeling import AffectGPTModel

    dist = setup_distributed(config)
    out = Path(config.output_dir)
    if dist.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(_asdict(config), indent=1))
    seed_everything(config.seed)

    # -- model and data
    model = AffectGPTModel.from_config(config.model, seed=config.seed)
    model.to(dist.device)
    model.extractor.to(dist.device)
    train_ds, val_ds = build_datasets(config, model, dist)
    collate = Collator(model.prompt, model.encoder_dims)
    global_batch = config.micro_batch_size * config.gradient_accumulation_steps * dist.world
    max_steps = (math.ceil(config.epochs * len(train_ds) / global_batch) if config.epochs is not None
                 else config.max_steps)

    # -- optimizer, schedule, engine
    params = [p for p in model.parameters() if p.requires_grad]
    ds_config = deepspeed_config(config, dist.world) if config.deepspeed else None
    optimizer = build_optimizer(config, params, ds_config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config, max_steps))
    engine = None
    forward: Any = model
    if ds_config is not None:
        import deepspeed

        engine, optimizer, _, scheduler = deepspeed.initialize(model=model, optimizer=optimizer,
                                                               lr_scheduler=scheduler, config=ds_config)
        forward = engine
    elif dist.world > 1:
        forward = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None)
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.precision) if engine is None else None
    # fp16 without DeepSpeed: autocast plus a dynamic loss scaler (upstream AffectGPT's AMP)
    scaler = torch.amp.GradScaler(dist.device.type) if (config.precision == "fp16" and engine is None) else None

    def autocast() -> Any:
        return (torch.autocast(dist.device.type, dtype=autocast_dtype) if autocast_dtype is not None
                else nullcontext())

    # -- resume
    ckpts = Checkpoints(out / "checkpoints", config.keep_checkpoints, dist, engine)
    start_step, samples_seen, elapsed_before = 0, 0, 0.0
    resume_from = None
    if config.resume == "auto":
        complete = ckpts.complete()
        resume_from = complete[-1] if complete else None
    elif config.resume != "never":
        resume_from = Path(config.resume)
        if not (resume_from / "state.json").exists():
            raise InputError(f"resume: {resume_from} is not a complete checkpoint (no state.json)")
    if resume_from is not None:
        state = ckpts.load(resume_from, model, optimizer, scheduler)
        if scaler is not None and "grad_scaler" in state:
            scaler.load_state_dict(state["grad_scaler"])
        start_step, samples_seen = int(state["step"]), int(state.get("samples", 0))
        # The restored rate is the one the checkpoint's schedule gave; with max_steps (or epochs)
        # changed since, the schedule is another: the first resumed step must use the new one too.
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs):
            group["lr"] = base * lr_factor(start_step, config, max_steps)
        scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]  # what get_last_lr() reports
        elapsed_before = float(state.get("elapsed_s", 0.0))
        if state.get("config_digest") != config.digest() and dist.main:
            log.warning("resuming from %s with a changed configuration: the continuation will differ", resume_from)
        if state.get("world_size", dist.world) != dist.world and dist.main:
            log.warning("resuming with %d processes, the checkpoint had %d: the data order changes",
                        dist.world, state["world_size"])
        if dist.main:
            log.info("resumed from %s (step %d)", resume_from, start_step)
    metrics = Metrics(out, dist.main, config.tensorboard, start_step)

    sampler = StepSampler(len(train_ds), config.micro_batch_size, config.gradient_accumulation_steps, dist.world,
                          dist.rank, config.seed, start_step, max_steps)
    loader = torch.utils.data.DataLoader(train_ds, batch_sampler=sampler, collate_fn=collate,
                                         num_workers=config.data.num_workers,
                                         generator=torch.Generator())  # never draws from the global RNG
    kill_after = int(os.environ.get(KILL_ENV, "0") or 0)
    accum = config.gradient_accumulation_steps
    t0 = time.perf_counter()
    last: dict[str, Any] = {}
    progress = tqdm(total=max_steps, initial=start_step, desc="training", unit="step", disable=not dist.main or _quiet(),
                    dynamic_ncols=True)
    model.train()
    batches = iter(loader)
    for step in range(start_step, max_steps):
        lr = scheduler.get_last_lr()[0]  # the rate this step uses
        losses = []
        for micro in range(accum):
            batch = _to_device(next(batches), dist.device)
            if engine is not None:
                loss = engine(**batch).loss
                engine.backward(loss)
                engine.step()
            else:
                sync = micro == accum - 1 or dist.world == 1
                ctx = forward.no_sync() if (not sync and hasattr(forward, "no_sync")) else nullcontext()
                with ctx:
                    with autocast():
                        loss = forward(**batch).loss
                    (loss / accum if scaler is None else scaler.scale(loss / accum)).backward()
            losses.append(float(loss.detach()))
        if engine is not None:
            grad_norm = engine.get_global_grad_norm()
            grad_norm = float(grad_norm) if grad_norm is not None else float("nan")
        else:
            if scaler is not None:
                scaler.unscale_(optimizer)
            # max_grad_norm null: no clipping (upstream), the norm is still logged
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, config.optim.max_grad_norm or math.inf))
            if scaler is not None:
                scaler.step(optimizer)  # skipped when the fp16 gradients overflowed
                scaler.update()
            else:
                optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        samples_seen += global_batch
        done = step + 1
        loss_value = dist.mean(sum(losses) / len(losses))
        row: dict[str, Any] = {"step": done, "epoch": round(samples_seen / len(train_ds), 4),
                               "loss": f"{loss_value:.6f}", "lr": f"{lr:.6e}",
                               "grad_norm": f"{grad_norm:.4f}", "samples": samples_seen,
                               "elapsed_s": round(elapsed_before + time.perf_counter() - t0, 2)}
        if val_ds is not None and config.eval_every and done % config.eval_every == 0:
            model.eval()
            row["val_loss"] = f"{evaluate_loss(forward, val_ds, collate, config.micro_batch_size, dist, autocast):.6f}"
            model.train()
        if done % config.log_every == 0 or done == max_steps or "val_loss" in row:
            metrics.log(row)
        last = row
        progress.update(1)
        progress.set_postfix(loss=f"{loss_value:.4f}", lr=row["lr"])
        if done % config.save_every == 0 or done == max_steps:
            ckpts.save(done, model, optimizer, scheduler,
                       {"samples": samples_seen, "config_digest": config.digest(), "world_size": dist.world,
                        "elapsed_s": row["elapsed_s"],
                        **({"grad_scaler": scaler.state_dict()} if scaler is not None else {})})
        if kill_after and done == kill_after:
            log.warning("%s=%d: killing this process now (fault injection)", KILL_ENV, kill_after)
            os.kill(os.getpid(), signal.SIGKILL)
    progress.close()

    # -- final held-out loss, model folder, loss curve
    summary: dict[str, Any] = {"steps": max_steps, "start_step": start_step, "last": last, "output_dir": str(out)}
    if val_ds is not None:
        model.eval()
        summary["val_loss"] = evaluate_loss(forward, val_ds, collate, config.micro_batch_size, dist, autocast)
    model_dir = export_model(model, out / "model", engine, dist, config.merge_lora_on_export)
    summary["model_dir"] = str(model_dir)
    if dist.main:
        metrics.close()
        summary["loss_png"] = str(plot_loss(metrics.path, out / "loss.png"))
        summary["metrics"] = str(metrics.path)
        (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
        log.info("training done: %s", summary)
    dist.close()
    return summary


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


def _quiet() -> bool:
    """``TQDM_DISABLE=1`` silences the progress bars (tests, CI logs)."""
    return os.environ.get("TQDM_DISABLE", "") not in ("", "0")


def _asdict(config: TrainConfig) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(config)
