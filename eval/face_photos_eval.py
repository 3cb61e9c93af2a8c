"""How the face channel does on labelled face *photos* you bring, seen the way the product sees a still.

Why: the face channel (face detection -> the mini-Xception expression model -> ``face_cues`` ->
``face_evidence``) had only been checked on a handful of posed photos. This script measures it
on any folder of labelled face photos, without shipping or training on them. Nothing is fitted:
it reads the pipeline's own numbers.

The product takes no image: ``media.clip`` refuses one and tells the user to make a video of it
(``ffmpeg -loop 1 -t 3``). Each photo is read both ways (``--via``, default both):

* ``video``: the photo becomes exactly that, a 3-second H.264 still video, and goes through
  ``perception.perceive`` (no audio, so no voice and no words): its decoder, detector,
  expression model, face cues, evidence and fusion. A video the product cannot decode counts as
  a photo without a face, and is counted (``decode failed``): decord refuses H.264 of width 48
  (48x48 and 48x64 fail; widths 32, 40, 50, 64 decode; dmlc/decord#336);
* ``frames``: no codec, 8 identical frames straight into the same functions (``detect_faces``,
  the expression model, ``face_cues``, ``face_evidence``, ``fuse``).

Each photo is seen in two sizes, because the product meets faces of many sizes and a small crop
may defeat the detector (its window is 24 px, ``media.faces.MIN_FACE_PIXELS`` 20):

* ``as_given``: the photo as it is;
* ``canvas``: the photo scaled so its longer side is ``--face-px`` (160) and centred on a grey
  ``--canvas`` (320 x 320) square, a face of typical video size. This assumes the photo is a
  face crop; a portrait with a small face in it gets a smaller face, not a larger one.

Labels: ``labels.csv`` in the folder (or ``--labels``) with columns ``path,label[,speaker]``;
labels are read with ``emotions.label_of`` ("anger", "joy" ... work); unknown labels are
skipped and counted.

Figures per size: the share of photos with a face found; top-label accuracy of the face evidence
(``face_evidence``; a photo without a face counts as wrong) and of the expression model's
dominant class (``FaceCues.dominant``) mapped to our labels; the answer's first-named emotion
(the fusion of the face alone, what a silent still clip would get); per-label recall; the
confusion matrix; and the fusion's clear-label rule (``evidence.fusion.clear_label``): how often
the face clearly shows the right label, a wrong one, or nothing (no face, or no clear label).
Results go to ``eval/results/<name>.{md,json}``.

    python eval/face_photos_eval.py DIR [--labels FILE.csv] [--via video frames]
        [--name face_photos] [--note TEXT] [--face-px 160] [--canvas 320]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_speech_eval import confusion_table, pipeline_rev, write_results  # noqa: E402
SIZES = ("as_given", "canvas")
VIAS = ("video", "frames")
CANVAS_GREY = 128
STILL_SECONDS = 3  # what the product's message suggests: ffmpeg -loop 1 -t 3
STILL_FPS = 25
FRAMES = 8  # perception.PerceiveOptions' default num_frames
NO_FACE = "no face"  # what a photo without a detected face reads as in the tables
CLEAR = ("right", "wrong", "none")  # the clear-label outcomes


@dataclass
class Item:
    path: Path
    label: str
    speaker: str


def read_items(folder: Path, labels: Path | None) -> tuple[list[Item], Counter]:
    """The labelled photos of ``folder``; and the labels skipped (not one of ours), counted."""
    from affect_llm.emotions import label_of

    labels = labels or folder / "labels.csv"
    items, skipped = [], Counter()
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            label = label_of(row["label"].strip())
            if label is None:
                skipped[row["label"]] += 1
                continue
            path = Path(row["path"])
            items.append(Item(path if path.is_absolute() else folder / path, label, row.get("speaker") or ""))
    return items, skipped


def read_rgb(path: Path) -> np.ndarray:
    """The photo as RGB uint8 (a grey photo gets three equal channels, as a camera's would)."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"OpenCV cannot read {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def on_canvas(img: np.ndarray, face_px: int, canvas: int) -> np.ndarray:
    """``img`` scaled so its longer side is ``face_px``, centred on a grey ``canvas`` square."""
    import cv2

    h, w = img.shape[:2]
    scale = face_px / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    small = cv2.resize(img, (nw, nh), interpolation=interp)
    out = np.full((canvas, canvas, 3), CANVAS_GREY, dtype=np.uint8)
    y0, x0 = (canvas - nh) // 2, (canvas - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = small
    return out


def still_video(img: np.ndarray, work: Path) -> Path:
    """``img`` as the product asks a user to give a still: a 3-s looped H.264 video (even sides)."""
    import cv2

    png, mp4 = work / "still.png", work / "still.mp4"
    cv2.imwrite(str(png), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-loop", "1", "-t", str(STILL_SECONDS), "-r", str(STILL_FPS),
                    "-i", str(png), "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-tune",
                    "stillimage", "-pix_fmt", "yuv420p", str(mp4)], check=True)
    return mp4


