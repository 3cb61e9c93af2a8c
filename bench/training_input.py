"""Training input: the features of an epoch of N clips read from the feature cache vs computed
by the live frozen encoders (Whisper tiny.en on audio, MobileNetV2 on face crops and frames) —
the two ways ``data.features: cache | live`` feed the same training step. The step itself
(projectors + LLM) costs the same either way, so it is left out of both sides."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .common import Row, example_copies, interleaved


def run(quick: bool = False) -> Row:
    from affect_llm.features.cache import FeatureCache
    from affect_llm.features.extract import FeatureExtractor, StreamSpec

    n = 4 if quick else 12
    root = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    clips = example_copies(root, n, distinct=True)  # the cache keys on content
    extractor = FeatureExtractor([StreamSpec("audio", "audio", "bundled"),
                                  StreamSpec("faces", "faces", "mobilenet_v2"),
                                  StreamSpec("frames", "frames", "mobilenet_v2")])
    cache = FeatureCache.for_extractor(extractor, root / "cache")
    digests = cache.ensure(clips, extractor.from_clip, on_error=lambda p, e: None, progress=False)

    def from_cache() -> None:
        for p in clips:
            assert cache.get(digests[p]) is not None

    def live() -> None:
        for p in clips:
            extractor.from_clip(p)

    repeats = 2 if quick else 3
    a, b = interleaved(from_cache, live, repeats)
    shutil.rmtree(root, ignore_errors=True)
    return Row(name=f"training input ({n} clips, one epoch of features)", ours_label="feature cache",
               base_label="live encoders", unit="s/epoch", ours=round(a, 3), base=round(b, 3),
               ratio=round(b / a, 1), target=">= 5x", met=b / a >= 5, repeats=repeats)
