"""The training recipe: a class with one job per method, config as data (torchtune style).

    affect-llm train CONFIG.yaml                      # one process (CPU or one GPU)
    torchrun --nproc_per_node 8 train/train.py CONFIG.yaml
    deepspeed --num_gpus 8 train/train.py CONFIG.yaml --set deepspeed=train/ds_zero3.json
    accelerate launch --num_processes 8 train/train.py CONFIG.yaml

:class:`TrainingRecipe` runs ``setup(config)`` -> ``train()`` -> ``cleanup()``:

- ``setup``: join the process group (``distributed``) -> build the model (frozen encoders,
  projectors, fusion, LoRA LLM) -> read the manifests (every bad line reported) -> encode every
  clip once into the feature cache -> optimizer and schedule -> DeepSpeed (ZeRO-2/3) or DDP
  (``distributed.Engine``) -> resume from the newest complete checkpoint (``checkpointing``) ->
  open the metrics log (``metrics``).
- ``train``: micro-batches, gradient accumulation, clipping, logging, ``save_checkpoint`` every
  ``save_every`` steps; then the held-out loss, the model folder and the loss-curve PNG.
- ``cleanup``: close the logs and leave the process group.

Resuming after a kill continues identically: checkpoints hold the trainable weights, the
optimizer and scheduler, every rank's RNG states, and the step, and the data stream is a pure
function of the step (``data.StepSampler``), so the loss curve of a resumed run matches the
uninterrupted one within float tolerance.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import time
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from .checkpointing import Checkpoints, export_model, warn_on_changes
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
from .distributed import Dist, Engine, deepspeed_config, seed_everything, setup_distributed, uses_offload
from .metrics import Metrics, plot_loss

__all__ = ["KILL_ENV", "TrainingRecipe", "lr_factor", "prepare_features", "setup_distributed", "train"]

log = logging.getLogger(__name__)

# Fault injection for the resume tests: SIGKILL this process right after optimizer step N.
KILL_ENV = "AFFECT_LLM_KILL_AFTER_STEP"


# ====================================================================================== data
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
    gathered = dist.all_gather(({number[k]: v for k, v in ok.items()}, failed))
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


def build_optimizer(config: TrainConfig, params: list[torch.nn.Parameter], ds_config: dict[str, Any] | None) -> Any:
    o = config.optim
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if ds_config is not None and uses_offload(ds_config):
        from deepspeed.ops.adam import DeepSpeedCPUAdam

        return DeepSpeedCPUAdam(groups, lr=o.lr, betas=tuple(o.betas), eps=o.eps, adamw_mode=True)
    return torch.optim.AdamW(groups, lr=o.lr, betas=tuple(o.betas), eps=o.eps)


# ====================================================================================== the recipe
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


class TrainingRecipe:
    """One training run (or its resumption): ``setup(config)``, ``train()``, ``cleanup()``.

    The state a step needs is on the instance (model, data, engine, checkpoints, metrics), so each
    concern is read in one place: ``setup`` builds it, ``train`` is only the loop,
    ``save_checkpoint`` is the one way a checkpoint is written.
    """

    config: TrainConfig
    dist: Dist
    out: Path
    model: Any
    engine: Engine
    checkpoints: Checkpoints
    metrics: Metrics

    def setup(self, config: TrainConfig) -> None:
        from ..models.affectgpt.modeling import AffectGPTModel

        self.config = config
        self.dist = dist = setup_distributed(config)
        self.out = Path(config.output_dir)
        if dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(_asdict(config), indent=1))
        seed_everything(config.seed)

        # model and data
        self.model = AffectGPTModel.from_config(config.model, seed=config.seed)
        self.model.to(dist.device)
        self.model.extractor.to(dist.device)
        self.train_ds, self.val_ds = build_datasets(config, self.model, dist)
        self.collate = Collator(self.model.prompt, self.model.encoder_dims)
        self.global_batch = config.micro_batch_size * config.gradient_accumulation_steps * dist.world
        self.max_steps = (math.ceil(config.epochs * len(self.train_ds) / self.global_batch)
                          if config.epochs is not None else config.max_steps)

        # optimizer, schedule, engine
        params = [p for p in self.model.parameters() if p.requires_grad]
        ds_config = deepspeed_config(config, dist.world) if config.deepspeed else None
        optimizer = build_optimizer(config, params, ds_config)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config, self.max_steps))
        self.engine = Engine(self.model, optimizer, scheduler, config, dist, ds_config)

        # resume, then the log (which drops rows after the resumed step)
        self.checkpoints = Checkpoints(self.out / "checkpoints", config.keep_checkpoints, dist, self.engine.deepspeed)
        self.start_step, self.samples_seen, self.elapsed_before = 0, 0, 0.0
        resume_from = self.checkpoints.resume_point(config.resume)
        if resume_from is not None:
            self._resume(resume_from)
        self.metrics = Metrics(self.out, dist.main, config.tensorboard, self.start_step)

    def _resume(self, folder: Path) -> None:
        engine, config = self.engine, self.config
        state = self.checkpoints.load(folder, self.model, engine.optimizer, engine.scheduler)
        if engine.scaler is not None and "grad_scaler" in state:
            engine.scaler.load_state_dict(state["grad_scaler"])
        self.start_step, self.samples_seen = int(state["step"]), int(state.get("samples", 0))
        # The restored rate is the one the checkpoint's schedule gave; with max_steps (or epochs)
        # changed since, the schedule is another: the first resumed step must use the new one too.
        for group, base in zip(engine.optimizer.param_groups, engine.scheduler.base_lrs):
            group["lr"] = base * lr_factor(self.start_step, config, self.max_steps)
        engine.scheduler._last_lr = [group["lr"] for group in engine.optimizer.param_groups]  # get_last_lr()
        self.elapsed_before = float(state.get("elapsed_s", 0.0))
        warn_on_changes(state, folder, config, self.dist)
        if self.dist.main:
            log.info("resumed from %s (step %d)", folder, self.start_step)

    def train(self) -> dict[str, Any]:
        """The loop from the resumed step to ``max_steps``, then the held-out loss, the model
        folder and the loss curve; returns a summary (rank 0's view)."""
        from tqdm import tqdm

        config, dist, engine = self.config, self.dist, self.engine
        sampler = StepSampler(len(self.train_ds), config.micro_batch_size, config.gradient_accumulation_steps,
                              dist.world, dist.rank, config.seed, self.start_step, self.max_steps)
        loader = torch.utils.data.DataLoader(self.train_ds, batch_sampler=sampler, collate_fn=self.collate,
                                             num_workers=config.data.num_workers,
                                             generator=torch.Generator())  # never draws from the global RNG
        kill_after = int(os.environ.get(KILL_ENV, "0") or 0)
        t0 = time.perf_counter()
        last: dict[str, Any] = {}
        progress = tqdm(total=self.max_steps, initial=self.start_step, desc="training", unit="step",
                        disable=not dist.main or _quiet(), dynamic_ncols=True)
        self.model.train()
        batches = iter(loader)
        for step in range(self.start_step, self.max_steps):
            lr = engine.scheduler.get_last_lr()[0]  # the rate this step uses
            losses = [engine.micro_step(_to_device(next(batches), dist.device), micro)
                      for micro in range(config.gradient_accumulation_steps)]
            grad_norm = engine.optimizer_step()
            self.samples_seen += self.global_batch
            done = step + 1
            loss_value = dist.mean(sum(losses) / len(losses))
            row: dict[str, Any] = {"step": done, "epoch": round(self.samples_seen / len(self.train_ds), 4),
                                   "loss": f"{loss_value:.6f}", "lr": f"{lr:.6e}",
                                   "grad_norm": f"{grad_norm:.4f}", "samples": self.samples_seen,
                                   "elapsed_s": round(self.elapsed_before + time.perf_counter() - t0, 2)}
            if self.val_ds is not None and config.eval_every and done % config.eval_every == 0:
                row["val_loss"] = f"{self._held_out_loss():.6f}"
                self.model.train()
            if done % config.log_every == 0 or done == self.max_steps or "val_loss" in row:
                self.metrics.log(row)
            last = row
            progress.update(1)
            progress.set_postfix(loss=f"{loss_value:.4f}", lr=row["lr"])
            if done % config.save_every == 0 or done == self.max_steps:
                self.save_checkpoint(done, elapsed_s=row["elapsed_s"])
            if kill_after and done == kill_after:
                log.warning("%s=%d: killing this process now (fault injection)", KILL_ENV, kill_after)
                os.kill(os.getpid(), signal.SIGKILL)
        progress.close()

        summary: dict[str, Any] = {"steps": self.max_steps, "start_step": self.start_step, "last": last,
                                   "output_dir": str(self.out)}
        if self.val_ds is not None:
            summary["val_loss"] = self._held_out_loss()
        model_dir = export_model(self.model, self.out / "model", engine.deepspeed, dist,
                                 config.merge_lora_on_export)
        summary["model_dir"] = str(model_dir)
        if dist.main:
            summary["loss_png"] = str(plot_loss(self.metrics.path, self.out / "loss.png"))
            summary["metrics"] = str(self.metrics.path)
            (self.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
            log.info("training done: %s", summary)
        return summary

    def save_checkpoint(self, step: int, elapsed_s: float) -> Path:
        """Checkpoint after optimizer step ``step`` (every rank calls it; complete once state.json is there)."""
        engine = self.engine
        extra: dict[str, Any] = {"samples": self.samples_seen, "config_digest": self.config.digest(),
                                 "world_size": self.dist.world, "elapsed_s": elapsed_s}
        if engine.scaler is not None:
            extra["grad_scaler"] = engine.scaler.state_dict()
        return self.checkpoints.save(step, self.model, engine.optimizer, engine.scheduler, extra)

    def cleanup(self) -> None:
        """Close the logs and leave the process group (every rank)."""
        self.metrics.close()
        self.dist.close()

    def _held_out_loss(self) -> float:
        self.model.eval()
        return evaluate_loss(self.engine.forward, self.val_ds, self.collate, self.config.micro_batch_size,
                             self.dist, self.engine.autocast)


def train(config: TrainConfig) -> dict[str, Any]:
    """Run (or resume) the training described by ``config``; returns a summary (rank 0's view)."""
    recipe = TrainingRecipe()
    recipe.setup(config)
    summary = recipe.train()
    recipe.cleanup()
    return summary


def _quiet() -> bool:
    """``TQDM_DISABLE=1`` silences the progress bars (tests, CI logs)."""
    return os.environ.get("TQDM_DISABLE", "") not in ("", "0")


def _asdict(config: TrainConfig) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(config)
