"""Encoder features of clips: made once by the frozen encoders (``extract``), kept in safetensors
shards (``cache``), batched for the model (``batch``)."""

from .batch import ClipFeatures, ModalityBatch, collate_features
from .cache import FeatureCache, clip_digest
from .extract import FeatureExtractor, StreamSpec

__all__ = [
           "ClipFeatures",
           "FeatureCache",
           "FeatureExtractor",
           "ModalityBatch",
           "StreamSpec",
           "clip_digest",
           "collate_features",
]
