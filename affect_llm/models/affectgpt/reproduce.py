"""Upstream AffectGPT's stream modules (``variant: reproduce``), checked against its ``affectgpt.py``.

What upstream does with its ``*_fusion_type: attention`` and ``multi_fusion_type: attention``
(the published best setup), in the order it does it:

* per stream: scores ``Linear(d, 1)`` on the raw encoder states ``[B, T, d]``, multiplied straight
  into the features (``states^T @ scores``: no softmax, no positions, no norm), then one
  ``nn.Linear(d, hidden)`` to the LLM, and the resulting vector repeated ``tokens`` times.
  Faces and frames share one scorer (``video_attention_mlp``) and one projection
  (``affectgpt_proj``); audio has its own (``audio_attention_mlp``, ``audio_llama_proj``).
* pre-fusion: the raw states of the visual stream and of audio are averaged over time, mapped by
  ``multi_video_embs`` / ``multi_audio_embs`` to ``D = max(d_video, d_audio)``, concatenated
  ``[video; audio]``, and ``fc_att(attention_mlp(.))`` (``Linear(2D, D)`` then ``Linear(D, 2)``,
  no activation, no softmax: the two weights may be negative or not sum to 1) mixes the two
  ``D`` vectors. ``multi_llama_proj`` maps the mix to the LLM, repeated ``fusion.tokens`` times.

The attribute names are upstream's, so a converted checkpoint is a rename of its keys
(``convert.py``). Two things upstream never meets are defined here: padded positions (a batch of
clips of different lengths) are zero features, which add nothing to the score-weighted sum and
are left out of the means, so a padded clip gives what it gives alone; an absent stream (no
audio track) is all padding, i.e. zero features, where upstream would refuse the sample.
"""

from __future__ import annotations

import torch
from torch import nn

from ...features.batch import ModalityBatch

VISUAL_SOURCES = ("faces", "frames")


def score_pool(scorer: nn.Linear, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, T, d] -> [B, d]``: ``states^T @ scorer(states)``, the scores not normalised."""
    states = states * mask.unsqueeze(-1).to(states.dtype)
    scores = scorer(states)  # [B, T, 1]; a padded row is zero, so its bias-only score meets zeros
    return torch.matmul(states.transpose(1, 2), scores).squeeze(2)


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real positions (``torch.mean(states, 1)`` when nothing is padded)."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


class ReproduceStreams(nn.Module):
    """Encoder states of every stream -> the LLM-width tokens of the prompt, upstream's way.

    ``budgets``: ``(stream, tokens)`` in prompt order (``"fused"`` for the pre-fusion token),
    ``sources``: stream -> ``audio | faces | frames``, ``dims``: stream -> encoder width.
    """

    def __init__(self, budgets: list[tuple[str, int]], sources: dict[str, str], dims: dict[str, int],
                 hidden: int):
        super().__init__()
        self.budgets = list(budgets)
        self.sources = dict(sources)
        audio = [n for n, s in sources.items() if s == "audio"]
        visual = [n for n, s in sources.items() if s in VISUAL_SOURCES]
        self.audio_stream = audio[0] if audio else None
        # the gate's visual stream: faces (upstream's "multiface" setups), else frames ("multiframe")
        ranked = sorted(visual, key=lambda n: VISUAL_SOURCES.index(sources[n]))
        self.video_stream = ranked[0] if ranked else None
        video_dims = {dims[n] for n in visual}
        if len(video_dims) > 1:
            raise ValueError(f"variant reproduce: faces and frames share one pooler and projection, so their "
                             f"encoders must have one width; they have {sorted(video_dims)}")
        if self.audio_stream is not None:
            d_a = dims[self.audio_stream]
            self.audio_attention_mlp = nn.Linear(d_a, 1)
            self.audio_llama_proj = nn.Linear(d_a, hidden)
        if self.video_stream is not None:
            d_v = dims[self.video_stream]
            self.video_attention_mlp = nn.Linear(d_v, 1)
            self.affectgpt_proj = nn.Linear(d_v, hidden)
        self.num_tokens = dict(budgets).get("fused", 0)
        if self.num_tokens:
            if self.audio_stream is None or self.video_stream is None:
                raise ValueError("variant reproduce: the gate needs an audio and a visual stream")
            d_a, d_v = dims[self.audio_stream], dims[self.video_stream]
            width = max(d_a, d_v)
            self.multi_audio_embs = nn.Linear(d_a, width)
            self.multi_video_embs = nn.Linear(d_v, width)
            self.attention_mlp = nn.Linear(2 * width, width)
            self.fc_att = nn.Linear(width, 2)
            self.multi_llama_proj = nn.Linear(width, hidden)

    def _stream(self, name: str, fb: ModalityBatch) -> torch.Tensor:
        if self.sources[name] == "audio":
            scorer, proj = self.audio_attention_mlp, self.audio_llama_proj
        else:
            scorer, proj = self.video_attention_mlp, self.affectgpt_proj
        return proj(score_pool(scorer, fb.features, fb.mask))  # [B, hidden]

    def gate_weights(self, features: dict[str, ModalityBatch]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(weights [B, 2], video [B, D], audio [B, D])``: the gate's two inputs and its mix weights."""
        v, a = features[self.video_stream], features[self.audio_stream]  # type: ignore[index]
        video = self.multi_video_embs(masked_mean(v.features, v.mask))
        audio = self.multi_audio_embs(masked_mean(a.features, a.mask))
        weights = self.fc_att(self.attention_mlp(torch.cat([video, audio], dim=1)))
        return weights, video, audio

    def _fused(self, features: dict[str, ModalityBatch]) -> torch.Tensor:
        weights, video, audio = self.gate_weights(features)
        mixed = torch.matmul(torch.stack([video, audio], dim=2), weights.unsqueeze(2)).squeeze(2)  # [B, D]
        return self.multi_llama_proj(mixed)

    def forward(self, features: dict[str, ModalityBatch]) -> torch.Tensor:
        """``[B, sum K, hidden]`` in prompt order; each stream's one vector repeated K times."""
        dtype = next(self.parameters()).dtype
        features = {k: ModalityBatch(v.features.to(dtype), v.mask, v.present) for k, v in features.items()}
        outs = []
        for name, k in self.budgets:
            if name != "fused" and name not in features:
                raise ValueError(f"features lack stream {name!r} (have {sorted(features)})")
            vec = self._fused(features) if name == "fused" else self._stream(name, features[name])
            outs.append(vec.unsqueeze(1).expand(-1, k, -1))
        return torch.cat(outs, dim=1)


def reproduce_budgets(modalities: list[tuple[str, str, int]], fused_tokens: int) -> list[tuple[str, int]]:
    """Upstream's prompt order: the merged token, audio, faces, frames (``multiface_audio_face_frame_text``).

    ``modalities``: ``(name, source, tokens)``; ``fused_tokens`` 0 when there is no pre-fusion.
    """
    order = {"audio": 0, "faces": 1, "frames": 2}
    ranked = sorted(modalities, key=lambda m: order[m[1]])
    return ([("fused", fused_tokens)] if fused_tokens else []) + [(name, k) for name, _, k in ranked]
