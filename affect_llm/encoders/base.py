"""The one small interface every frozen encoder follows.

An encoder turns a batch of clip tensors into tokens ``[B, T, D]``. ``encoder_id`` names the
weights *and* the preprocessing, so the feature cache (issue C) can key on it: two encoders with
the same id must give the same features for the same input.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Encoder(Protocol):
    encoder_id: str
    dim: int

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        """Batch of inputs -> tokens ``[B, T, dim]`` (float32, no grad)."""
