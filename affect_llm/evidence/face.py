"""Face evidence: the expression model's readings over the frames where a face was found.

Scores are the mean of the per-frame probabilities (FER2013 classes mapped onto the label set),
so a face that is happy in 6 frames and neutral in 2 reads mostly happy, partly neutral.
Reliability is the share of sampled frames with a face: a face seen in one frame of eight is a
glimpse, not evidence to outvote a voice heard for the whole clip. It is also capped, because a
7-class expression model trained on posed stills (FER2013) reads real, moving faces far less
surely than its probabilities claim.

Calibration: the mini-Xception's softmax puts 0.95 or more on its top class for most faces,
wrong or right, while the model is right on about 66 % of FER2013's test faces (and less often on
real video). Mixing its mean with the uniform distribution (``CALIBRATION`` of the model, the
rest uniform) brings the top score of a confident reading down to about 0.66, so a face is as
sure in the fusion as the model is accurate, and no surer.

A face whose mouth does not move while speech is heard (``media.face_motion``) enters the
fusion's pool at ``STILL_FACE_SHARE`` of its weight (``ModalityEvidence.pool_share``). Why: the
face seen is then not shown to be the speaker's as they speak: a photograph under a voice-over,
a podcast's cover art, a poster, a listener. ``examples/angry.mp4`` (a smiling portrait under a
shouted "This is completely unacceptable!") was answered "happy, and possibly angry": the
portrait's smile outweighed the words. Its reading still *shows* (the fusion names the conflict,
"the words point to anger, but the face points to happiness"), it just cannot outvote the
speaker's own voice and words. A quarter, not nothing: when the voice and the words say nothing
the still face still leans the answer. A quarter is also what words that show no emotion keep
(fusion rule 1b), and it was not chosen blind: at a half, ``examples/angry.mp4`` would still be
answered "happy", by a hair. Of the 240 real talking faces of Javanese AV, one is called still
(its lips stay closed in all 8 sampled frames; ``eval/face_motion.py``), so on real
talking-head video little changes.

Measured, not used: the face's geometry from MediaPipe's 468-point face mesh (its
``face_landmark.tflite`` ships in the same wheel as BlazeFace): brow height, inner-brow height,
eye and mouth opening and mouth-corner lift, per frame, over the inter-ocular distance. On the
240 real Javanese clips no measure told the emotions apart across people: surprised against angry
(the model's main confusion there) at an AUC of 0.60-0.65 for the brows, eye opening 0.41; only
the mouth-corner lift told happy from neutral (0.82), which the expression model already does.
Within one speaker the differences are plain (surprise raises the brows, +0.7 standard deviations
of that speaker), but a single clip has no neutral face of its speaker to measure against.
"""

from __future__ import annotations

import numpy as np

from ..emotions import EXPRESSION_CLASSES, EXPRESSION_TO_LABEL, LABELS, normalize
from . import ModalityEvidence, absent

# The expression model is never fully trusted: trained on posed, centred stills (FER2013), models
# of its kind read in-the-wild video faces right far less often (35-50 % on AFEW-like sets) than
# the words of an utterance are read by a text model, and a smile is the face people put on most.
MAX_RELIABILITY = 0.6
CALIBRATION = 0.6
METHOD = "fer-mini-xception"


STILL_FACE_SHARE = 0.25
# The expression model's mean probability at which a face *plainly* shows a label (fusion rule 3e).
PLAIN = 0.9


def face_evidence(probs: np.ndarray | None, found: np.ndarray | None, frames: int, *,
                  still_while_speaking: bool = False) -> ModalityEvidence:
    """``probs``: ``[N, 7]`` expression probabilities (``EXPRESSION_CLASSES`` order) per sampled frame;
    ``found``: ``[N]`` bool, a face in that frame; ``frames``: how many frames were sampled;
    ``still_while_speaking``: the face's mouth did not move while speech was heard (module doc)."""
    if probs is None or found is None or not np.any(found) or frames <= 0:
        return absent("face", "no picture (a sound-only recording)" if frames <= 0 else
                      f"no face in any of the {frames} sampled frames")
    probs = np.asarray(probs, dtype=np.float64)
    idx = np.flatnonzero(found)
    mean = probs[idx].mean(axis=0)
    raw = normalize({EXPRESSION_TO_LABEL[c]: float(p) for c, p in zip(EXPRESSION_CLASSES, mean)})
    scores = {lab: CALIBRATION * raw[lab] + (1 - CALIBRATION) / len(LABELS) for lab in LABELS}
    ratio = len(idx) / frames
    detail = {"frames_with_face": len(idx), "frames": int(frames),
              "model_probs": {lab: round(v, 3) for lab, v in raw.items()}}
    if still_while_speaking:
        detail["still_while_speaking"] = True
    return ModalityEvidence(modality="face", scores=scores, reliability=round(MAX_RELIABILITY * ratio, 3),
                            method=METHOD, detail=detail,
                            pool_share=STILL_FACE_SHARE if still_while_speaking else 1.0)


def plainly_shows(ev: ModalityEvidence | None, label: str) -> bool:
    """Whether a present face reads ``label`` with at least ``PLAIN`` of the expression model's mean
    probability (``detail["model_probs"]``, before calibration). Why a separate bar: the model's
    confusions live at moderate certainty. On 240 real talking faces (Javanese AV) it read 25 angry
    faces as surprised, none above 0.77, and no face there above 0.77 for surprise at all; on four
    corpora of posed photos (CK+, KDEF, JAFFE, FER2013, at video size) 89 faces read surprised at
    0.9 or more, 87 of them surprised and none angry."""
    if ev is None or not ev.present:
        return False
    return float((ev.detail.get("model_probs") or {}).get(label, 0.0)) >= PLAIN
