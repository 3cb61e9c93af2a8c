"""The face detector on labelled real video: the product's (BlazeFace) against the Haar cascade it replaced.

    python eval/face_detector.py DIR [--name face_detector] [--frames 8] [--note TEXT]

DIR holds the clips and a ``labels.csv`` (``path,label[,speaker]``, as ``eval/real_video_eval.py``
reads it). Each clip is decoded as ``describe`` decodes it (``media.clip.read_clip``) and both
detectors see the same frames. Per detector:

* frames with a face found, and frames whose box is *a part of a face*: a side under 0.6 of the
  clip's median side, which in a one-person talking-head corpus is an eye, a collar or a patch
  of background (the cascade's failure that started this);
* the face channel alone, as the product reads it (the expression model on the boxes,
  ``cues.face_cues``, ``evidence.face.face_evidence``): top-label accuracy over all clips (a
  clip without a face counts wrong), per-label recall, and faces called still
  (``media.face_motion``);
* milliseconds a frame, one thread.

It also prints the geometry between the two where both found the same face (IoU > 0.3): the
median centre offset and size ratio of the cascade's box against the product's. Measured on
BlazeFace's own box (Javanese AV, 1,458 frames) they gave ``media.faces.CASCADE_LIFT`` and
``CASCADE_SCALE``; on the product's box they should read about 0, 0 and 1. The cascade here is the one ``media.faces`` used until 2026-11-30 (OpenCV's
``haarcascade_frontalface_default.xml`` on a grey copy of at most 480 px, equalised, scale
factor 1.1, 5 neighbours, the largest box), kept only to measure against.
Results: ``eval/results/<name>.{md,json}``. Nothing is fitted to the labels.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from real_speech_eval import pipeline_rev, write_results  # noqa: E402
from real_video_eval import read_labels  # noqa: E402

PART_OF_FACE = 0.6  # a box this much smaller than the clip's median: not the whole face


class Cascade:
    """The Haar cascade as ``media.faces`` ran it until 2026-11-30 (module doc)."""

    def __init__(self) -> None:
        import cv2

        self.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def __call__(self, frame: np.ndarray) -> tuple[int, int, int, int] | None:
        import cv2

        h, w = frame.shape[:2]
        scale = min(1.0, 480 / max(h, w))
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(grey)
        side = max(20, int(0.06 * min(grey.shape[:2])))
        faces = self.cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(faces) == 0:
            return None
        x, y, bw, bh = max((tuple(int(v) for v in f) for f in faces), key=lambda b: b[2] * b[3])
        return round(x / scale), round(y / scale), round(bw / scale), round(bh / scale)


def product_detector():
    from affect_llm.media.faces import _detector

    detector = _detector()
    return lambda frame: next(iter(detector.faces(frame)), None)  # the largest face, as describe read it


def face_reading(frames: np.ndarray, boxes: list) -> tuple[str | None, bool]:
    """The face channel's top label and whether the face is called still, from these boxes."""
    from affect_llm.evidence.face import face_evidence
    from affect_llm.media.faces import FaceTrack
    from affect_llm.perception import face_channel

    track = FaceTrack.from_boxes(frames, boxes)
    expressions, cues = face_channel(track)
    ev = face_evidence(expressions, track.found, cues.frames)
    top = ev.top(1) if ev.present else []
    return (top[0][0] if top else None), bool(cues.still)


def measure(folder: Path, frames: int) -> tuple[list[dict], list[tuple[float, float, float]]]:
    from affect_llm.media.blazeface import iou
    from affect_llm.media.clip import read_clip

    detectors = {"blazeface": product_detector(), "haar": Cascade()}
    rows, geometry = [], []
    for clip_info in read_labels(folder):
        clip = read_clip(folder / clip_info["path"], num_frames=frames)
        row = {"id": clip_info["id"], "gold": clip_info["gold"], "speaker": clip_info["speaker"]}
        boxes = {}
        for name, detect in detectors.items():
            start = time.perf_counter()
            boxes[name] = [detect(f) for f in clip.frames]
            seconds = time.perf_counter() - start
            sides = [b[2] for b in boxes[name] if b is not None]
            median = float(np.median(sides)) if sides else 0.0
            top, still = face_reading(clip.frames, boxes[name])
            row[name] = {"found": len(sides), "part": sum(s < PART_OF_FACE * median for s in sides),
                         "top": top, "still": still, "ms_frame": 1000 * seconds / len(clip.frames)}
        row["frames"] = len(clip.frames)
        rows.append(row)
        for b, h in zip(boxes["blazeface"], boxes["haar"]):
            if b is not None and h is not None and iou(np.array(b, float), np.array([h], float))[0] > 0.3:
                geometry.append(((h[0] + h[2] / 2 - b[0] - b[2] / 2) / b[2], (h[1] + h[3] / 2 - b[1] - b[3] / 2) / b[2],
                                 h[2] / b[2]))
    return rows, geometry


