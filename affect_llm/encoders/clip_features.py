"""CLIP's projected image embedding (``CLIPModel.get_image_features``), AffectGPT's face features.

``frames.HFVisionEncoder`` gives the vision tower's ``pooler_output`` (1024-d for ViT-L/14);
AffectGPT's ``CLIP_VIT_LARGE`` feeds the LLM side ``get_image_features``: that pooled output
through CLIP's ``visual_projection`` into the joint image-text space (``projection_dim``, 768-d).
A reproduction needs the projected features; this encoder gives them, one token per frame.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from .frames import PixelInputs, folder_weights_digest


class CLIPImageFeatures(nn.Module):
    """Frozen CLIP image features: frames ``[B, N, H, W, 3]`` uint8 RGB -> ``[B, N, projection_dim]``."""

    def __init__(self, path: str | Path):
        super().__init__()
        from transformers import CLIPModel

        path = Path(path).expanduser()
        try:
            model = CLIPModel.from_pretrained(path)
        except Exception as exc:  # transformers raises many types for a bad folder
            raise ModelError(f"cannot load a CLIP model (vision tower + visual_projection) from {path}: {exc}") from exc
        self.pixels = PixelInputs(path)  # the frame encoder's pixels: one preprocessing per folder
        self.vision = model.vision_model.eval().requires_grad_(False)
        self.projection = model.visual_projection.eval().requires_grad_(False)
        self.dim = int(model.config.projection_dim)
        self.encoder_id = f"hf-clip-projected-{path.name}-{folder_weights_digest(path)}"

    @torch.inference_mode()
    def encode(self, frames: torch.Tensor | np.ndarray) -> torch.Tensor:
        pixels, b, n = self.pixels(frames, self.projection.weight.dtype)
        pooled = self.vision(pixel_values=pixels).pooler_output
        return self.projection(pooled).float().view(b, n, -1)


@functools.lru_cache(maxsize=2)
def load_clip_features(path: str) -> CLIPImageFeatures:
    return CLIPImageFeatures(path)
