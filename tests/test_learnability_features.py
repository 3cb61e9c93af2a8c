"""The learnability evaluation reads the features training cached, for clips with side files too."""

from __future__ import annotations

import numpy as np
import torch

from affect_llm.features.cache import FeatureCache, clip_digest
from affect_llm.training.data import Sample
from affect_llm.training.learnability import cached_features


def test_evaluation_finds_what_training_cached_for_clips_with_side_files(tmp_path):
    video, faces = tmp_path / "a.mp4", tmp_path / "a_faces.npy"
    video.write_bytes(b"not decoded here")
    np.save(faces, np.zeros((2, 4, 4, 3), np.uint8))
    samples = [Sample("a", video, None, "calm", None, 1, tmp_path / "val.jsonl", faces=faces),
               Sample("b", video, None, "calm", None, 2, tmp_path / "val.jsonl")]  # the bare video
    cache = FeatureCache(tmp_path / "cache", {"streams": "test"}, "test-spec")
    stored = {s.id: {"audio": torch.full((3, 4), float(i))} for i, s in enumerate(samples)}
    cache.put({clip_digest(s.clip): stored[s.id] for s in samples})  # what training's cache holds
    features = cached_features(cache, samples, extractor=None)  # None: a miss is an error, not a re-encode
    for s in samples:
        torch.testing.assert_close(features(s)["audio"], stored[s.id]["audio"])