def summary(rows: list[dict], name: str) -> dict:
    frames = sum(r["frames"] for r in rows)
    right = Counter(r["gold"] for r in rows if r[name]["top"] == r["gold"])
    gold = Counter(r["gold"] for r in rows)
    return {"frames": frames, "found": sum(r[name]["found"] for r in rows),
            "part_of_face": sum(r[name]["part"] for r in rows),
            "clips_with_face": sum(r[name]["top"] is not None for r in rows),
            "top_right": sum(right.values()), "clips": len(rows),
            "recall": {g: f"{right[g]}/{n}" for g, n in sorted(gold.items())},
            "still": sum(r[name]["still"] for r in rows),
            "ms_frame": round(float(np.median([r[name]["ms_frame"] for r in rows])), 1)}


def markdown(name: str, meta: dict, rep: dict) -> str:
    det = ("blazeface", "haar")
    s = {d: rep[d] for d in det}
    pct = lambda a, b: f"{a / b:.2f} ({a}/{b})" if b else "-"  # noqa: E731
    lines = [f"# Face detector: {name}", "",
             f"{meta['when']}; {meta['clips']} clips, {meta['frames']} frames each; pipeline {meta['pipeline']}. "
             "Built by `eval/face_detector.py`. Real labelled clips; measured only, not shipped, not trained on.", "",
             *([meta["note"], ""] if meta["note"] else []),
             "| figure | BlazeFace (the product) | Haar cascade (before) |", "|---|---|---|",
             f"| frames with a face | {pct(s['blazeface']['found'], s['blazeface']['frames'])} | "
             f"{pct(s['haar']['found'], s['haar']['frames'])} |",
             f"| ... of them a part of a face (side < {PART_OF_FACE} of the clip's median) | "
             f"{pct(s['blazeface']['part_of_face'], s['blazeface']['found'])} | {pct(s['haar']['part_of_face'], s['haar']['found'])} |",
             f"| clips with a face | {pct(s['blazeface']['clips_with_face'], s['blazeface']['clips'])} | "
             f"{pct(s['haar']['clips_with_face'], s['haar']['clips'])} |",
             f"| face channel's top label (all clips) | {pct(s['blazeface']['top_right'], s['blazeface']['clips'])} | "
             f"{pct(s['haar']['top_right'], s['haar']['clips'])} |",
             f"| faces called still (`media.face_motion`) | {s['blazeface']['still']} | {s['haar']['still']} |",
             f"| ms a frame, one thread (median) | {s['blazeface']['ms_frame']} | {s['haar']['ms_frame']} |",
             "", "Recall per gold label (face channel's top label):", "",
             "| gold | BlazeFace | Haar |", "|---|---|---|",
             *[f"| {g} | {s['blazeface']['recall'][g]} | {s['haar']['recall'][g]} |" for g in s["blazeface"]["recall"]],
             "", (f"Where both found the same face (IoU > 0.3; {rep['geometry']['frames']} frames), the cascade's "
                  "box against the product's (BlazeFace's, moved by `media.faces.cascade_box`), in box widths "
                  f"(median, interquartile range): centre x {rep['geometry']['dx']}, centre y {rep['geometry']['dy']}, "
                  f"side {rep['geometry']['scale']}: near 0, 0 and 1 where `CASCADE_LIFT` and `CASCADE_SCALE` hold.")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--name", default="face_detector")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    start = time.time()
    rows, geometry = measure(args.folder, args.frames)
    g = np.array(geometry) if geometry else np.zeros((0, 3))

    def spread(col: int) -> str:
        if not len(g):
            return "-"
        q1, med, q3 = np.percentile(g[:, col], [25, 50, 75])
        return f"{med:+.3f} ({q3 - q1:.3f})"

    rep = {"blazeface": summary(rows, "blazeface"), "haar": summary(rows, "haar"),
           "geometry": {"frames": len(g), "dx": spread(0), "dy": spread(1), "scale": spread(2)}}
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "clips": len(rows), "frames": args.frames,
            "pipeline": pipeline_rev(), "seconds": round(time.time() - start, 1), "note": args.note}
    write_results(args.name, {"meta": meta, "report": rep, "rows": rows}, markdown(args.name, meta, rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
