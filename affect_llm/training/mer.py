"""Import the MER2025 / MER-Caption+ CSV layout into our JSONL manifest.

Expected in ROOT (names can be overridden)::

    track2_train_mercaptionplus.csv   name, openset    ("[happy, excited]"; "[]" means neutral)
    track3_train_mercaptionplus.csv   name, reason     (the descriptive caption)
    subtitle_chieng.csv               name, english    (or ``sentence``, OV-MERD+'s column; optional)
    video/<name>.mp4                  (or .avi / .mkv / ...)
    openface_face/<name>/<name>.npy   OpenFace face crops (or openface_face/<name>.npy; optional)
    audio/<name>.wav                  the extracted audio track (optional)

Every sample becomes a line ``{"id", "video", "subtitle", "description", "emotions", "faces",
"audio"}`` with paths relative to the output manifest; ``faces`` and ``audio`` are there when the
release has them, and training then reads them instead of detecting faces and decoding the
video's track (``features.clipfiles``: the face stream AffectGPT was trained on).

Choices, against upstream's ``MERCaptionPlus_Dataset``:

* An empty ``openset`` (``[]``, or an empty cell) is the target ``["neutral"]``, as upstream
  trains it: the annotators found no emotion, which is an answer, not a missing one.
* Names: upstream iterates track 2's names and looks each up in track 3 (a name missing from
  track 3 stops it). We take the union of both files: on the MER2025 release they list the same
  names, so the result is the same; on a partial copy or a custom pair of CSVs a sample with only
  a caption still trains the description target, and one with only labels the label target.

A CSV row that cannot be used (no name, an empty caption, an unparsable emotion list, a missing
clip) is reported as ``FILE:LINE: reason`` and skipped or fatal, as ``on_error`` says.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .data import Problems

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".flv")


SUBTITLE_COLUMNS = ("english", "sentence")  # MER2025's subtitle_chieng.csv, OV-MERD+'s subtitle CSV
NEUTRAL = "neutral"


@dataclass
class ImportStats:
    written: int
    skipped: int
    with_description: int
    with_emotions: int
    with_subtitle: int
    out: Path
    with_faces: int = 0
    with_audio: int = 0
    neutral: int = 0  # empty openset lists turned into ["neutral"]


def parse_openset(text: str) -> list[str]:
    """``"[happy, excited]"`` / ``"['happy', 'excited']"`` / ``"happy,excited"`` -> ``["happy", "excited"]``."""
    inner = text.strip()
    if inner.startswith("[") != inner.endswith("]"):
        raise ValueError(f"unbalanced brackets in {text!r}")
    inner = inner.strip("[]")
    words = [re.sub(r"^[\s'\"]+|[\s'\"]+$", "", w) for w in inner.split(",")]
    return [w.lower() for w in words if w]


def _read_csv(path: Path, key_col: str, value_col: str | tuple[str, ...],
              problems: Problems) -> dict[str, tuple[str, int]]:
    """``{name: (value, line)}`` from ``value_col`` (or the first of several present); a missing
    column is fatal, a bad row is a problem."""
    out: dict[str, tuple[str, int]] = {}
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        choices = (value_col,) if isinstance(value_col, str) else value_col
        value_col = next((c for c in choices if c in cols), choices[0])
        for col in (key_col, value_col):
            if col not in cols:
                wanted = " or ".join(repr(c) for c in choices) if col == value_col else repr(col)
                raise InputError(f"{path} has no column {wanted} (columns: {', '.join(cols) or 'none'}): "
                                 "is this the MER-Caption+ CSV?")
        for row in reader:
            line = reader.line_num
            name = (row.get(key_col) or "").strip()
            if not name:
                problems.add(f"{path}:{line}", f"empty {key_col!r}")
                continue
            if name in out:
                problems.add(f"{path}:{line}", f"duplicate {key_col} {name!r} (first on line {out[name][1]})")
                continue
            out[name] = ((row.get(value_col) or "").strip(), line)
    return out


def _find_video(video_dir: Path, name: str) -> Path | None:
    for ext in VIDEO_EXTENSIONS:
        p = video_dir / f"{name}{ext}"
        if p.is_file():
            return p
    return None


def _find_faces(face_dir: Path, name: str) -> Path | None:
    """MER2025 keeps ``<name>/<name>.npy``; OV-MERD+'s copy lost the sub-folder: ``<name>.npy``."""
    for p in (face_dir / name / f"{name}.npy", face_dir / f"{name}.npy"):
        if p.is_file():
            return p
    return None


