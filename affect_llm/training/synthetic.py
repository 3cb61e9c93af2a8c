"""A synthetic emotion dataset whose answer is carried by a known modality — the learnability proof.

Each clip is a short mp4 (ffmpeg) whose emotion is recoverable

* ``audio``    — only from the audio: a harmonic tone whose pitch encodes the emotion; the video is
  uninformative grey noise;
* ``video``    — only from the video: the frames are tinted with the emotion's colour (with
  noise and a moving bright patch); the audio is silent, or there is no audio track at all;
* ``both``     — from either: the pitch and the colour agree;
* ``conflict`` — the colour says one emotion and the pitch another; the answer names both.

A model that reaches high held-out accuracy on ``audio`` clips must be reading the audio stream,
and zeroing that stream must bring it back to chance (the ablation); the same for ``video``.
Targets are MER-Caption-style: a faithful description and the emotion list.

    affect-llm data synth OUT_DIR --train-per-class 12 --val-per-class 6
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

log = logging.getLogger(__name__)

EMOTIONS = ("happy", "sad", "angry", "surprised")
PITCH_HZ = {"sad": 150.0, "angry": 300.0, "happy": 600.0, "surprised": 1200.0}
PITCH_WORD = {"sad": "very low", "angry": "low", "happy": "high", "surprised": "very high"}
COLOUR_RGB = {"happy": (230, 200, 40), "sad": (40, 70, 210), "angry": (210, 35, 30), "surprised": (40, 190, 70)}
COLOUR_WORD = {"happy": "yellow", "sad": "blue", "angry": "red", "surprised": "green"}
SAMPLE_RATE = 16_000


@dataclass
class SynthClip:
    id: str
    kind: str
    audio_emotion: str | None
    video_emotion: str | None
    emotions: list[str]
    description: str
    has_audio_track: bool


def _description(kind: str, a: str | None, v: str | None, has_track: bool) -> str:
    if kind == "audio":
        return (f"In the video, the screen is plain grey and shows no clue. In the audio, a {PITCH_WORD[a]} "
                f"tone suggests that the person is {a}.")
    if kind == "video":
        sound = "there is no sound" if has_track else "there is no audio track"
        return f"In the video, the screen is {COLOUR_WORD[v]}, which suggests that the person is {v}. In the audio, {sound}."
    if kind == "both":
        return (f"In the video, the screen is {COLOUR_WORD[v]}, and in the audio, a {PITCH_WORD[a]} tone; "
                f"both suggest that the person is {v}.")
    return (f"In the video, the screen is {COLOUR_WORD[v]}, which suggests {v}, while in the audio, a "
            f"{PITCH_WORD[a]} tone suggests {a}. The person seems {v} and {a}.")


def plan(per_class: int, seed: int, prefix: str) -> list[SynthClip]:
    """The clips of one split: ``per_class`` clips per emotion for audio, video and both; conflict
    clips for ``per_class`` ordered pairs of different emotions."""
    rng = random.Random(f"synth/{seed}/{prefix}")
    clips: list[SynthClip] = []
    for kind in ("audio", "video", "both"):
        for e in EMOTIONS:
            for i in range(per_class):
                a = e if kind in ("audio", "both") else None
                v = e if kind in ("video", "both") else None
                track = True if kind != "video" else (i % 2 == 0)
                clips.append(SynthClip(f"{prefix}-{kind}-{e}-{i:03d}", kind, a, v, [e], _description(kind, a, v, track),
                                       track))
    pairs = [(v, a) for v in EMOTIONS for a in EMOTIONS if v != a]
    for i in range(per_class):
        v, a = pairs[rng.randrange(len(pairs))]
        clips.append(SynthClip(f"{prefix}-conflict-{v}-{a}-{i:03d}", "conflict", a, v, [v, a],
                               _description("conflict", a, v, True), True))
    return clips


def _tone(emotion: str | None, seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    if emotion is None:  # "silent": a faint noise floor, as a real silent track has
        return (rng.standard_normal(n) * 1e-4).astype(np.float32)
    f0 = PITCH_HZ[emotion] * rng.uniform(0.95, 1.05)
    t = np.arange(n) / SAMPLE_RATE
    wave_ = sum(amp * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi))
                for k, amp in ((1, 1.0), (2, 0.4), (3, 0.2)))
    env = np.minimum(1.0, np.minimum(t / 0.05, (seconds - t) / 0.05)).clip(0, 1)
    amp = rng.uniform(0.2, 0.5)
    return (amp * env * wave_ / 1.6 + rng.standard_normal(n) * 0.01).astype(np.float32)


def _frames(emotion: str | None, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    base = np.array(COLOUR_RGB[emotion] if emotion else (128, 128, 128), dtype=np.float32)
    base = base * rng.uniform(0.85, 1.15)
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:size, 0:size]
    cx0, cy0 = rng.uniform(0.2, 0.8, size=2) * size
    dx, dy = rng.uniform(-0.3, 0.3, size=2) * size / max(1, n)
    for i in range(n):
        img = base[None, None, :] + rng.normal(0, 18, size=(size, size, 3))
        blob = np.exp(-((xx - cx0 - dx * i) ** 2 + (yy - cy0 - dy * i) ** 2) / (2 * (size / 8) ** 2))
        img = img + 60 * blob[..., None]
        frames[i] = np.clip(img, 0, 255).astype(np.uint8)
    return frames


def write_clip(path: Path, frames: np.ndarray, audio: np.ndarray | None, fps: int) -> Path:
    """Encode ``frames`` (and 16 kHz mono ``audio``, or no audio track) as H.264/AAC mp4."""
    if shutil.which("ffmpeg") is None:
        raise InputError("ffmpeg is not installed: `apt-get install -y ffmpeg` to make synthetic clips")
    _, h, w, _ = frames.shape
    with tempfile.TemporaryDirectory(prefix="affect-synth-") as tmp:
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
               "-r", str(fps), "-i", "-"]
        if audio is not None:
            wav = Path(tmp) / "a.wav"
            with wave.open(str(wav), "wb") as wf:
                wf.setnchannels(1)
                wf.setsampwidth(2)
                wf.setframerate(SAMPLE_RATE)
                wf.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
            cmd += ["-i", str(wav), "-c:a", "aac", "-b:a", "48k", "-ar", str(SAMPLE_RATE), "-ac", "1"]
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1",
                "-fflags", "+bitexact", "-map_metadata", "-1", str(path.with_suffix(".tmp.mp4"))]
        proc = subprocess.run(cmd, input=frames.tobytes(), capture_output=True, check=False)
        if proc.returncode != 0:
            raise InputError(f"ffmpeg could not write {path}: {proc.stderr.decode(errors='replace')[-400:]}")
    path.with_suffix(".tmp.mp4").replace(path)
    return path


def make_dataset(out_dir: str | Path, train_per_class: int = 12, val_per_class: int = 6, seed: int = 0,
                 seconds: float = 1.0, fps: int = 8, size: int = 64) -> dict[str, Path]:
    """Write ``clips/*.mp4``, ``train.jsonl`` and ``val.jsonl`` (with a ``kind`` field per line) to
    ``out_dir``; existing clips are kept (the generator is deterministic). Returns the manifest paths."""
    out = Path(out_dir)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    manifests = {}
    for split, per_class in (("train", train_per_class), ("val", val_per_class)):
        lines = []
        for clip in plan(per_class, seed, split):
            path = out / "clips" / f"{clip.id}.mp4"
            if not path.exists():
                rng = np.random.default_rng(_stable_seed(seed, clip.id))
                frames = _frames(clip.video_emotion, max(2, int(seconds * fps)), size, rng)
                audio = _tone(clip.audio_emotion, seconds, rng) if clip.has_audio_track else None
                write_clip(path, frames, audio, fps)
            lines.append(json.dumps({"id": clip.id, "video": f"clips/{clip.id}.mp4", "description": clip.description,
                                     "emotions": clip.emotions, "kind": clip.kind,
                                     "audio_emotion": clip.audio_emotion, "video_emotion": clip.video_emotion}))
        manifests[split] = out / f"{split}.jsonl"
        manifests[split].write_text("\n".join(lines) + "\n")
    log.info("synthetic dataset in %s: %s", out, {k: str(v) for k, v in manifests.items()})
    return manifests


def _stable_seed(seed: int, ident: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(f"{seed}/{ident}".encode()).digest()[:4], "little")
