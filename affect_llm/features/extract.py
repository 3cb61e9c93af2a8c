"""Run the frozen encoders on a clip: the one place features are made, for the cache and live use.

``FeatureExtractor`` reads a clip the way ``perceive`` does (``read_clip`` with the same frame
count and size limit, the detected face's crops) and turns each configured stream into a ``[T, D]``
tensor:

* ``audio``  — Whisper encoder states over the real audio only (50 per second, padding cut off);
* ``faces``  — one frame-encoder token per frame in which a face was found;
* ``frames`` — one frame-encoder token per sampled frame.

Features are rounded to ``sampling.feature_dtype`` here, in the live path too, so training from
the cache and training with live encoders see bit-identical inputs.

``spec`` (and its digest ``spec_id``) names the encoders (their ``encoder_id``: weights and
preprocessing) and the sampling settings; the feature cache keys on it, so changing any of them
can never serve stale features.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ModelError
from ..media.faces import DETECTOR_ID
from .batch import ClipFeatures
from .clipfiles import ClipFiles, load_openface_faces, load_wav

log = logging.getLogger(__name__)

# Bump when the way features are made changes (cropping, trimming, rounding): old caches go stale.
EXTRACTOR_VERSION = 1
PRECOMPUTED = "precomputed"


@dataclass(frozen=True)
class StreamSpec:
    """What the extractor needs to know about one stream (a subset of ``ModalityConfig``)."""

    name: str
    source: str  # audio | faces | frames
    encoder: str
    image_features: str = "pooled"  # pooled | projected (CLIP's get_image_features)


def parse_precomputed(spec: str) -> tuple[str, int] | None:
    """``"precomputed:ID:DIM"`` -> ``(ID, DIM)``; None for a real encoder spec."""
    if not spec.startswith(PRECOMPUTED + ":"):
        return None
    try:
        _, ident, dim = spec.split(":")
        return ident, int(dim)
    except ValueError:
        raise ModelError(f"encoder spec {spec!r} must be 'precomputed:ID:DIM', e.g. "
                         "'precomputed:random-64:64'") from None


class _Precomputed:
    """Stands in for an encoder whose features only ever come from the feature cache."""

    def __init__(self, spec: str):
        ident, dim = parse_precomputed(spec)  # type: ignore[misc]
        self.encoder_id = f"{PRECOMPUTED}:{ident}"
        self.dim = dim
        self.spec = spec

    def encode(self, inputs: Any) -> torch.Tensor:
        raise ModelError(f"encoder {self.spec!r} cannot compute features: they must come from the feature "
                         "cache. Build the cache with the real encoders, or train from it (data.features: cache)")


class LogMelEncoder:
    """Whisper's 80-bin log-mel front end, averaged to 50 frames per second: an audio "encoder" with
    no network at all.

    Why: on a CPU the Whisper encoder costs ~0.4 s per clip because it always pads to 30 s; the
    log-mel features carry pitch, loudness and rhythm, which is what the CPU learnability proof
    and quick experiments need, at ~5 ms per clip. Real models use Whisper / HuBERT.
    """

    dim = 80
    encoder_id = "logmel-80x50hz@1"
    samples_per_token = 320

    def valid_tokens(self, num_samples: int) -> int:
        return max(1, -(-num_samples // self.samples_per_token))

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F
        from whisper.audio import log_mel_spectrogram

        audio = torch.as_tensor(audio, dtype=torch.float32)
        out = []
        for clip in audio.reshape(audio.shape[0], -1):
            mel = log_mel_spectrogram(clip, 80)  # [80, frames] at 100 per second, whisper-normalised
            out.append(F.avg_pool1d(mel[None], 2, ceil_mode=True)[0].T)
        return torch.stack(out)


BUILTIN_SPECS = ("bundled", "mobilenet_v2", "logmel")


def _resolve_path_spec(spec: str, base_dir: Path | None) -> str:
    if spec in BUILTIN_SPECS or spec.startswith(PRECOMPUTED + ":"):
        return spec
    path = Path(spec).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = (base_dir / path).resolve()
    return str(path)


def load_stream_encoder(source: str, spec: str, base_dir: Path | None = None, image_features: str = "pooled") -> Any:
    """The frozen encoder for ``source`` named by ``spec`` (cached per process by the loaders);
    ``image_features: projected`` reads a CLIP folder's projected features (AffectGPT's)."""
    spec = _resolve_path_spec(spec, base_dir)
    if parse_precomputed(spec):
        return _Precomputed(spec)
    if source == "audio":
        if spec == "logmel":
            return LogMelEncoder()
        from ..encoders.ssl_audio import is_ssl_speech_folder, load_ssl_speech

        if is_ssl_speech_folder(spec):  # HuBERT & co.: AffectGPT's 8 x 2 s windows
            return load_ssl_speech(spec)
        from ..encoders.whisper_audio import load_whisper

        return load_whisper(spec)
    if image_features == "projected":
        from ..encoders.clip_features import load_clip_features

        return load_clip_features(spec)
    from ..encoders.frames import load_frame_encoder

    return load_frame_encoder(spec)


class FeatureExtractor:
    """Frozen encoders for a model's streams, plus the sampling settings; makes ``ClipFeatures``."""

    def __init__(self, streams: list[StreamSpec], num_frames: int = 8, max_side: int = 1280,
                 max_audio_seconds: float = 30.0, feature_dtype: str = "float16", base_dir: Path | None = None,
                 openface_bgr: bool = False):
        self.streams = list(streams)
        self.openface_bgr = openface_bgr  # feed release face crops as stored (BGR), as upstream does
        self.num_frames = num_frames
        self.max_side = max_side
        self.max_audio_seconds = max_audio_seconds
        self.feature_dtype = feature_dtype
        self._resolved = {s.name: _resolve_path_spec(s.encoder, base_dir) for s in self.streams}
        self.encoders = {s.name: load_stream_encoder(s.source, self._resolved[s.name], image_features=s.image_features)
                         for s in self.streams}
        self.device = "cpu"
        self.dims = {name: int(enc.dim) for name, enc in self.encoders.items()}
        self.encoder_ids = {name: str(enc.encoder_id) for name, enc in self.encoders.items()}

    @classmethod
    def from_config(cls, config: Any, base_dir: Path | None = None) -> FeatureExtractor:
        """From an ``AffectGPTConfig`` (its modalities, sampling settings, and the variant's face colour order)."""
        s = config.sampling
        return cls([StreamSpec(m.name, m.source, m.encoder, m.image_features) for m in config.modalities],
                   num_frames=s.num_frames, max_side=s.max_side, max_audio_seconds=s.max_audio_seconds,
                   feature_dtype=s.feature_dtype, base_dir=base_dir, openface_bgr=config.openface_bgr)

    def to(self, device: str | torch.device) -> FeatureExtractor:
        """Run Whisper on ``device`` (its ``encode`` follows its weights). The frame encoders stay on
        the CPU: their ``encode`` builds CPU tensors. Features always come back on the CPU.

        Whisper objects are cached per process and (spec, device) and shared by every holder
        (perception, other extractors), so this one asks ``load_whisper`` for the copy on
        ``device`` instead of moving the shared object under the others."""
        from ..encoders.whisper_audio import WhisperAudio, load_whisper

        device = str(device)
        for s in self.streams:
            if isinstance(self.encoders[s.name], WhisperAudio):
                self.encoders[s.name] = load_whisper(self._resolved[s.name], device)
        self.device = device
        return self

    # --------------------------------------------------------------------------- identity
    @property
    def spec(self) -> dict[str, Any]:
        return {
            "version": EXTRACTOR_VERSION,
            "streams": [[s.name, s.source, self.encoder_ids[s.name]] for s in self.streams],
            "num_frames": self.num_frames,
            "max_side": self.max_side,
            "max_audio_seconds": self.max_audio_seconds,
            "feature_dtype": self.feature_dtype,
            # absent by default and without a faces stream (it changes nothing there): old caches stay valid
            **({"openface_bgr": True} if self.openface_bgr and any(s.source == "faces" for s in self.streams) else {}),
            # who cut the face crops: features of the Haar cascade's crops (no key) are another entry
            **({"face_detector": DETECTOR_ID} if any(s.source == "faces" for s in self.streams) else {}),
        }

    @property
    def spec_id(self) -> str:
        blob = json.dumps(self.spec, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def live(self) -> bool:
        """False when some stream is precomputed (its features can only come from the cache)."""
        return not any(isinstance(e, _Precomputed) for e in self.encoders.values())

    # --------------------------------------------------------------------------- features
    def _round(self, t: torch.Tensor) -> torch.Tensor:
        dtype = getattr(torch, self.feature_dtype)
        # clone(): encoder outputs may be inference-mode tensors, which autograd cannot save.
        return t.detach().to(dtype).float().cpu().clone()

    def from_arrays(self, frames: np.ndarray, face_crops: np.ndarray | None, audio: np.ndarray | None,
                    sample_rate: int = 16_000) -> ClipFeatures:
        """Features from decoded media: frames ``[N, H, W, 3]`` uint8, the crops of the frames that
        hold a face (None: no face), mono 16 kHz audio (None: no audio track)."""
        out: ClipFeatures = {}
        for s in self.streams:
            enc = self.encoders[s.name]
            if s.source == "audio":
                if audio is None or len(audio) == 0:
                    continue
                if sample_rate != 16_000:
                    raise ModelError(f"audio must be 16 kHz for {self.encoder_ids[s.name]}, got {sample_rate} Hz")
                clip = np.asarray(audio, dtype=np.float32)[: int(self.max_audio_seconds * sample_rate)]
                states = enc.encode(torch.from_numpy(clip)[None])[0]
                n = enc.valid_tokens(len(clip)) if hasattr(enc, "valid_tokens") else states.shape[0]
                out[s.name] = self._round(states[:max(1, n)])
            else:
                images = frames if s.source == "frames" else face_crops
                if images is None or len(images) == 0:
                    continue
                out[s.name] = self._round(enc.encode(torch.as_tensor(np.ascontiguousarray(images))[None])[0])
        return out

    def from_clip(self, path: str | Path | ClipFiles) -> ClipFeatures:
        """Decode ``path`` (``InputError`` naming the file when unusable) and encode it.

        A ``ClipFiles`` with side files uses them instead of the video's own: the release's
        OpenFace crops as the face stream (``clipfiles.load_openface_faces``, ``num_frames`` of
        them) and its ``.wav`` as the audio; the video is then decoded only for a frames stream.
        """
        for enc in self.encoders.values():
            if isinstance(enc, _Precomputed):
                enc.encode(None)  # raises: precomputed features cannot be made from a clip
        from ..media.clip import read_clip

        files = path if isinstance(path, ClipFiles) else ClipFiles(Path(path))
        sources = {s.source for s in self.streams}
        faces_from_file = files.faces is not None and "faces" in sources
        audio_from_file = files.audio is not None and "audio" in sources
        needs_video = "frames" in sources or ("faces" in sources and not faces_from_file) or (
            "audio" in sources and not audio_from_file)
        frames, audio, rate = np.zeros((0, 1, 1, 3), np.uint8), None, 16_000
        if needs_video:
            clip = read_clip(files.video, num_frames=self.num_frames, max_side=self.max_side)
            frames, audio, rate = clip.frames, clip.audio, clip.sample_rate
        crops = None
        if faces_from_file:
            crops = load_openface_faces(files.faces, self.num_frames, keep_bgr=self.openface_bgr)  # type: ignore[arg-type]
        if audio_from_file:
            audio, rate = load_wav(files.audio), 16_000  # type: ignore[arg-type]
        if "faces" in sources and not faces_from_file:
            from ..media.faces import detect_faces
            from ..media.vad import voice_activity

            # The face read as ``describe`` reads it: with two people in view, the speaker's. The
            # VAD is asked only then (``detect_faces``): with one person its answer changes nothing.
            faces = detect_faces(frames,
                                 speech_heard=lambda: audio is not None and voice_activity(audio, rate).heard)
            crops = faces.crops[faces.found] if faces.found.any() else None
        return self.from_arrays(frames, crops, audio, rate)

    def from_perception(self, perception: Any) -> ClipFeatures:
        """Features from an ``affect_llm.perception.Perception`` (the describe path)."""
        faces = perception.faces
        crops = faces.crops[faces.found] if faces is not None and faces.found.any() else None
        if perception.clip.has_picture and len(perception.clip.frames) != self.num_frames:
            log.warning("%s: %d frames sampled, the model was trained on %d", perception.path,
                        len(perception.clip.frames), self.num_frames)
        return self.from_arrays(perception.clip.frames, crops, perception.clip.audio, perception.clip.sample_rate)
