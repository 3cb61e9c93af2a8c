"""Build the example clips in ``examples/`` (and the test corpus) from bundled data only.

Faces come from scikit-image's sample photos, voices from ``espeak-ng`` and the video is encoded
with ``ffmpeg``, so the clips can be rebuilt on any machine without downloading anything and
without licensing questions. Output is deterministic for a given ffmpeg/espeak-ng version:
single-threaded x264, ``bitexact`` flags, no metadata, seeded randomness.

    python examples/make_examples.py [--out DIR]

Tests import ``make_clip`` and ``make_bad_inputs`` to build their own corpus in a temp dir.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

log = logging.getLogger("make_examples")

HERE = Path(__file__).resolve().parent
SPEECH_SAMPLE_RATE = 16000  # what the pipeline decodes to; AAC at 16 kHz mono keeps clips small

CHEERFUL_TEXT = "I just got the news, I passed the exam! I can't believe it, this is wonderful!"
ANGRY_TEXT = "No! I told you three times already. This is completely unacceptable!"
CHEERFUL_VOICE = ["-v", "en-us", "-p", "70", "-s", "185"]
ANGRY_VOICE = ["-v", "en-us", "-p", "30", "-s", "190", "-a", "200"]

# Fixed encoder settings; bitexact keeps library version strings out of the container.
_X264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "30", "-threads", "1",
         "-x264-params", "threads=1:lookahead-threads=1"]
_AAC = ["-c:a", "aac", "-b:a", "32k", "-ar", str(SPEECH_SAMPLE_RATE), "-ac", "1"]
_BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


def missing_tools() -> list[str]:
    """Command-line tools this script needs that are not on PATH."""
    return [t for t in ("ffmpeg", "espeak-ng") if shutil.which(t) is None]


def _run(cmd: list[str], stdin: bytes | None = None) -> None:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-800:]}")


def synthesize(text: str, voice_args: list[str], wav_path: Path) -> float:
    """Speak ``text`` with espeak-ng into ``wav_path``; returns the duration in seconds."""
    _run(["espeak-ng", *voice_args, "-w", str(wav_path), "--stdin"], stdin=text.encode("utf-8"))
    with wave.open(str(wav_path), "rb") as wf:
        return wf.getnframes() / float(wf.getframerate())


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.dtype != np.uint8:
        image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def ken_burns(image: np.ndarray, n: int, width: int, height: int, zoom: float = 1.12,
              pan: tuple[float, float] = (0.04, 0.02)) -> np.ndarray:
    """``n`` frames slowly zooming into (and drifting across) ``image``, so consecutive frames differ.

    The crop keeps the output aspect ratio and stays inside the photo; ``pan`` is the drift of
    the crop centre over the clip, as a fraction of the photo's size.
    """
    import cv2

    image = _as_rgb(image)
    ih, iw = image.shape[:2]
    aspect = width / height
    base_w = min(iw, ih * aspect)
    frames = np.empty((n, height, width, 3), dtype=np.uint8)
    for i in range(n):
        t = i / max(1, n - 1)
        z = 1.0 + (zoom - 1.0) * t
        cw, ch = base_w / z, base_w / aspect / z
        cx = iw / 2 + pan[0] * iw * (t - 0.5)
        cy = ih / 2 + pan[1] * ih * (t - 0.5)
        x0 = float(np.clip(cx - cw / 2, 0, iw - cw))
        y0 = float(np.clip(cy - ch / 2, 0, ih - ch))
        # An affine warp gives sub-pixel crops, hence smooth motion, in one call per frame.
        m = np.array([[width / cw, 0, -x0 * width / cw], [0, height / ch, -y0 * height / ch]])
        frames[i] = cv2.warpAffine(image, m, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)
    return frames


def make_clip(out_path: str | os.PathLike, image: np.ndarray, speech_text: str | None, voice_args: list[str],
              seconds: float | None, size: int | tuple[int, int], fps: int, *, preset: str = "medium",
              faststart: bool = True, tail_s: float = 0.3) -> Path:
    """Write an H.264 mp4 of ``image`` with a slow zoom, plus espeak-ng speech as AAC.

    ``speech_text=None`` gives a file with no audio track at all. ``seconds=None`` makes the
    clip as long as the speech plus ``tail_s`` (3 s without speech); a longer ``seconds`` pads
    the speech with silence. ``size`` is a square side or ``(width, height)``. The file is
    written to a temp name and moved into place, so an interrupted run leaves no half file.
    """
    out_path = Path(out_path)
    width, height = (size, size) if isinstance(size, int) else size
    if width % 2 or height % 2:
        raise ValueError(f"H.264 in yuv420p needs even sides, got {width}x{height}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="make_clip_") as tmp:
        audio_in: list[str] = []
        audio_out: list[str] = ["-an"]
        if speech_text is not None:
            wav = Path(tmp) / "speech.wav"
            speech_s = synthesize(speech_text, voice_args, wav)
            if seconds is None:
                seconds = speech_s + tail_s
            audio_in = ["-i", str(wav)]
            audio_out = ["-map", "0:v", "-map", "1:a", "-af", "apad", *_AAC]
        if seconds is None:
            seconds = 3.0
        n = max(1, round(seconds * fps))
        frames = ken_burns(image, n, width, height)
        tmp_out = Path(tmp) / ("clip" + out_path.suffix)
        cmd = ["ffmpeg", "-nostdin", "-y", "-loglevel", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0",
               *audio_in, *_X264, "-preset", preset, *audio_out, "-t", f"{n / fps:.3f}", *_BITEXACT]
        if faststart:
            cmd += ["-movflags", "+faststart"]
        cmd.append(str(tmp_out))
        _run(cmd, stdin=frames.tobytes())
        shutil.move(str(tmp_out), str(out_path))
    log.info("wrote %s (%dx%d, %d frames, %.2f s, %s)", out_path, width, height, n, n / fps,
             "speech" if speech_text is not None else "no audio")
    return out_path


def make_audio_only(out_path: str | os.PathLike, speech_text: str, voice_args: list[str]) -> Path:
    """An mp4 holding only an AAC track (what a phone's voice recorder produces)."""
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="make_audio_") as tmp:
        wav = Path(tmp) / "speech.wav"
        synthesize(speech_text, voice_args, wav)
        _run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(wav), "-vn", *_AAC, *_BITEXACT,
              str(out_path)])
    return out_path


