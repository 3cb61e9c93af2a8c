"""Upstream AffectGPT checkpoints (``.pth``) -> an affect-llm ``variant: reproduce`` folder.

Upstream's runner saves ``{"model": state_dict, "optimizer": ..., ...}`` where ``state_dict`` holds
only the parameters that were trained: the LoRA weights inside the LLM
(``llama_model.base_model.model.model.layers.N.self_attn.q_proj.lora_A.default.weight``, peft's
own names under upstream's ``llama_model`` attribute) and its small modules, named as in
``reproduce.py`` (``audio_attention_mlp``, ``audio_llama_proj``, ``video_attention_mlp``,
``affectgpt_proj``, ``multi_audio_embs``, ``multi_video_embs``, ``attention_mlp``, ``fc_att``,
``multi_llama_proj``). ``image_llama_proj`` is also there (upstream builds and trains-without-use
an image projection, which video clips never reach): it is read past and reported.

Every other key (a Q-Former, a fork's extra module) and every missing or mis-shaped one is an
error that lists them, so a checkpoint is never half loaded. Upstream's LoRA is r from the
checkpoint, alpha 32, dropout 0.05 on q/k/v/o/gate/up/down of every layer (its ``LoraConfig``);
the written ``llm_adapter/adapter_config.json`` says so. Encoder widths come from the weights;
the encoders themselves are named ``precomputed:upstream-hubert-large:D`` /
``precomputed:upstream-clip-vit-large:D`` unless given, so the folder runs on cached features of
upstream's encoders until real ones are named.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...errors import InputError, ModelError
from .config import AffectGPTConfig, FusionConfig, LLMConfig, LoRAConfig, ModalityConfig

log = logging.getLogger(__name__)

LLM_PREFIX = "llama_model."
UPSTREAM_LORA_ALPHA = 32
UPSTREAM_LORA_DROPOUT = 0.05
UPSTREAM_LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
AUDIO_KEYS = ("audio_attention_mlp", "audio_llama_proj")
VIDEO_KEYS = ("video_attention_mlp", "affectgpt_proj")
GATE_KEYS = ("multi_audio_embs", "multi_video_embs", "attention_mlp", "fc_att", "multi_llama_proj")
UNUSED_KEYS = ("image_llama_proj",)  # upstream trains it; a video clip never reaches it
DEFAULT_AUDIO_ENCODER = "precomputed:upstream-hubert-large:{dim}"
DEFAULT_VIDEO_ENCODER = "precomputed:upstream-clip-vit-large:{dim}"


@dataclass
class ConvertOptions:
    """What the checkpoint cannot say: the LLM, the visual streams the prompt names, token counts."""

    llm: str
    visual: list[str] = field(default_factory=lambda: ["faces"])  # upstream's best: multiface_audio_face_text
    tokens: int = 1  # upstream's num_*_query_token in its published configs
    dtype: str = "float16"  # upstream loads the LLM in float16
    audio_encoder: str | None = None
    video_encoder: str | None = None


def read_checkpoint(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``model`` state dict of an upstream ``.pth`` (tensors only, no code is unpickled)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputError(f"{path} is not a readable PyTorch checkpoint ({exc})") from exc
    state = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path}: expected upstream AffectGPT's {{'model': state_dict}}, found "
                         f"{sorted(ckpt)[:6] if isinstance(ckpt, dict) else type(ckpt).__name__}")
    return state


def _present(state: dict[str, torch.Tensor], names: tuple[str, ...]) -> bool:
    return any(k.split(".", 1)[0] in names for k in state)


def config_for(state: dict[str, torch.Tensor], opts: ConvertOptions) -> tuple[AffectGPTConfig, dict[str, int]]:
    """The reproduce config and encoder widths the checkpoint's weights imply."""
    def width(key: str) -> int:
        if key not in state:
            raise ModelError(f"the checkpoint lacks {key}, needed to know an encoder's width")
        return int(state[key].shape[1])

    has_audio, has_video, has_gate = (_present(state, AUDIO_KEYS), _present(state, VIDEO_KEYS),
                                      _present(state, GATE_KEYS))
    if not (has_audio or has_video):
        raise ModelError("the checkpoint has neither audio_* nor video_*/affectgpt_proj weights: not an "
                         "AffectGPT checkpoint with attention pooling")
    bad_visual = [v for v in opts.visual if v not in ("faces", "frames")]
    if bad_visual or not opts.visual:
        raise InputError(f"--visual {opts.visual}: give faces, frames or both")
    mods: list[ModalityConfig] = []
    dims: dict[str, int] = {}
    if has_audio:
        d_a = width("audio_llama_proj.weight")
        dims["audio"] = d_a
        mods.append(ModalityConfig("audio", "audio", opts.audio_encoder or DEFAULT_AUDIO_ENCODER.format(dim=d_a),
                                   tokens=opts.tokens))
    if has_video:
        d_v = width("affectgpt_proj.weight")
        for name in opts.visual:
            dims[name] = d_v
            # a CLIP folder given for the video streams must give upstream's projected features
            # (get_image_features, 768-d for ViT-L/14), the width affectgpt_proj was trained on
            encoder = opts.video_encoder or DEFAULT_VIDEO_ENCODER.format(dim=d_v)
            clip_folder = not encoder.startswith("precomputed:") and encoder not in ("bundled", "mobilenet_v2")
            features = "projected" if clip_folder else "pooled"
            mods.append(ModalityConfig(name, name, encoder, tokens=opts.tokens, image_features=features))
    lora_a = [v for k, v in state.items() if k.startswith(LLM_PREFIX) and ".lora_A." in k]
    rank = int(lora_a[0].shape[0]) if lora_a else 16
    config = AffectGPTConfig(
        variant="reproduce", modalities=mods,
        fusion=FusionConfig(kind="gate" if has_gate else "none", tokens=opts.tokens),
        llm=LLMConfig(path=opts.llm, training="lora" if lora_a else "frozen", dtype=opts.dtype),  # type: ignore[arg-type]
        lora=LoRAConfig(r=rank, alpha=UPSTREAM_LORA_ALPHA, dropout=UPSTREAM_LORA_DROPOUT,
                        target_modules=list(UPSTREAM_LORA_TARGETS)),
        modality_dropout=0.0)
    return config.validate("the converted checkpoint"), dims


