"""Per-modality projectors: encoder tokens ``[B, T, D_enc]`` -> ``K`` tokens ``[B, K, width]``.

The token budget ``K`` is fixed per modality, so a 30 s clip costs the LLM as many tokens as a
2 s one and every sample in a batch has the same prompt layout.

* ``AttentionPool`` — K learned queries, one softmax attention over the (masked) inputs each.
  AffectGPT's pooling uses un-normalised weights (a ``Linear(d, 1)`` score multiplied straight
  into the features, then one ``nn.Linear`` to the LLM, the vector repeated K times), which makes
  the pooled vector's scale grow with clip length; ours are softmax normalised, so the scale does
  not depend on T and padding is exactly ignored. Upstream's exact pooling is
  ``reproduce.score_pool`` (``variant: reproduce``).
* ``QFormerProjector`` — BLIP-2's Q-Former idea in a few lines: K learned queries through
  ``layers`` transformer decoder layers (self-attention among the queries, cross-attention into
  the inputs). Costlier, more expressive.

Inputs get a sinusoidal position code, so the order of frames and of audio positions is visible
to the queries without a learned table that would cap the length.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """``[length, dim]`` sine/cosine position code (Vaswani et al.), any length, no parameters."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    half = dim // 2
    freq = torch.exp(-math.log(10_000.0) * torch.arange(half, device=device, dtype=torch.float32) / max(1, half))
    angles = pos * freq[None]
    code = torch.zeros(length, dim, device=device)
    code[:, 0:2 * half:2] = torch.sin(angles)
    code[:, 1:2 * half:2] = torch.cos(angles)
    return code


class _InputNorm(nn.Module):
    """LayerNorm + linear map of the encoder features to ``width``, plus the position code."""

    def __init__(self, in_dim: int, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(in_dim)
        self.proj = nn.Linear(in_dim, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.norm(x))
        return h + sinusoidal_positions(h.shape[1], h.shape[2], h.device).to(h.dtype)


class AttentionPool(nn.Module):
    """K learned queries, each a softmax-normalised weighted mean of the inputs, then an MLP."""

    def __init__(self, in_dim: int, width: int, num_tokens: int, heads: int = 4):
        super().__init__()
        self.inp = _InputNorm(in_dim, width)
        self.queries = nn.Parameter(torch.randn(num_tokens, width) * 0.02)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(),
                                 nn.Linear(2 * width, width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x [B, T, D]``, ``mask [B, T]`` (True = real position) -> ``[B, K, width]``."""
        h = self.inp(x)
        mask = _keep_one(mask)
        q = self.queries.unsqueeze(0).expand(h.shape[0], -1, -1)
        pooled, _ = self.attn(q, h, h, key_padding_mask=~mask, need_weights=False)
        return pooled + self.mlp(pooled)


class QFormerProjector(nn.Module):
    """K learned queries through ``layers`` decoder layers that cross-attend into the inputs."""

    def __init__(self, in_dim: int, width: int, num_tokens: int, heads: int = 4, layers: int = 2):
        super().__init__()
        self.inp = _InputNorm(in_dim, width)
        self.queries = nn.Parameter(torch.randn(num_tokens, width) * 0.02)
        layer = nn.TransformerDecoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True, activation="gelu")
        self.decoder = nn.TransformerDecoder(layer, layers, norm=nn.LayerNorm(width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        mask = _keep_one(mask)
        q = self.queries.unsqueeze(0).expand(h.shape[0], -1, -1)
        return self.decoder(q, h, memory_key_padding_mask=~mask)


def _keep_one(mask: torch.Tensor) -> torch.Tensor:
    """Rows with no valid position (an absent modality, replaced downstream anyway) keep position 0
    valid, so attention never normalises over an empty set (which gives NaN, and NaN * 0 = NaN)."""
    mask = mask.bool()
    empty = ~mask.any(dim=1)
    if empty.any():
        mask = mask.clone()
        mask[empty, 0] = True
    return mask


def build_projector(kind: str, in_dim: int, width: int, num_tokens: int, heads: int, layers: int) -> nn.Module:
    if kind == "attention":
        return AttentionPool(in_dim, width, num_tokens, heads)
    if kind == "qformer":
        return QFormerProjector(in_dim, width, num_tokens, heads, layers)
    raise ValueError(f"unknown projector {kind!r}")
