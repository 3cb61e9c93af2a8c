"""Training configuration: YAML -> typed dataclasses (config as data, torchtune style).

Paths in a config file are relative to that file (``data.train``, ``data.val``,
``data.cache_dir``, ``deepspeed``, the LLM and encoder folders), so a config and its data can
move together; ``output_dir`` is relative to the directory training is started from, where
results are expected. ``--set key=value`` on the command line overrides any field
(``--set optim.lr=1e-4 --set max_steps=20``); values are read as YAML.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import InputError
from ..llm import BUNDLED_LLM
from ..models.affectgpt.config import AffectGPTConfig, from_mapping
from ..models.affectgpt.prompting import TargetMode

FeatureMode = Literal["cache", "live"]
OnError = Literal["fail", "skip"]
Precision = Literal["fp32", "bf16", "fp16"]
Schedule = Literal["cosine", "linear", "constant"]
PRECISIONS = typing.get_args(Precision)
SCHEDULES = typing.get_args(Schedule)


@dataclass
class DataSource:
    """One manifest of a mixture: ``ratio`` times its size is its number of draws per epoch
    (``training.data.Mixture``)."""

    path: str
    ratio: float = 1.0


@dataclass
class DataConfig:
    """Where the captions are and how clips become features. ``train`` is one manifest, or a
    list of ``{path, ratio}`` mixed by sample ratio."""

    train: str | list[DataSource]
    val: str | None = None
    target: TargetMode = "hybrid"  # description | emotions | hybrid (random per sample, as AffectGPT)
    features: FeatureMode = "cache"  # cache: encoders run once per clip into data.cache_dir; live: every step
    cache_dir: str | None = None  # default: $AFFECT_LLM_CACHE/features
    on_error: OnError = "fail"  # a bad manifest line or unreadable clip: fail (stop) or skip (reported)
    num_workers: int = 0
    shard_size: int = 256


@dataclass
class OptimConfig:
    lr: float = 2e-4
    weight_decay: float = 0.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    warmup_steps: int = 0
    warmup_start_ratio: float = 0.0  # warm-up starts at lr x this (upstream AffectGPT: 1e-6 / 1e-5 = 0.1)
    schedule: Schedule = "cosine"
    min_lr_ratio: float = 0.1
    max_grad_norm: float | None = 1.0  # null: no clipping (upstream AffectGPT)


@dataclass
class TrainConfig:
    """One training run. ``max_steps`` counts optimizer steps (each ``micro_batch_size`` x
    ``gradient_accumulation_steps`` x world-size samples); ``epochs``, when set, decides it instead."""

    data: DataConfig
    model: AffectGPTConfig = field(default_factory=AffectGPTConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    output_dir: str = "runs/affectgpt"
    seed: int = 0
    micro_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    max_steps: int = 1000
    epochs: float | None = None
    save_every: int = 200
    keep_checkpoints: int = 2
    log_every: int = 1
    eval_every: int = 0  # teacher-forced loss on data.val every N steps (0: only at the end)
    precision: Precision = "fp32"  # fp16: autocast + loss scaler (or DeepSpeed's)
    deepspeed: str | None = None  # a DeepSpeed JSON (train/ds_zero2.json, ...); "auto" fields are filled in
    tensorboard: bool = True
    resume: str = "auto"  # auto: newest complete checkpoint in output_dir; never; or a checkpoint folder
    device: str = "auto"  # auto: cuda:LOCAL_RANK when CUDA is there, else cpu
    merge_lora_on_export: bool = False

    def validate(self, where: str) -> TrainConfig:
        def bad(msg: str) -> InputError:
            return InputError(f"{where}: {msg}")

        self.model.validate(where)
        if isinstance(self.data.train, list):
            if not self.data.train:
                raise bad("data.train is an empty list: give a manifest or a list of {path, ratio}")
            for i, src in enumerate(self.data.train):
                if not src.ratio > 0:
                    raise bad(f"data.train[{i}].ratio must be > 0, got {src.ratio}")
        if self.precision not in PRECISIONS:
            raise bad(f"precision {self.precision!r} is not one of {PRECISIONS}")
        if self.optim.schedule not in SCHEDULES:
            raise bad(f"optim.schedule {self.optim.schedule!r} is not one of {SCHEDULES}")
        for key in ("micro_batch_size", "gradient_accumulation_steps", "max_steps", "save_every", "log_every"):
            if getattr(self, key) < 1:
                raise bad(f"{key} must be >= 1")
        if len(self.optim.betas) != 2:
            raise bad("optim.betas must be two numbers")
        if not 0.0 <= self.optim.warmup_start_ratio <= 1.0:
            raise bad("optim.warmup_start_ratio must be in [0, 1]")
        if self.optim.max_grad_norm is not None and self.optim.max_grad_norm <= 0:
            raise bad("optim.max_grad_norm must be > 0, or null for no clipping")
        return self

    def digest(self) -> str:
        """Hash of everything that shapes the loss curve (a resumed run must match the original)."""
        d = dataclasses.asdict(self)
        for key in ("max_steps", "epochs", "save_every", "keep_checkpoints", "log_every", "eval_every",
                    "tensorboard", "resume", "device", "output_dir", "merge_lora_on_export"):
            d.pop(key, None)
        d["data"].pop("num_workers", None)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def _set_dotted(data: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        if k.isdigit() and isinstance(node, list):
            node = node[int(k)]
            continue
        node = node.setdefault(k, {})
        if not isinstance(node, (dict, list)):
            raise InputError(f"{where}: --set {dotted}: {k} is not a mapping")
    last = keys[-1]
    if isinstance(node, list) and last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


def apply_overrides(data: dict[str, Any], overrides: list[str], where: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise InputError(f"--set {item!r}: expected KEY=VALUE, e.g. --set optim.lr=1e-4")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), yaml.safe_load(raw), where)
    return data


def _resolve(path: str | None, base: Path) -> str | None:
    if path is None:
        return None
    p = Path(os.path.expandvars(path)).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _resolve_model_paths(model: AffectGPTConfig, base: Path) -> None:
    if model.llm.path != BUNDLED_LLM:
        model.llm.path = _resolve(model.llm.path, base)  # type: ignore[assignment]
    for m in model.modalities:
        if m.encoder not in ("bundled", "mobilenet_v2", "logmel") and not m.encoder.startswith("precomputed:"):
            m.encoder = _resolve(m.encoder, base)  # type: ignore[assignment]


def load_train_config(path: str | os.PathLike, overrides: list[str] | None = None) -> TrainConfig:
    """Read, override, type-check and validate a training YAML; resolve its relative paths."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read training config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} must be a YAML mapping (data:, model:, optim:, ...)")
    data = apply_overrides(data, overrides or [], str(path))
    config = from_mapping(TrainConfig, data, str(path))
    base = path.resolve().parent
    if isinstance(config.data.train, list):
        for src in config.data.train:
            src.path = _resolve(src.path, base)  # type: ignore[assignment]
    else:
        config.data.train = _resolve(config.data.train, base)  # type: ignore[assignment]
    config.data.val = _resolve(config.data.val, base)
    config.data.cache_dir = _resolve(config.data.cache_dir, base)
    if config.deepspeed:
        config.deepspeed = _resolve(config.deepspeed, base)
    _resolve_model_paths(config.model, base)
    return config.validate(str(path))
