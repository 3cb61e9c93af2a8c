"""Encoder outputs of a batch of clips, in the shape the AffectGPT model's ``forward`` takes.

One clip's features are a ``ClipFeatures`` mapping, stream name -> ``[T, D]`` tensor, where a
stream the clip lacks (no audio track, no face found) is simply not a key. A batch pads each
stream to its longest clip and says which positions are real (``mask``) and which clips have
the stream at all (``present``). Whether they came from the cache or from live encoders, the
model sees exactly this.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ClipFeatures = dict[str, torch.Tensor]


@dataclass
class ModalityBatch:
    """One stream for a batch: ``features [B, T, D]`` (zero padded), ``mask [B, T]``, ``present [B]``."""

    features: torch.Tensor
    mask: torch.Tensor
    present: torch.Tensor

    def to(self, device: torch.device | str) -> ModalityBatch:
        return ModalityBatch(self.features.to(device), self.mask.to(device), self.present.to(device))

    def zeroed(self) -> ModalityBatch:
        """The same stream with every feature set to 0 but still marked present (for ablations:
        the model is told the modality is there, but it carries no information)."""
        return ModalityBatch(torch.zeros_like(self.features), self.mask, self.present)


def collate_features(items: list[ClipFeatures], dims: dict[str, int],
                     dropped: list[set[str]] | None = None) -> dict[str, ModalityBatch]:
    """Pad per-clip features into ``ModalityBatch``es; ``dropped[i]`` lists streams to treat as absent
    for clip ``i`` (modality dropout)."""
    out: dict[str, ModalityBatch] = {}
    for name, dim in dims.items():
        lengths = []
        for i, item in enumerate(items):
            t = item.get(name)
            gone = t is None or (dropped is not None and name in dropped[i])
            lengths.append(0 if gone else int(t.shape[0]))
        length = max(1, max(lengths, default=0))
        feats = torch.zeros(len(items), length, dim, dtype=torch.float32)
        mask = torch.zeros(len(items), length, dtype=torch.bool)
        for i, (item, n) in enumerate(zip(items, lengths)):
            if n:
                t = item[name]
                if t.shape[-1] != dim:
                    raise ValueError(f"stream {name!r} has width {t.shape[-1]}, the model expects {dim}")
                feats[i, :n] = t.float()
                mask[i, :n] = True
        out[name] = ModalityBatch(feats, mask, torch.tensor([n > 0 for n in lengths], dtype=torch.bool))
    return out