def _expected(model: Any) -> dict[str, torch.Tensor]:
    """Our parameters under upstream's key names."""
    out = {f"{name}": p for name, p in model.reproduce.named_parameters()}
    if model.config.llm.training == "lora":
        out.update({LLM_PREFIX + n: p for n, p in model.llm.named_parameters() if "lora_" in n})
    return out


def load_upstream_weights(model: Any, state: dict[str, torch.Tensor], where: str) -> list[str]:
    """Copy ``state`` into ``model`` (a reproduce ``AffectGPTModel``); returns the keys read past.

    Refuses, listing them all, unknown keys, missing keys and shape mismatches."""
    ours = _expected(model)
    ignored = sorted(k for k in state if k.split(".", 1)[0] in UNUSED_KEYS)
    unknown = sorted(set(state) - set(ours) - set(ignored))
    missing = sorted(set(ours) - set(state))
    problems = []
    if unknown:
        problems.append(f"{len(unknown)} unknown key(s): {', '.join(unknown[:12])}"
                        + (" ..." if len(unknown) > 12 else ""))
    if missing:
        problems.append(f"{len(missing)} missing key(s): {', '.join(missing[:12])}"
                        + (" ..." if len(missing) > 12 else ""))
    shapes = [f"{k} {tuple(state[k].shape)} (expected {tuple(p.shape)})" for k, p in ours.items()
              if k in state and tuple(state[k].shape) != tuple(p.shape)]
    if shapes:
        problems.append("shape mismatch (another LLM or encoder?): " + "; ".join(shapes[:8]))
    if problems:
        raise ModelError(f"{where} does not fit upstream AffectGPT's reproduce modules: " + " | ".join(problems))
    with torch.no_grad():
        for k, p in ours.items():
            p.copy_(state[k].to(p.dtype))
    return ignored


def convert_checkpoint(ckpt: str | os.PathLike, out: str | os.PathLike, opts: ConvertOptions) -> Path:
    """Read ``ckpt``, build the reproduce model on ``opts.llm``, load the weights, save to ``out``."""
    from .io import save
    from .modeling import AffectGPTModel

    state = read_checkpoint(ckpt)
    config, dims = config_for(state, opts)
    model = AffectGPTModel.from_config(config, encoder_dims=dims)
    ignored = load_upstream_weights(model, state, str(ckpt))
    if ignored:
        log.info("read past %d unused upstream key(s): %s", len(ignored), ", ".join(ignored))
    return save(model, out)
