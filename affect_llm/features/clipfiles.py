"""A clip plus the inputs a dataset release already extracted from it: OpenFace face crops and a wav.

The MER2025 / MER-UniBench releases ship, next to each ``video/<name>.mp4``,
``openface_face/<name>/<name>.npy`` (OV-MERD+: ``openface_face/<name>.npy``) and
``audio/<name>.wav``. AffectGPT trains its face stream on those crops, not on faces it detects
itself, so a reproduction has to read them. ``ClipFiles`` names the three files of one sample;
``FeatureExtractor.from_clip`` takes it wherever it takes a video path, and the feature cache
keys it on all three files' bytes (``clip_digest``), so a face stream made from the release's
crops never shares a cache entry with one made from the crops of our own detector.

The ``.npy`` layout (upstream's ``compress_images_to_npy`` and ``load_face``): one array
``[T, H, W, 3]`` uint8, every aligned face OpenFace wrote for the clip, in frame order, read with
``cv2.imread`` and so in **BGR** order. Upstream samples ``n`` of them at
``arange(0, T, T / min(n, T)).astype(int)`` (the first face of each of ``n`` equal segments),
repeats the last index until there are ``n``, resizes each to 224 x 224 (``cv2.resize``,
bilinear) and feeds them to CLIP without a BGR -> RGB swap. We sample and resize the same way;
``keep_bgr`` decides the channel order (default: convert to RGB, what our encoders and CLIP
expect; ``True`` reproduces upstream's inputs bit for bit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

OPENFACE_SIZE = 224  # upstream resizes every face to this before CLIP


@dataclass(frozen=True)
class ClipFiles:
    """A video and its pre-extracted face crops (``.npy``) and/or audio (``.wav``)."""

    video: Path
    faces: Path | None = None
    audio: Path | None = None

    def __str__(self) -> str:  # messages name the clip the way a plain path would
        extras = [f"{k}={v}" for k, v in (("faces", self.faces), ("audio", self.audio)) if v is not None]
        return f"{self.video} ({', '.join(extras)})" if extras else str(self.video)


def clip_files(video: str | os.PathLike, faces: str | os.PathLike | None = None,
               audio: str | os.PathLike | None = None) -> Path | ClipFiles:
    """The cache/extractor key of a sample: the bare video path when there are no side files
    (so caches made before side files existed stay valid), else a ``ClipFiles``."""
    if faces is None and audio is None:
        return Path(video)
    return ClipFiles(Path(video), Path(faces) if faces is not None else None,
                     Path(audio) if audio is not None else None)


def openface_indices(total: int, num: int) -> np.ndarray:
    """Upstream's uniform face sampling: the first face of ``min(num, total)`` equal segments,
    the last one repeated until there are ``num`` (a 3-face clip asked for 8 gives 0,1,2,2,2,2,2,2)."""
    if total < 1:
        return np.zeros(0, dtype=np.int64)
    n = min(num, total)
    idx = np.arange(0, total, total / n).astype(np.int64)[:n]
    return np.concatenate([idx, np.full(num - n, idx[-1], dtype=np.int64)])


def load_openface_faces(path: str | os.PathLike, num_frames: int, keep_bgr: bool = False) -> np.ndarray | None:
    """``[num_frames, 224, 224, 3]`` uint8 face crops from an OpenFace ``.npy`` (None: it holds no face).

    Raises ``InputError`` naming the file when it is not an ``[T, H, W, 3]`` uint8 array.
    """
    import cv2

    path = Path(path)
    try:
        faces = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy face array ({exc}); re-extract it or drop the "
                         "'faces' key from the manifest line") from exc
    if faces.ndim != 4 or faces.shape[-1] != 3 or faces.dtype != np.uint8:
        raise InputError(f"{path}: expected OpenFace crops [T, H, W, 3] uint8, got {faces.dtype} "
                         f"{list(faces.shape)}")
    if len(faces) == 0:
        return None
    picked = [cv2.resize(np.ascontiguousarray(faces[i]), (OPENFACE_SIZE, OPENFACE_SIZE))
              for i in openface_indices(len(faces), num_frames)]
    out = np.stack(picked)
    return out if keep_bgr else np.ascontiguousarray(out[..., ::-1])


def load_wav(path: str | os.PathLike, sample_rate: int = 16_000) -> np.ndarray | None:
    """A ``.wav`` as mono float32 at ``sample_rate`` (None: empty file); ``InputError`` when unreadable."""
    import decord

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: audio file does not exist")
    try:
        reader = decord.AudioReader(str(path), ctx=decord.cpu(0), sample_rate=sample_rate, mono=True)
        raw = getattr(reader, "_array", None)  # the decoded track; reader[:] would index sample by sample
        samples = np.asarray(raw if raw is not None else reader[:].asnumpy(), dtype=np.float32)
    except decord.DECORDError as exc:
        raise InputError(f"{path}: not a readable audio file ({str(exc).splitlines()[0]})") from exc
    audio = samples.reshape(samples.shape[0], -1).mean(axis=0) if samples.ndim == 2 else samples
    return np.ascontiguousarray(audio, dtype=np.float32) if audio.size else None
