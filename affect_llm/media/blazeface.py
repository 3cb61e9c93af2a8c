"""MediaPipe's BlazeFace full-range face detector, run from its TFLite file without MediaPipe.

Why without MediaPipe: its Python package pins numpy < 2 and protobuf < 5 and pulls OpenCV
contrib; the model itself is one 0.7 MB file. We read that file from the ``mediapipe`` wheel
(installed ``--no-deps``, never imported) and do the two steps MediaPipe's graph does around it:

* **anchors**: one anchor per cell of a 48 x 48 grid over the 192 x 192 input (stride 4,
  centres at cell middles, fixed unit size), in row-major order: the model's 2,304 outputs;
* **decoding**: each output's first four numbers are the box centre offset from its anchor and
  the box size, in input pixels; the score is a logit. Overlapping boxes above the score bar are
  merged as MediaPipe does for faces: the score-weighted mean of each cluster (IoU > 0.3).

The frame is letterboxed (scaled to fit, centred, black padding) and scaled to [-1, 1].
These are facts of the published model (``face_detection_full_range.pbtxt`` in MediaPipe).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from ..assets import package_file
from ..errors import ModelError

log = logging.getLogger(__name__)

MODEL_PACKAGE = "mediapipe"
MODEL_RELPATH = "modules/face_detection/face_detection_full_range_sparse.tflite"
INPUT_SIDE = 192
STRIDE = 4
MIN_SCORE = 0.6  # MediaPipe's own bar for this model
MERGE_IOU = 0.3


def anchor_centres(side: int = INPUT_SIDE, stride: int = STRIDE) -> np.ndarray:
    """``[cells, 2]`` (x, y) anchor centres, as fractions of the input side, row by row."""
    cells = -(-side // stride)
    grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    ys, xs = np.meshgrid(grid, grid, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of one ``(x, y, w, h)`` box ``a`` with each row of ``b``."""
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[0] + a[2], b[:, 0] + b[:, 2])
    y1 = np.minimum(a[1] + a[3], b[:, 1] + b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    return inter / (a[2] * a[3] + b[:, 2] * b[:, 3] - inter + 1e-9)


def merge_overlapping(boxes: np.ndarray, scores: np.ndarray, min_iou: float = MERGE_IOU
                      ) -> list[tuple[np.ndarray, float]]:
    """Clusters of boxes around each best-scoring one, as (score-weighted mean box, best score).

    Why weighted, not plain suppression: neighbouring anchors each see the face slightly
    shifted; their mean is a steadier box from frame to frame, which the still-mouth measure
    (``media.face_motion``) compares.
    """
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    left = np.ones(len(boxes), dtype=bool)
    merged = []
    for i in range(len(boxes)):
        if not left[i]:
            continue
        group = left & (iou(boxes[i], boxes) > min_iou)
        group[i] = True
        left &= ~group
        w = scores[group]
        merged.append(((boxes[group] * w[:, None]).sum(0) / w.sum(), float(scores[i])))
    return merged


class BlazeFace:
    """Faces in RGB frames: ``detect(frame)`` -> ``[((x, y, w, h), score), ...]`` in frame pixels."""

    def __init__(self, model_path: str | None = None) -> None:
        from .clip import native_stderr_to_log

        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelError(f"the TFLite runtime is missing ({exc}): run `make setup` or "
                             f"`pip install ai-edge-litert`") from exc
        self.model_path = model_path or str(package_file(MODEL_PACKAGE, MODEL_RELPATH, pip_name="mediapipe==0.10.21"))
        self.anchors = anchor_centres()
        with native_stderr_to_log(log):  # TFLite prints "INFO: Created ... XNNPACK delegate"
            try:
                self._interp = Interpreter(model_path=self.model_path, num_threads=1)
                self._interp.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load the face detector {self.model_path} ({exc}): reinstall it with "
                                 f"`pip install --force-reinstall --no-deps mediapipe==0.10.21`") from exc
            self._check_io()
            self._run(np.zeros((1, INPUT_SIDE, INPUT_SIDE, 3), dtype=np.float32))  # builds the delegate
        self._lock = threading.Lock()

    def _check_io(self) -> None:
        """Fail loudly if another model sits at the path: wrong anchors mean silently wrong boxes."""
        inp = self._interp.get_input_details()[0]
        outs = self._interp.get_output_details()
        shape = tuple(int(s) for s in inp["shape"])
        by_width = {int(o["shape"][-1]): o for o in outs}
        if (shape != (1, INPUT_SIDE, INPUT_SIDE, 3) or set(by_width) != {16, 1}
                or int(by_width[16]["shape"][1]) != len(self.anchors)):
            raise ModelError(f"{self.model_path}: not BlazeFace full-range (input {shape}, outputs "
                             f"{[tuple(o['shape']) for o in outs]}); reinstall `mediapipe==0.10.21` --no-deps")
        self._in_index = inp["index"]
        self._boxes_index, self._logits_index = by_width[16]["index"], by_width[1]["index"]

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._interp.set_tensor(self._in_index, x)
        self._interp.invoke()
        return (np.array(self._interp.get_tensor(self._boxes_index)[0], dtype=np.float32),
                np.array(self._interp.get_tensor(self._logits_index)[0, :, 0], dtype=np.float32))

    def detect(self, frame: np.ndarray, min_score: float = MIN_SCORE) -> list[tuple[tuple[float, float, float, float], float]]:
        """Faces of an RGB uint8 frame, best first, boxes ``(x, y, w, h)`` in the frame's pixels."""
        import cv2

        h, w = frame.shape[:2]
        scale = INPUT_SIDE / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        pad_x, pad_y = (INPUT_SIDE - nw) // 2, (INPUT_SIDE - nh) // 2
        canvas = np.zeros((INPUT_SIDE, INPUT_SIDE, 3), dtype=np.uint8)
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        canvas[pad_y:pad_y + nh, pad_x:pad_x + nw] = cv2.resize(np.ascontiguousarray(frame), (nw, nh),
                                                                interpolation=interp)
        x = canvas[None].astype(np.float32) / 127.5 - 1.0
        with self._lock:  # a TFLite interpreter must not be invoked from two threads at once
            raw, logits = self._run(x)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        keep = scores >= min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        centre = raw[:, :2] + anchors * INPUT_SIDE
        size = raw[:, 2:4]
        boxes = np.concatenate([centre - size / 2.0, size], axis=1)
        boxes[:, 0] -= pad_x
        boxes[:, 1] -= pad_y
        boxes /= scale
        return [(tuple(float(v) for v in box), score) for box, score in merge_overlapping(boxes, scores)]