def gradient_image(width: int = 320, height: int = 320) -> np.ndarray:
    """A smooth colour gradient with soft blobs: texture for the video, but nothing face-like."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * xx / max(1, width - 1)
    g = 255 * yy / max(1, height - 1)
    b = 127 + 100 * np.sin(xx / 37.0) * np.cos(yy / 53.0)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def astronaut() -> np.ndarray:
    """Eileen Collins' NASA portrait from scikit-image: a frontal, smiling face (public domain)."""
    from skimage import data

    return data.astronaut()


def angry_tint(image: np.ndarray) -> np.ndarray:
    """The photo mirrored, with a red cast and more contrast, so the angry clip looks different."""
    img = _as_rgb(image)[:, ::-1].astype(np.float32)
    img = (img - 128.0) * 1.15 + 128.0
    img[..., 0] *= 1.25
    img[..., 1:] *= 0.8
    return np.clip(img, 0, 255).astype(np.uint8)


def make_bad_inputs(dir: str | os.PathLike) -> dict[str, Path]:
    """Files ``read_clip`` must reject with a clear message; returns name -> path.

    ``truncated_mp4`` keeps the first 40 % of a faststart mp4 (index intact, media data cut);
    ``truncated_moov_mp4`` the first 40 % of a normal mp4 (index, at the end, lost);
    ``missing_path`` is never created; ``no_streams`` holds a subtitle track alone. ``audio_only``
    (a voice memo: sound, no picture) is not bad input, but lives here with the files that test
    how ``read_clip`` tells inputs apart.
    """
    import cv2

    root = Path(dir)
    root.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    out["zero_byte"] = root / "empty.mp4"
    out["zero_byte"].write_bytes(b"")

    out["text_as_mp4"] = root / "notes.mp4"
    out["text_as_mp4"].write_text("These are meeting notes, not a video.\nSecond line.\n", encoding="utf-8")

    ok, png = cv2.imencode(".png", cv2.cvtColor(gradient_image(64, 48), cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("OpenCV could not encode a PNG")
    out["image_as_mp4"] = root / "photo.mp4"
    out["image_as_mp4"].write_bytes(png.tobytes())

    out["random_bytes"] = root / "garbage.mp4"
    out["random_bytes"].write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())

    for key, faststart in (("truncated_mp4", True), ("truncated_moov_mp4", False)):
        full = root / f"_full_{key}.mp4"
        make_clip(full, gradient_image(128, 128), "Hello there, this clip will be cut short.", ["-v", "en-us"],
                  None, 128, 10, preset="ultrafast", faststart=faststart)
        data = full.read_bytes()
        out[key] = root / f"{key.replace('_mp4', '')}.mp4"
        out[key].write_bytes(data[: int(len(data) * 0.4)])
        full.unlink()

    # A sound-only file is good input (no picture: the face is missing); this is kept with the
    # bad ones because tests want both, and a file with neither picture nor sound is bad.
    out["audio_only"] = make_audio_only(root / "voice_memo.mp4", "This is only a voice memo.", ["-v", "en-us"])
    srt = root / "_subtitles.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nOnly a subtitle track.\n", encoding="utf-8")
    out["no_streams"] = root / "subtitles_only.mkv"
    _run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(srt), "-c:s", "srt", *_BITEXACT,
          str(out["no_streams"])])
    srt.unlink()

    out["directory"] = root / "folder.mp4"
    out["directory"].mkdir(exist_ok=True)

    out["missing_path"] = root / "does_not_exist.mp4"
    return out


def make_examples(out_dir: str | os.PathLike = HERE) -> dict[str, Path]:
    """The three demo clips described in ``examples/README.md``."""
    out_dir = Path(out_dir)
    face = astronaut()
    return {
        "cheerful": make_clip(out_dir / "cheerful.mp4", face, CHEERFUL_TEXT, CHEERFUL_VOICE, None, 320, 12),
        "angry": make_clip(out_dir / "angry.mp4", angry_tint(face), ANGRY_TEXT, ANGRY_VOICE, None, 320, 12),
        "silent": make_clip(out_dir / "silent.mp4", face, None, [], 3.0, 320, 12),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help=f"output folder (default {HERE})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    missing = missing_tools()
    if missing:
        print(f"make_examples: missing {' and '.join(missing)}: install with "
              f"`apt-get install -y ffmpeg espeak-ng`", file=sys.stderr)
        return 2
    paths = make_examples(args.out)
    total = sum(p.stat().st_size for p in paths.values())
    log.info("%d clips, %.0f kB in total", len(paths), total / 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main())
