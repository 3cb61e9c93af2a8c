"""Self-supervised speech encoders (HuBERT, wav2vec 2.0, WavLM, data2vec-audio) from a local Hugging
Face folder, read the way AffectGPT reads chinese-hubert-large.

Upstream's audio stream (``HUBERT_LARGE`` with ImageBind's ``load_audio``): the track is padded
with zeros to at least 2 s, then cut into 8 windows of 2 s whose starts are spread evenly over
``[0, duration - 2]`` (pytorchvideo's ``ConstantClipsPerVideoSampler``; windows overlap on short
clips and leave gaps on long ones). The 8 windows go through ``Wav2Vec2FeatureExtractor`` as *one*
2-D array, so ``do_normalize`` standardises all windows together, not each one. Each window's
features are the mean of the last 4 hidden states, averaged over time: 8 tokens of the model's
hidden size (1024 for the large models) per clip. We do exactly that.

Chosen automatically for an audio stream whose encoder folder's ``config.json`` has one of
``SSL_MODEL_TYPES`` (``features.extract.load_stream_encoder``).
"""

from __future__ import annotations

import functools
import json
import logging
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ModelError

log = logging.getLogger(__name__)

SSL_MODEL_TYPES = ("hubert", "wav2vec2", "wavlm", "data2vec-audio")
SAMPLE_RATE = 16_000
WINDOW_SECONDS = 2
NUM_WINDOWS = 8
LAST_LAYERS = 4


def is_ssl_speech_folder(path: str | Path) -> bool:
    """True for a local HF folder holding one of ``SSL_MODEL_TYPES``."""
    cfg = Path(path).expanduser() / "config.json"
    try:
        return json.loads(cfg.read_text()).get("model_type") in SSL_MODEL_TYPES
    except (OSError, ValueError, AttributeError):
        return False


def window_starts(num_samples: int, sample_rate: int = SAMPLE_RATE, window_s: int = WINDOW_SECONDS,
                  count: int = NUM_WINDOWS) -> list[int]:
    """First sample of each window: ``i * max(duration - window, 0) / (count - 1)`` seconds, floored
    to a sample as upstream's ``int(start * sample_rate)`` does (exact fractions, as pytorchvideo)."""
    duration = max(num_samples, window_s * sample_rate) / sample_rate  # a float, as upstream computes it
    step = Fraction(max(duration - window_s, 0)) / max(count - 1, 1)
    return [int(step * i * sample_rate) for i in range(count)]


def upstream_windows(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``[8, 32000]`` float32 windows of a mono 16 kHz track (zero padded to 2 s first)."""
    size = WINDOW_SECONDS * sample_rate
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size < size:
        audio = np.pad(audio, (0, size - audio.size))
    return np.stack([audio[s:s + size] for s in window_starts(audio.size, sample_rate)])


class SSLSpeechEncoder(nn.Module):
    """Frozen HuBERT-family model: mono 16 kHz audio ``[B, S]`` -> ``[B, 8, hidden]``."""

    def __init__(self, path: str | Path):
        super().__init__()
        from transformers import AutoModel, Wav2Vec2FeatureExtractor

        path = Path(path).expanduser()
        try:
            self.model = AutoModel.from_pretrained(path)
            extractor = Wav2Vec2FeatureExtractor.from_pretrained(path)
        except Exception as exc:  # transformers raises many types for a bad folder
            raise ModelError(f"cannot load the speech encoder in {path}: {exc}") from exc
        self.model.eval().requires_grad_(False)
        self.do_normalize = bool(extractor.do_normalize)
        self.dim = int(self.model.config.hidden_size)
        weights = next(iter(sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))), None)
        from .frames import _weights_digest

        digest = _weights_digest(weights) if weights else "noweights"
        self.encoder_id = (f"hf-{self.model.config.model_type}-{path.name}-{digest}"
                           f"@{NUM_WINDOWS}x{WINDOW_SECONDS}s-last{LAST_LAYERS}{'-norm' if self.do_normalize else ''}")

    @torch.inference_mode()
    def encode(self, audio: torch.Tensor | np.ndarray) -> torch.Tensor:
        batch = torch.as_tensor(audio, dtype=torch.float32)
        batch = batch.reshape(batch.shape[0], -1)
        out = []
        device = next(self.model.parameters()).device
        for clip in batch:
            x = upstream_windows(clip.numpy())
            if self.do_normalize:  # all windows as one array, as Wav2Vec2FeatureExtractor sees them upstream
                x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
            states = self.model(torch.from_numpy(x).to(device), output_hidden_states=True).hidden_states
            feats = torch.stack(states[-LAST_LAYERS:]).mean(0).mean(1)  # [8, hidden]
            out.append(feats.float().cpu())
        return torch.stack(out)


@functools.lru_cache(maxsize=2)
def load_ssl_speech(path: str) -> SSLSpeechEncoder:
    """One copy per process and folder."""
    return SSLSpeechEncoder(path)
