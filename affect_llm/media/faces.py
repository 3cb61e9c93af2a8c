"""Find the speaker's face in each sampled frame, and cut a square crop around it for who asks.

The detector is MediaPipe's BlazeFace, full-range model (Apache-2.0), a 0.7 MB TFLite file read
from the ``mediapipe`` wheel (installed ``--no-deps``, never imported) and run with
``ai_edge_litert``, the runtime the expression model already uses: no download, no GPU, ~5 ms a
frame on one CPU thread. Why not OpenCV's Haar cascade, which this module used before: on real
video of people speaking (Javanese AV, 240 clips, 8 frames each) the cascade found a face in
1,496 of 1,920 frames and 231 of 240 clips, and in some frames the box it found was an eye
(clips 07-04-04, 09-02-02), so the expression model read an eye. BlazeFace found a face in
1,879 frames and every clip, in 5 ms a frame against 19, and the face channel's top label rose
from 84 to 91 of 240 (``eval/face_detector.py``, ``eval/results/face_detector.md``). On the
four labelled photo corpora it finds as many faces or more and reads as well or better
(``encoders.expression``).

The box handed on is the cascade's geometry, not BlazeFace's own: BlazeFace's box sits lower
(brows to below the chin) and is a little wider. The expression model's crop margin
(``encoders.expression.CROP_MARGINS``) was measured on cascade boxes, and ``media.face_motion``
places the mouth as a share of the box, so ``cascade_box`` moves BlazeFace's box to where the
cascade puts it; the constants are the median offsets over the 1,458 Javanese frames where both
found the same face. (Read on BlazeFace's own box, the face channel got 93 of 240 against 91:
the same within noise, and one more real face was called still.)

**Several people in the picture** (a two-shot, an interview, a scene from a series): the faces
are linked across the sampled frames into people (``link_people``), and the one read is the
speaker's, where that can be seen (``pick_speaker``): while speech is heard, the face whose mouth
clearly moves most (``media.face_motion``, measured once per person: ``FaceTrack.mouth_motion``);
otherwise the largest person (the nearest, most often the subject). Measured on two-person
composites of the real Javanese clips, each beside a larger listener of the same corpus
(``eval/two_faces.py``, ``eval/results/two_faces.md``). A frame with one face, in a clip where no
frame has two, is read exactly as before. Whether speech is heard is asked only when several
people are seen (``detect_faces``' ``speech_heard`` may be a callable), so a caller that has not
run a voice detector yet need not run one for a clip of one person.

**Cuts** (shot and reverse shot): faces are linked only within one camera set-up
(``media.shots``), so after a cut to the listener, whose face sits where the speaker's was, that
face is another person's, and a cut back finds the speaker again; the speaker is then chosen as
above.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np

from .shots import camera_setups, colour_distance, colours_of, shot_count

log = logging.getLogger(__name__)

MIN_FACE_FRACTION = 0.06  # smallest face side, as a fraction of the shorter image side: smaller
# faces are too small to read an expression from (the cascade used before had the same bar)
# BlazeFace's box -> where the cascade puts the same face (module doc): the centre moves up by
# this share of the box's width, and the square's side is this share of the width.
CASCADE_LIFT = 0.088
CASCADE_SCALE = 0.925
# What finds the faces, by name: a learned face stream's feature cache id carries it
# (``features.extract``), so crops cut by another detector, or chosen by another rule (people
# told apart: "/people"; only within a camera set-up: "/shots"), are never served from the cache.
DETECTOR_ID = "blazeface-full-range/people/shots"
CLOSE_UP_PAD = 0.5  # a frame without a face is looked at again grown by this share on each side

# Linking faces into people across the sampled frames (``link_people``): a face continues a
# person when its centre lies within ``LINK_DISTANCE`` of that person's last face side from the
# last face's centre, and neither side is more than ``LINK_SIZE`` times the other. Sampled frames
# lie 0.3-1 s apart: a seated speaker's face moves a small part of its own width in that time,
# while two people side by side are a face width or more apart.
LINK_DISTANCE = 0.5
LINK_SIZE = 1.5
MIN_PERSON_FRAMES = 2  # a face seen in one sampled frame only is not counted as a person in view
# One person on both sides of a change of set-up (``link_people``'s ``same_face``): the colours of
# the face with hair and collar (the box grown by ``FACE_LOOK_MARGIN``) under ``SAME_FACE`` apart
# (``media.shots.colour_distance``). One person's face between two frames of one shot: median
# 0.05, 99th percentile 0.14 (Javanese AV, every other clip); two speakers of that corpus before
# the same wall, cut one to the other: 0.14 and more, 5th percentile 0.19. Joining wrongly reads
# the listener as the speaker, as before cuts were seen, so the bar sits low.
SAME_FACE = 0.12
FACE_LOOK_MARGIN = 0.3
FACE_LOOK_SIDE = 96
# Read another face than the largest only when its mouth moves this many times more than any
# other's (``pick_speaker``): both mouths move when both people talk, or when the listener
# smiles or nods, and then who is heard cannot be seen.
SPEAKER_MARGIN = 1.5

Box = tuple[int, int, int, int]

CROP_SIDE = 224  # side of the crops the learned face stream and the demo are given
CROP_MARGIN = 0.2  # ... grown by this share of the face box on each side


@dataclass
class FaceTrack:
    """One person's face per frame (``boxes``, ``found``) and, on first use, one crop per frame
    (``crops``): the face grown by ``margin``, or the centre square of the frame where none was
    found; and, on first use, how much its mouth moves (``mouth_motion``).

    ``detect_faces`` makes one per person seen and hands on the one read (the speaker's, or the
    largest person's; ``pick_speaker``), with ``people`` and ``chosen_by`` set.

    The crops are cut lazily because only the learned face stream (``features.extract``) and the
    demo's gallery read them; the default model's expression reader cuts its own from ``boxes``
    (``crop_faces``, ``encoders.expression.read_faces``), so ``describe`` never pays for them. The
    mouth motion is kept because two readers want it: ``pick_speaker`` (only with several people
    in view) and ``perception.face_channel``, which then reads the chosen person's without
    measuring it again.
    """

    frames: np.ndarray = field(repr=False)  # [N, H, W, 3] uint8 RGB: the frames the boxes lie in
    boxes: list[tuple[int, int, int, int] | None]  # x, y, w, h of the detected face, frame pixels
    found: np.ndarray  # [N] bool
    size: int = CROP_SIDE
    margin: float = CROP_MARGIN
    people: int = 1  # people whose faces were seen (``link_people``); 0 when no face was found
    # Why this person's face is the one read, when there were several: "mouth" (theirs clearly
    # moved most while speech was heard) or "largest" (nothing showed who speaks); "only" when
    # one person was seen.
    chosen_by: Literal["only", "largest", "mouth"] = "only"
    shots: int = 1  # shots among the sampled frames (``media.shots``): the video cuts when > 1

    @classmethod
    def from_boxes(cls, frames: np.ndarray, boxes: Sequence[Box | None], size: int = CROP_SIDE,
                   margin: float = CROP_MARGIN) -> FaceTrack:
        """The track of a person whose face is ``boxes`` (None where not seen) in ``frames``."""
        boxes = list(boxes)
        found = np.array([box is not None for box in boxes], dtype=bool)
        return cls(frames=frames, boxes=boxes, found=found, size=size, margin=margin)

    @functools.cached_property
    def crops(self) -> np.ndarray:
        """``[N, size, size, 3]`` uint8 RGB, cut on first access and kept."""
        return crop_faces(self.frames, self.boxes, self.size, self.margin)

    @functools.cached_property
    def mouth_motion(self) -> float | None:
        """``media.face_motion.mouth_motion`` of this face, measured on first access and kept
        (None when too few frames hold the face)."""
        from .face_motion import mouth_motion

        return mouth_motion(self.frames, self.boxes)

    @property
    def found_ratio(self) -> float:
        return float(self.found.mean()) if self.found.size else 0.0


def cascade_box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """BlazeFace's ``(x, y, w, h)`` moved to the square the cascade drew around the same face."""
    x, y, w, h = box
    cx, cy = x + w / 2.0, y + h / 2.0 - CASCADE_LIFT * w
    side = CASCADE_SCALE * w
    return round(cx - side / 2.0), round(cy - side / 2.0), round(side), round(side)


class _Detector:
    """The face detector, loaded once per process (``_detector``)."""

    def __init__(self) -> None:
        from .blazeface import BlazeFace

        self.model = BlazeFace()

    def _detect_padded(self, frame: np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
        """BlazeFace on the frame grown by ``CLOSE_UP_PAD`` of its longer side on each side (edge
        pixels repeated), boxes back in the frame's pixels.

        Why: a face that fills the frame (a close-up, a dataset's tight face crop) is larger than
        any the model was trained to box; padded, it is a size it knows. Labelled tight crops
        (``encoders.expression``): CK+48's 309 faces, found in 48 as they are, 285 with this; FER2013's
        280, 13 and 156. Only where nothing was found, so other frames cost nothing more.
        """
        import cv2

        pad = round(CLOSE_UP_PAD * max(frame.shape[:2]))
        grown = cv2.copyMakeBorder(np.ascontiguousarray(frame), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        return [((x - pad, y - pad, w, h), score) for (x, y, w, h), score in self.model.detect(grown)]

    def faces(self, frame: np.ndarray) -> list[Box]:
        """Boxes of the faces in an RGB frame, largest first, in that frame's pixels, in the
        cascade's geometry, each cut to the part inside the frame.

        Largest first, not most confident: in a clip of one person speaking the speaker's face is
        the nearest one; BlazeFace's scores of real faces differ by a few hundredths. A box whose
        centre lies inside a larger one is dropped: two people's faces do not overlap that much,
        and a second box on one face (an eye, a mouth) must not be read as a second person.
        """
        min_side = MIN_FACE_FRACTION * min(frame.shape[:2])
        found = self.model.detect(frame) or self._detect_padded(frame)
        height, width = frame.shape[:2]
        boxes: list[Box] = []
        for box in sorted((b for b, _ in found if b[2] >= min_side), key=lambda b: -b[2] * b[3]):
            x, y, w, h = cascade_box(box)  # a face at the frame's edge: keep the part inside it
            x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
            if x1 > x0 and y1 > y0 and not any(_inside((x0 + x1) / 2, (y0 + y1) / 2, b) for b in boxes):
                boxes.append((x0, y0, x1 - x0, y1 - y0))
        return boxes


def _inside(x: float, y: float, box: Box) -> bool:
    bx, by, bw, bh = box
    return bx <= x <= bx + bw and by <= y <= by + bh


_DETECTOR_LOCK = threading.Lock()


def _detector() -> _Detector:
    """Loaded once per process: loading the model takes ~20 ms. Under a lock: serve's
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


def link_people(per_frame: Sequence[Sequence[Box]], setups: Sequence[int | None] | None = None,
                same_face: Callable[[int, Box, int, Box], bool] | None = None) -> list[list[Box | None]]:
    """The faces of each frame (largest first) linked across the frames into people: one box or
    None per frame for each person, the most prominent person first (the largest summed face
    area: seen longest and nearest).

    Faces are linked only within one camera set-up (``setups``, one per frame, from
    ``media.shots.camera_setups``; None: one set-up throughout): after a cut to another set-up
    a face in the same place is another person's (shot and reverse shot), and a cut back finds
    the first person again. But a face in the same place that looks the same (``same_face``,
    asked of two frames and their boxes) is the same person on both sides, so a change in the
    picture that is no cut (a light, someone passing, a fade) does not split one person in two.

    Within a set-up where no frame holds two faces, every face is one person's, exactly as the
    largest face per frame was read before people were told apart. Otherwise a face continues
    the nearest person last seen within ``LINK_DISTANCE`` at a similar size (``LINK_SIZE``), or
    starts a new one. A person seen in fewer than ``MIN_PERSON_FRAMES`` frames is dropped (a face
    glimpsed once, or a detection that is no face), unless no one is seen longer."""
    n = len(per_frame)
    if not any(per_frame):
        return []
    setups = list(setups) if setups is not None else [0] * n
    people: list[list[Box | None]] = []
    for setup in dict.fromkeys(s for s, faces in zip(setups, per_frame) if faces):
        people += _link_in_setup([faces if s == setup else [] for s, faces in zip(setups, per_frame)])
    if same_face is not None:
        people = _rejoin(people, same_face)
    people = [p for p in people if sum(b is not None for b in p) >= MIN_PERSON_FRAMES] or people
    return sorted(people, key=lambda p: -sum(b[2] * b[3] for b in p if b is not None))


def _link_in_setup(per_frame: Sequence[Sequence[Box]]) -> list[list[Box | None]]:
    """``link_people`` for the frames of one camera set-up (the other frames hold no faces)."""
    n = len(per_frame)
    if max(len(faces) for faces in per_frame) == 1:
        return [[faces[0] if faces else None for faces in per_frame]]
    people: list[list[Box | None]] = []
    last: list[Box] = []  # each person's face where last seen
    for i, faces in enumerate(per_frame):
        free = set(range(len(people)))  # a person has one face a frame
        for box in faces:
            near = [(d, p) for p in free if (d := _step(last[p], box)) is not None]
            if near:
                p = min(near)[1]
                free.discard(p)
            else:
                people.append([None] * n)
                last.append(box)
                p = len(people) - 1
            people[p][i], last[p] = box, box
    return people


def _rejoin(people: list[list[Box | None]],
            same_face: Callable[[int, Box, int, Box], bool]) -> list[list[Box | None]]:
    """Join two people who are one (``link_people``): never seen in the same frame, and at their
    nearest frames in the same place (``_step``) with the same look (``same_face``)."""
    people = list(people)
    joined = True
    while joined:
        joined = False
        for a, b in combinations(range(len(people)), 2):
            pa, pb = people[a], people[b]
            if any(x is not None and y is not None for x, y in zip(pa, pb)):
                continue
            seen_a = [i for i, x in enumerate(pa) if x is not None]
            seen_b = [j for j, y in enumerate(pb) if y is not None]
            i, j = min(((i, j) for i in seen_a for j in seen_b), key=lambda ij: abs(ij[0] - ij[1]))
            if _step(pa[i], pb[j]) is not None and same_face(i, pa[i], j, pb[j]):
                people[a] = [x if x is not None else y for x, y in zip(pa, pb)]
                del people[b]
                joined = True
                break
    return people


def _step(before: Box, after: Box) -> float | None:
    """How far a face moved from ``before`` to ``after`` (centre to centre, in pixels), or None
    when ``after`` cannot be the same person's face: too far (``LINK_DISTANCE`` of the side it
    had) or of another size (``LINK_SIZE``)."""
    (x0, y0, w0, h0), (x1, y1, w1, h1) = before, after
    dx, dy = abs(x1 + w1 / 2 - x0 - w0 / 2), abs(y1 + h1 / 2 - y0 - h0 / 2)
    if max(w0, w1) > LINK_SIZE * min(w0, w1) or max(dx, dy) > LINK_DISTANCE * w0:
        return None
    return dx + dy


def pick_speaker(people: Sequence[FaceTrack],
                 speech_heard: bool | Callable[[], bool]) -> tuple[int, Literal["only", "largest", "mouth"]]:
    """Which person's face to read (an index into ``people``, one ``FaceTrack`` per person, most
    prominent first) and why.

    While speech is heard, the speaker is the person whose mouth moves (``FaceTrack.mouth_motion``,
    measured here and kept for whoever reads the chosen face next): the one whose mouth motion
    passes ``STILL_MOUTH`` and is at least ``SPEAKER_MARGIN`` times every other's. Otherwise (no
    speech; both mouths move, or neither does; too few frames of a face to measure it) the most
    prominent person, who in a clip of one scene is most often its subject. ``speech_heard`` may
    be a callable, asked once and only when several people are seen: with one, its answer would
    change nothing.
    """
    if len(people) < 2:
        return 0, "only"
    if not (speech_heard() if callable(speech_heard) else speech_heard):
        return 0, "largest"
    from .face_motion import STILL_MOUTH

    motions = [person.mouth_motion for person in people]
    log.debug("mouth motion of the %d people seen: %s", len(people), motions)
    order = sorted(range(len(people)), key=lambda i: -1.0 if motions[i] is None else motions[i], reverse=True)
    top, runner_up = motions[order[0]], motions[order[1]]
    if top is not None and top >= STILL_MOUTH and (runner_up is None or top >= SPEAKER_MARGIN * runner_up):
        return order[0], "mouth"
    return 0, "largest"


def detect_faces(frames: np.ndarray, size: int = CROP_SIDE, margin: float = CROP_MARGIN,
                 speech_heard: bool | Callable[[], bool] = False) -> FaceTrack:
    """One person's face per frame: the speaker's where several people are seen and speech is
    heard (``pick_speaker``), else the most prominent person's. Its ``size`` x ``size`` RGB crop,
    with ``margin`` of the box on each side, is cut when first read (``FaceTrack.crops``).

    ``speech_heard``: whether speech is heard, or a callable that answers it, asked at most once
    and only when several people are seen, so a caller that has not run a voice detector yet
    (``features.extract``) runs it only where it decides something.

    Frames without that person's face get the centre square of the whole frame instead, and
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
    setups = camera_setups(frames)

    def same_face(i: int, box_i: Box, j: int, box_j: Box) -> bool:
        looks = [colours_of(crop_face(frames[k], box, FACE_LOOK_SIDE, FACE_LOOK_MARGIN))
                 for k, box in ((i, box_i), (j, box_j))]
        return colour_distance(*looks) < SAME_FACE

    people = [FaceTrack.from_boxes(frames, boxes, size, margin)
              for boxes in link_people([det.faces(frame) for frame in frames], setups, same_face)]
    if not people:
        track, why = FaceTrack.from_boxes(frames, [None] * n, size, margin), "only"
    else:
        chosen, why = pick_speaker(people, speech_heard)
        track = people[chosen]  # the same object: its mouth motion, if measured, is kept
    track.people, track.chosen_by, track.shots = len(people), why, shot_count(setups)
    log.info("faces found in %d of %d frames (people seen: %d; the face read: %s; shots: %d)",
             int(track.found.sum()), n, len(people), why, track.shots)
    return track
