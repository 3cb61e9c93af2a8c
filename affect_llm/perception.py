"""Perceive a clip: decode it, find faces, read expressions, measure prosody, get the words.

This is the model-independent front half of every entry point (``describe`` now; ``infer``,
``chat`` and ``serve`` later), so they all see a clip the same way. Heavy components (Whisper,
the expression model) load once per process through cached loaders.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .cues import Cues, candidate_emotions, face_cues, voice_cues, word_cues

log = logging.getLogger(__name__)


@dataclass
class PerceiveOptions:
    num_frames: int = 8
    max_side: int = 1280
    subtitle: str | None = None  # user-given words; otherwise a sidecar .srt/.txt, otherwise Whisper
    whisper: str = "bundled"  # "bundled", an openai-whisper .pt file, or a Hugging Face Whisper folder
    transcribe: bool = True


@dataclass
class Perception:
    clip_id: str
    path: Path
    clip: Any  # media.clip.Clip
    faces: Any  # media.faces.FaceTrack
    expressions: np.ndarray | None  # [N, 7] probabilities
    prosody: Any  # media.prosody.Prosody
    subtitle: str | None
    subtitle_source: str
    cues: Cues
    timings: dict[str, float] = field(default_factory=dict)

    def cues_dict(self) -> dict[str, Any]:
        d = self.cues.to_dict()
        d["clip"] = {"duration_s": round(self.clip.duration, 3), "fps": round(self.clip.fps, 3),
                     "width": self.clip.width, "height": self.clip.height,
                     "frames_sampled": int(len(self.clip.frames)),
                     "frame_times_s": [round(float(t), 3) for t in self.clip.frame_times],
                     "downscaled": bool(self.clip.downscaled)}
        return d


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = round(time.perf_counter() - start, 4)


def perceive(path: str | Path, options: PerceiveOptions | None = None) -> Perception:
    """Run the perception stages on one clip. Bad input raises ``InputError`` naming the file."""
    from .encoders.expression import load_expression_model
    from .media.clip import read_clip
    from .media.faces import detect_faces
    from .media.prosody import analyze_prosody
    from .media.subtitle import resolve_subtitle

    options = options or PerceiveOptions()
    path = Path(path)
    timings: dict[str, float] = {}
    with _timed(timings, "decode_s"):
        clip = read_clip(path, num_frames=options.num_frames, max_side=options.max_side)
    with _timed(timings, "faces_s"):
        faces = detect_faces(clip.frames)
    with _timed(timings, "expression_s"):
        expressions = load_expression_model().predict(faces.crops) if faces.found.any() else None
    with _timed(timings, "prosody_s"):
        prosody = analyze_prosody(clip.audio, clip.sample_rate)

    subtitle, source = resolve_subtitle(path, options.subtitle)
    if subtitle is None and options.transcribe and clip.audio is not None and prosody.speech_found:
        from .encoders.whisper_audio import load_whisper

        with _timed(timings, "transcribe_s"):
            transcript = load_whisper(options.whisper).transcribe(clip.audio)
        if transcript.text.strip():
            subtitle, source = transcript.text.strip(), "whisper"

    face = face_cues(expressions, faces.found, len(clip.frames))
    voice = voice_cues(clip.audio is not None, prosody)
    words = word_cues(subtitle, source)
    missing = [name for name, absent in (
        ("face", not face.found),
        ("audio", clip.audio is None),
        ("speech", clip.audio is not None and not voice.speech_found),
        ("words", not subtitle),
    ) if absent]
    cues = Cues(face=face, voice=voice, words=words,
                candidates=candidate_emotions(face, voice, words), missing=missing)
    log.info("perceived %s: missing=%s candidates=%s", path.name, missing, cues.candidates)
    return Perception(clip_id=path.stem, path=path, clip=clip, faces=faces, expressions=expressions,
                      prosody=prosody, subtitle=subtitle, subtitle_source=source, cues=cues, timings=timings)