def import_mer(root: str | os.PathLike, out: str | os.PathLike, on_error: str = "fail",
               track2: str = "track2_train_mercaptionplus.csv", track3: str = "track3_train_mercaptionplus.csv",
               subtitles: str = "subtitle_chieng.csv", video_dir: str = "video", face_dir: str = "openface_face",
               audio_dir: str = "audio") -> ImportStats:
    """Write the manifest ``out`` from the MER CSVs in ``root``; returns counts."""
    root, out = Path(root), Path(out)
    problems = Problems(on_error)
    t2_path, t3_path, sub_path = root / track2, root / track3, root / subtitles
    if not t2_path.exists() and not t3_path.exists():
        raise InputError(f"neither {t2_path} nor {t3_path} exists: point ROOT at the MER2025 / MER-Caption+ folder")
    emotions_raw = _read_csv(t2_path, "name", "openset", problems) if t2_path.exists() else {}
    reasons = _read_csv(t3_path, "name", "reason", problems) if t3_path.exists() else {}
    subs = _read_csv(sub_path, "name", SUBTITLE_COLUMNS, problems) if sub_path.exists() else {}
    if not sub_path.exists():
        log.warning("%s not found: the manifest has no subtitles", sub_path)
    videos, faces_dir, audio_root = root / video_dir, root / face_dir, root / audio_dir
    if not faces_dir.is_dir():
        log.info("%s not found: faces will be detected in the video frames", faces_dir)
    lines, n_desc, n_emo, n_sub, n_face, n_audio, n_neutral = [], 0, 0, 0, 0, 0, 0
    for name in dict.fromkeys([*emotions_raw, *reasons]):
        emotions = None
        if name in emotions_raw:
            raw, line = emotions_raw[name]
            try:
                emotions = parse_openset(raw)
            except ValueError as exc:
                problems.add(f"{t2_path}:{line}", str(exc))
                continue
            if not emotions:
                emotions, n_neutral = [NEUTRAL], n_neutral + 1
        description = reasons[name][0] if name in reasons and reasons[name][0] else None
        where = f"{t3_path}:{reasons[name][1]}" if name in reasons else f"{t2_path}:{emotions_raw[name][1]}"
        if not description and not emotions:
            problems.add(where, f"{name!r} has neither a reason nor an openset emotion list")
            continue
        clip = _find_video(videos, name)
        if clip is None:
            problems.add(where, f"clip {videos / name}.mp4 does not exist")
            continue
        entry = {"id": name, "video": os.path.relpath(clip.resolve(), out.parent.resolve())}
        if name in subs and subs[name][0]:
            entry["subtitle"] = subs[name][0]
            n_sub += 1
        if description:
            entry["description"] = description
            n_desc += 1
        if emotions:
            entry["emotions"] = emotions
            n_emo += 1
        faces = _find_faces(faces_dir, name)
        if faces is not None:
            entry["faces"] = os.path.relpath(faces.resolve(), out.parent.resolve())
            n_face += 1
        wav = audio_root / f"{name}.wav"
        if wav.is_file():
            entry["audio"] = os.path.relpath(wav.resolve(), out.parent.resolve())
            n_audio += 1
        lines.append(json.dumps(entry, ensure_ascii=False))
    problems.finish(str(root))
    if not lines:
        raise InputError(f"no usable samples in {root}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(out)
    return ImportStats(len(lines), len(problems.items), n_desc, n_emo, n_sub, out, n_face, n_audio, n_neutral)
