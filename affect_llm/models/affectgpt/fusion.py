"""Pre-fusion: audio and video tokens meet before the LLM, and fused tokens come out.

Every fusion takes the projected streams (a dict ``name -> [B, K_name, width]``, absent streams
already replaced by their learned "absent" tokens, so no stream is ever empty) and returns
``(streams, fused)``: the streams to place in the prompt (possibly updated) and the fused tokens
``[B, K_fused, width]`` (``None`` for ``none``).

* ``none``      — plain concatenation, as Emotion-LLaMA: the LLM does all the mixing.
* ``attention`` — a small transformer over [fusion tokens; stream 1; stream 2; ...] with a
  learned type embedding per stream: every audio token attends to every video token and back.
  The streams come out cross-informed and the fusion tokens summarise them.
* ``qformer``   — learned queries cross-attend into all streams (streams unchanged).
* ``gate``      — after AffectGPT's pre-fusion, not the same: an MLP (Linear, GELU, Linear) over
  the concatenated mean-pooled *projected* streams gives one softmax weight per stream, and the
  weighted sum of the pooled streams is a single fused token. Upstream gates the *raw encoder
  states* with two Linears and no activation or softmax; that exact module is
  ``reproduce.ReproduceStreams`` (``variant: reproduce``), and the README there lists the
  differences.

These are the ``improved`` variant's fusions; every one exposes ``num_tokens`` (what the prompt
reserves for it).
"""

from __future__ import annotations

import torch
from torch import nn


class NoFusion(nn.Module):
    num_tokens = 0

    def forward(self, streams: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], None]:
        return streams, None


class AttentionFusion(nn.Module):
    def __init__(self, names: list[str], width: int, heads: int, num_tokens: int, layers: int):
        super().__init__()
        self.names = list(names)
        self.num_tokens = num_tokens
        self.fusion_tokens = nn.Parameter(torch.randn(num_tokens, width) * 0.02)
        self.type_embed = nn.Parameter(torch.zeros(len(names) + 1, width))
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)

    def forward(self, streams: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        batch = next(iter(streams.values())).shape[0]
        parts = [self.fusion_tokens.unsqueeze(0).expand(batch, -1, -1) + self.type_embed[0]]
        sizes = []
        for i, name in enumerate(self.names, start=1):
            parts.append(streams[name] + self.type_embed[i])
            sizes.append(streams[name].shape[1])
        out = self.encoder(torch.cat(parts, dim=1))
        fused, rest = out[:, :self.num_tokens], out[:, self.num_tokens:]
        # Residual on the streams: a stream the fusion has not learned to use yet passes through.
        updated = {name: streams[name] + chunk
                   for name, chunk in zip(self.names, torch.split(rest, sizes, dim=1))}
        return updated, fused


class QFormerFusion(nn.Module):
    def __init__(self, names: list[str], width: int, heads: int, num_tokens: int, layers: int):
        super().__init__()
        self.names = list(names)
        self.num_tokens = num_tokens
        self.queries = nn.Parameter(torch.randn(num_tokens, width) * 0.02)
        self.type_embed = nn.Parameter(torch.zeros(len(names), width))
        layer = nn.TransformerDecoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True, activation="gelu")
        self.decoder = nn.TransformerDecoder(layer, layers, norm=nn.LayerNorm(width))

    def forward(self, streams: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        memory = torch.cat([streams[n] + self.type_embed[i] for i, n in enumerate(self.names)], dim=1)
        q = self.queries.unsqueeze(0).expand(memory.shape[0], -1, -1)
        return streams, self.decoder(q, memory)


class GateFusion(nn.Module):
    """One fused token = sum_m w_m * mean(stream_m), with w = softmax(MLP([mean_1; ...; mean_M])) over the
    projected streams (a convex mix; upstream's gate is ``reproduce.ReproduceStreams``)."""

    num_tokens = 1

    def __init__(self, names: list[str], width: int):
        super().__init__()
        self.names = list(names)
        self.gate = nn.Sequential(nn.Linear(len(names) * width, width), nn.GELU(), nn.Linear(width, len(names)))

    def forward(self, streams: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        pooled = torch.stack([streams[n].mean(dim=1) for n in self.names], dim=1)  # [B, M, W]
        weights = self.gate(pooled.flatten(1)).softmax(dim=-1)  # [B, M]: which stream it leans on
        return streams, (weights.unsqueeze(-1) * pooled).sum(dim=1, keepdim=True)


def build_fusion(kind: str, names: list[str], width: int, heads: int, num_tokens: int, layers: int) -> nn.Module:
    if kind == "none":
        return NoFusion()
    if kind == "attention":
        return AttentionFusion(names, width, heads, num_tokens, layers)
    if kind == "qformer":
        return QFormerFusion(names, width, heads, num_tokens, layers)
    if kind == "gate":
        return GateFusion(names, width)
    raise ValueError(f"unknown fusion {kind!r}")
