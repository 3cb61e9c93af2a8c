"""Frozen encoders: clip tensors in, ``[B, T, D]`` tokens out. See ``base.Encoder``."""
