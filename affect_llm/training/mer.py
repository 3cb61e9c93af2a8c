"""Import the MER2025 / MER-Caption+ CSV layout into our JSONL manifest.

Expected in ROOT (names can be overridden)::

    track2_train_mercaptionplus.csv   name, openset    ("[happy, excited]")
    track3_train_mercaptionplus.csv   name, reason     (the descriptive caption)
    subtitle_chieng.csv               name, english    (the English subtitle; optional)
    video/<name>.mp4                  (or .avi / .mkv / ...)

Every sample named in track 2 or track 3 becomes a line ``{"id", "video", "subtitle",
"description", "emotions"}`` with ``video`` relative to the output manifest. A CSV row that
cannot be used (no name, an empty caption, an unparsable emotion list, a missing clip) is
reported as ``FILE:LINE: reason`` and skipped or fatal, as ``on_error`` says.
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


@dataclass
class ImportStats:
    written: int
    skipped: int
    with_description: int
    with_emotions: int
    with_subtitle: int
    out: Path


def parse_openset(text: str) -> list[str]:
    """``"[happy, excited]"`` / ``"['happy', 'excited']"`` / ``"happy,excited"`` -> ``["happy", "excited"]``."""
    inner = text.strip()
    if inner.startswith("[") != inner.endswith("]"):
        raise ValueError(f"unbalanced brackets in {text!r}")
    inner = inner.strip("[]")
    words = [re.sub(r"^[\s'\"]+|[\s'\"]+$", "", w) for w in inner.split(",")]
    return [w.lower() for w in words if w]


def _read_csv(path: Path, key_col: str, value_col: str, problems: Problems) -> dict[str, tuple[str, int]]:
    """``{name: (value, line)}``; a missing column is fatal, a bad row is a problem."""
    out: dict[str, tuple[str, int]] = {}
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        for col in (key_col, value_col):
            if col not in cols:
                raise InputError(f"{path} has no column {col!r} (columns: {', '.join(cols) or 'none'}): "
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


def import_mer(root: str | os.PathLike, out: str | os.PathLike, on_error: str = "fail",
               track2: str = "track2_train_mercaptionplus.csv", track3: str = "track3_train_mercaptionplus.csv",
               subtitles: str = "subtitle_chieng.csv", video_dir: str = "video") -> ImportStats:
    """Write the manifest ``out`` from the MER CSVs in ``root``; returns counts."""
    root, out = Path(root), Path(out)
    problems = Problems(on_error)
    t2_path, t3_path, sub_path = root / track2, root / track3, root / subtitles
    if not t2_path.exists() and not t3_path.exists():
        raise InputError(f"neither {t2_path} nor {t3_path} exists: point ROOT at the MER2025 / MER-Caption+ folder")
    emotions_raw = _read_csv(t2_path, "name", "openset", problems) if t2_path.exists() else {}
    reasons = _read_csv(t3_path, "name", "reason", problems) if t3_path.exists() else {}
    subs = _read_csv(sub_path, "name", "english", problems) if sub_path.exists() else {}
    if not sub_path.exists():
        log.warning("%s not found: the manifest has no subtitles", sub_path)
    videos = root / video_dir
    lines, n_desc, n_emo, n_sub = [], 0, 0, 0
    for name in dict.fromkeys([*emotions_raw, *reasons]):
        emotions = None
        if name in emotions_raw:
            raw, line = emotions_raw[name]
            try:
                emotions = parse_openset(raw) or None
            except ValueError as exc:
                problems.add(f"{t2_path}:{line}", str(exc))
                continue
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
        lines.append(json.dumps(entry, ensure_ascii=False))
    problems.finish(str(root))
    if not lines:
        raise InputError(f"no usable samples in {root}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(out)
    return ImportStats(len(lines), len(problems.items), n_desc, n_emo, n_sub, out)
