"""Save and load an AffectGPT-style model as one folder.

::

    FOLDER/config.json            {"affect_llm": {"architecture": "affectgpt", "format": 1, ...config,
                                   "encoder_dims": {...}, "encoder_ids": {...}}}
    FOLDER/adapter.safetensors    projectors, absent tokens, pre-fusion, output MLPs
    FOLDER/llm_adapter/           the peft LoRA adapter (llm.training = lora)
    FOLDER/llm/                   a full LLM (llm.training = full, or LoRA merged at save time)
    FOLDER/README.md              a short model card

Encoders and the base LLM are referenced by name (``"smollm2"``, ``"mobilenet_v2"``,
``"bundled"``) or path; a relative path is relative to the folder, so a folder that carries its
own LLM can be moved. The encoder ids the model was trained with are recorded, and a different
encoder at load time is a warning.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from ...errors import ModelError
from ...llm import BUNDLED_LLM
from .config import AffectGPTConfig, config_from_dict
from .modeling import AffectGPTModel, apply_llm_training, load_base_llm

log = logging.getLogger(__name__)

ARCHITECTURE = "affectgpt"
FORMAT = 1
ADAPTER_FILE = "adapter.safetensors"
_META_KEYS = ("architecture", "format", "encoder_dims", "encoder_ids")


def _unwrap(model: Any) -> AffectGPTModel:
    """The ``AffectGPTModel`` inside a DeepSpeed engine or DDP wrapper."""
    while not isinstance(model, AffectGPTModel) and hasattr(model, "module"):
        model = model.module
    if not isinstance(model, AffectGPTModel):
        raise TypeError(f"expected an AffectGPTModel, got {type(model).__name__}")
    return model


def is_peft(llm: Any) -> bool:
    return hasattr(llm, "peft_config")


def save(model: Any, folder: str | os.PathLike, merge_lora: bool = False) -> Path:
    """Write ``model`` to ``folder`` (written beside it and renamed into place, so a killed save
    never leaves a half folder under the final name).

    ``merge_lora`` folds LoRA into a full LLM copy under ``llm/``. Under DeepSpeed ZeRO-3 call it
    inside ``deepspeed.zero.GatheredParameters`` so the partitioned weights are whole.
    """
    from safetensors.torch import save_file

    model = _unwrap(model)
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".partial")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    config = dataclasses.replace(model.config, llm=dataclasses.replace(model.config.llm),
                                 lora=dataclasses.replace(model.config.lora))
    if config.llm.path != BUNDLED_LLM and model.llm_path is not None:
        config.llm.path = str(Path(model.llm_path).resolve())  # the folder may be used from anywhere
    llm = model.llm
    if merge_lora and is_peft(llm):
        llm = llm.merge_and_unload()
        model.llm = llm
    if config.llm.training == "lora" and not is_peft(llm):  # merged, here or by merge_lora()
        config.llm.training = "frozen"
        config.llm.path = "llm"
        llm.save_pretrained(tmp / "llm")
        model.tokenizer.save_pretrained(tmp / "llm")
    elif config.llm.training == "lora":
        llm.save_pretrained(tmp / "llm_adapter")
    elif config.llm.training == "full":
        config.llm.path = "llm"
        llm.save_pretrained(tmp / "llm")
        model.tokenizer.save_pretrained(tmp / "llm")
    state = {n: p.detach().cpu().contiguous() for n, p in model.adapter_parameters().items()}
    save_file({k: v.float().contiguous() for k, v in state.items()}, str(tmp / ADAPTER_FILE))
    section = {"architecture": ARCHITECTURE, "format": FORMAT, **dataclasses.asdict(config),
               "encoder_dims": model.encoder_dims, "encoder_ids": model.encoder_ids}
    (tmp / "config.json").write_text(json.dumps({"affect_llm": section}, indent=2) + "\n")
    (tmp / "README.md").write_text(_card(config))
    if folder.exists():
        import shutil

        old = folder.with_name(folder.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old)
    else:
        tmp.rename(folder)
    return folder


def _card(config: AffectGPTConfig) -> str:
    streams = ", ".join(f"{m.name} ({m.encoder}, {m.tokens} tokens, {m.projector})" for m in config.modalities)
    return (f"# AffectGPT-style model (affect-llm)\n\n"
            f"- variant: {config.variant}\n- streams: {streams}\n- pre-fusion: {config.fusion.kind}\n"
            f"- LLM: {config.llm.path} ({config.llm.training}"
            + (f", LoRA r={config.lora.r} alpha={config.lora.alpha}" if config.llm.training == "lora" else "")
            + ")\n\nUse: `affect-llm describe CLIP --model THIS_FOLDER`.\n")


def read_section(folder: Path) -> dict[str, Any]:
    from .. import read_model_config

    section = read_model_config(folder).get("affect_llm") or {}
    if section.get("architecture") != ARCHITECTURE:
        raise ModelError(f"{folder / 'config.json'} is not an {ARCHITECTURE!r} model folder")
    if int(section.get("format", 0)) > FORMAT:
        raise ModelError(f"{folder} was written by a newer affect-llm (format {section['format']}): upgrade affect-llm")
    return section


def load(folder: str | os.PathLike, device: str = "cpu", trainable: bool = False) -> AffectGPTModel:
    """Load a saved folder (eval mode unless ``trainable``)."""
    from safetensors.torch import load_file

    folder = Path(folder).expanduser()
    section = read_section(folder)
    where = str(folder / "config.json")
    config = config_from_dict({k: v for k, v in section.items() if k not in _META_KEYS}, where)
    dims = {k: int(v) for k, v in (section.get("encoder_dims") or {}).items()}
    llm, tokenizer, path = load_base_llm(config.llm, base_dir=folder)
    adapter_dir = folder / "llm_adapter"
    if config.llm.training == "lora" and not adapter_dir.is_dir():
        raise ModelError(f"{folder} has llm.training=lora but no llm_adapter/ folder: copy it back or re-save")
    llm = apply_llm_training(llm, config, adapter_dir=adapter_dir if config.llm.training == "lora" else None,
                             trainable=trainable)
    model = AffectGPTModel(config, llm, tokenizer, dims, path, section.get("encoder_ids"))
    model.base_dir = folder
    try:
        state = load_file(str(folder / ADAPTER_FILE))
    except Exception as exc:
        raise ModelError(f"cannot read {folder / ADAPTER_FILE}: {exc}; re-save the model") from exc
    own = model.adapter_parameters()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise ModelError(f"{folder / ADAPTER_FILE} does not fit config.json (missing {missing[:4]}, "
                         f"unexpected {unexpected[:4]}): the folder mixes two models; re-save it")
    with torch.no_grad():
        for name, p in own.items():
            if p.shape != state[name].shape:
                raise ModelError(f"{folder / ADAPTER_FILE}: {name} has shape {tuple(state[name].shape)}, "
                                 f"config.json implies {tuple(p.shape)}")
            p.copy_(state[name].to(p.dtype))
    model.to(device)
    model.train(trainable)
    if not trainable:
        model.requires_grad_(False)
    return model