def read_via_video(img: np.ndarray, work: Path) -> dict:
    """The face's readings from ``perception.perceive`` on the still video (nothing to transcribe).

    A video the product refuses (``InputError``) is kept as what a user would get: no face read,
    with the product's message."""
    from affect_llm.errors import InputError
    from affect_llm.perception import PerceiveOptions, perceive

    try:
        p = perceive(still_video(img, work), PerceiveOptions(num_frames=FRAMES, transcribe=False))
    except InputError as exc:
        return {"found": np.zeros(FRAMES, dtype=bool), "face": None, "evidence": None, "first": None,
                "boxes": [], "error": str(exc).replace(str(work), "<tmp>")}
    return {"found": p.faces.found, "face": p.cues.face, "evidence": p.cues.evidence["face"],
            "first": p.cues.candidates[0], "boxes": p.faces.boxes}


def read_via_frames(img: np.ndarray) -> dict:
    """The same functions as ``perceive`` uses, on ``FRAMES`` identical frames (no codec)."""
    from affect_llm.evidence import absent
    from affect_llm.evidence.face import face_evidence
    from affect_llm.evidence.fusion import fuse
    from affect_llm.media.faces import detect_faces
    from affect_llm.perception import face_channel

    frames = np.repeat(img[None], FRAMES, axis=0)
    faces = detect_faces(frames)
    probs, face = face_channel(faces)
    ev = face_evidence(probs, faces.found, FRAMES)
    fusion = fuse({"face": ev, "voice": absent("voice", "no audio"), "words": absent("words", "no words")})
    return {"found": faces.found, "face": face, "evidence": ev, "first": fusion.emotions[0], "boxes": faces.boxes}


def row_of(item: Item, size: str, via: str, read: dict) -> dict:
    """One photo at one size: what the face channel read, in our labels."""
    from affect_llm.emotions import EXPRESSION_TO_LABEL
    from affect_llm.evidence.fusion import clear_label

    found = bool(np.any(read["found"]))
    ev, face = read["evidence"], read["face"]
    top = ev.top(1)[0][0] if found else NO_FACE
    clear = clear_label(ev) if found else None
    box = next((b for b in read["boxes"] if b is not None), None)
    return {"file": str(item.path.name), "gold": item.label, "speaker": item.speaker, "size": size, "via": via,
            "condition": f"{size}/{via}", "error": read.get("error"), "found": found, "frames_with_face": int(np.sum(read["found"])), "face_box": box,
            "evidence_top": top, "model_dominant": EXPRESSION_TO_LABEL[face.dominant] if found else NO_FACE,
            "first": read["first"], "clear": clear,
            "clear_outcome": "none" if clear is None else ("right" if clear == item.label else "wrong"),
            "scores": {k: round(v, 3) for k, v in ev.scores.items()} if found else None}


def run(items: list[Item], vias: list[str], face_px: int, canvas: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="face_photos_") as tmp:
        work = Path(tmp)
        for i, it in enumerate(items, 1):
            img = read_rgb(it.path)
            for size, shown in (("as_given", img), ("canvas", on_canvas(img, face_px, canvas))):
                for via in vias:
                    read = read_via_video(shown, work) if via == "video" else read_via_frames(shown)
                    rows.append(row_of(it, size, via, read))
            if i % 50 == 0:
                print(f"  {i}/{len(items)}", flush=True)
    return rows


def _rate(ok: int, n: int) -> str:
    return f"{ok / n:.2f} ({ok}/{n})" if n else "-"


def report_size(rows: list[dict]) -> dict:
    """The figures of one size."""
    from affect_llm.emotions import LABELS

    def acc(key: str, subset: list[dict]) -> str:
        return _rate(sum(r[key] == r["gold"] for r in subset), len(subset))

    found = [r for r in rows if r["found"]]
    golds = [lab for lab in LABELS if any(r["gold"] == lab for r in rows)]
    speakers = sorted({r["speaker"] for r in rows})
    half = set(speakers[: len(speakers) // 2])
    columns = list(LABELS) + [NO_FACE]
    return {
        "photos": len(rows),
        "decode_failed": _rate(sum(r["error"] is not None for r in rows), len(rows)),
        "errors": dict(Counter(r["error"] for r in rows if r["error"]).most_common(3)),
        "face_found": _rate(len(found), len(rows)),
        "evidence_top": {"all": acc("evidence_top", rows), "where_found": acc("evidence_top", found),
                         "first_half_speakers": acc("evidence_top", [r for r in rows if r["speaker"] in half]),
                         "second_half_speakers": acc("evidence_top", [r for r in rows if r["speaker"] not in half])},
        "model_dominant": {"all": acc("model_dominant", rows), "where_found": acc("model_dominant", found)},
        "first_named": {"all": acc("first", rows), "where_found": acc("first", found)},
        "clear_label": {o: _rate(sum(r["clear_outcome"] == o for r in rows), len(rows)) for o in CLEAR},
        "clear_label_where_found": {o: _rate(sum(r["clear_outcome"] == o for r in found), len(found)) for o in CLEAR},
        "per_label": {g: {"found": _rate(sum(r["found"] for r in rows if r["gold"] == g),
                                         sum(r["gold"] == g for r in rows)),
                          "evidence_top": acc("evidence_top", [r for r in rows if r["gold"] == g]),
                          "model_dominant": acc("model_dominant", [r for r in rows if r["gold"] == g]),
                          "clear_right": _rate(sum(r["clear_outcome"] == "right" for r in rows if r["gold"] == g),
                                               sum(r["gold"] == g for r in rows))}
                      for g in golds},
        "confusion_columns": columns,
        "confusion": {g: dict(Counter(r["evidence_top"] for r in rows if r["gold"] == g)) for g in golds},
        "wrong_clear_labels": dict(Counter(r["clear"] for r in rows if r["clear_outcome"] == "wrong").most_common()),
    }


def conditions(rows: list[dict]) -> list[str]:
    """The size/via pairs measured, sizes first (a column each in the report)."""
    return [f"{s}/{v}" for s in SIZES for v in VIAS if any(r["condition"] == f"{s}/{v}" for r in rows)]


def report(rows: list[dict]) -> dict:
    conds = conditions(rows)
    golds = Counter(r["gold"] for r in rows if r["condition"] == conds[0])
    n = sum(golds.values())
    return {"photos": n, "speakers": len({r["speaker"] for r in rows}), "labels": dict(golds),
            "chance_uniform": round(1 / len(golds), 3) if golds else None,
            "majority_label_rate": round(max(golds.values()) / n, 3) if n else None,
            "conditions": conds, **{c: report_size([r for r in rows if r["condition"] == c]) for c in conds}}


def markdown(name: str, meta: dict, rep: dict) -> str:
    lines = [f"# Face photos: {name}", "",
             f"{meta['when']}; {rep['photos']} photos, {rep['speakers']} people; via {', '.join(meta['via'])}; "
             f"pipeline {meta['pipeline']}; canvas: longer side {meta['face_px']} px on a grey "
             f"{meta['canvas']} x {meta['canvas']} square.",
             "Real photos, labelled; measured only: not shipped, not committed, not trained on. "
             "Built by `eval/face_photos_eval.py`.", "",
             *([meta["note"], ""] if meta.get("note") else []),
             *([f"Skipped (not one of our labels): {meta['skipped']}", ""] if meta.get("skipped") else []),
             f"Labels: {', '.join(f'{k} {v}' for k, v in rep['labels'].items())}. Chance (uniform over "
             f"the corpus's labels): {rep['chance_uniform']}; always naming the most common label: "
             f"{rep['majority_label_rate']}. A photo without a face counts as wrong.", "",
             "| figure | " + " | ".join(rep["conditions"]) + " |", "|---" * (len(rep["conditions"]) + 1) + "|"]
    figures = (("video decode failed", lambda s: s["decode_failed"]),
               ("face found", lambda s: s["face_found"]),
               ("face evidence's top label", lambda s: s["evidence_top"]["all"]),
               ("... where a face was found", lambda s: s["evidence_top"]["where_found"]),
               ("... first half of the people", lambda s: s["evidence_top"]["first_half_speakers"]),
               ("... second half", lambda s: s["evidence_top"]["second_half_speakers"]),
               ("expression model's dominant class", lambda s: s["model_dominant"]["all"]),
               ("answer's first-named emotion (face alone)", lambda s: s["first_named"]["all"]),
               *((f"clear label: {o}", (lambda o: lambda s: s["clear_label"][o])(o)) for o in CLEAR))
    for title, get in figures:
        lines.append(f"| {title} | " + " | ".join(get(rep[c]) for c in rep["conditions"]) + " |")
    for cond in rep["conditions"]:
        s = rep[cond]
        cols = s["confusion_columns"]
        lines += ["", f"## {cond}", "",
                  *([f"The product refused the video: {'; '.join(s['errors'])}", ""] if s["errors"] else []),
                  "| gold | found | evidence top | model dominant | clear and right |", "|---|---|---|---|---|"]
        lines += [f"| {g} | {v['found']} | {v['evidence_top']} | {v['model_dominant']} | {v['clear_right']} |"
                  for g, v in s["per_label"].items()]
        lines += ["", "Clear labels given wrongly: "
                  + (", ".join(f"{k} {v}" for k, v in s["wrong_clear_labels"].items()) or "none"),
                  "", *confusion_table(s["confusion"], cols, "the face evidence's top label", "read")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="folder of labelled face photos")
    p.add_argument("--labels", type=Path, help="CSV with path,label[,speaker] (default: FOLDER/labels.csv)")
    p.add_argument("--via", choices=VIAS, nargs="+", default=list(VIAS),
                   help="video: a still video through perceive (the product's path); frames: identical frames, no codec")
    p.add_argument("--face-px", type=int, default=160, help="canvas size: the photo's longer side, pixels")
    p.add_argument("--canvas", type=int, default=320, help="canvas size: the grey square's side, pixels")
    p.add_argument("--name", default="face_photos")
    p.add_argument("--note", default="", help="a line for the report, e.g. the corpus and its licence")
    args = p.parse_args(argv)

    items, skipped = read_items(args.folder, args.labels)
    start = time.time()
    rows = run(items, args.via, args.face_px, args.canvas)
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "via": args.via, "pipeline": pipeline_rev(),
            "seconds": round(time.time() - start, 1), "folder": args.folder.name, "note": args.note,
            "face_px": args.face_px, "canvas": args.canvas, "skipped": dict(skipped)}
    rep = report(rows)
    write_results(args.name, {"meta": meta, "report": rep, "rows": rows}, markdown(args.name, meta, rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
