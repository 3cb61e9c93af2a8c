"""The face detector (``media.blazeface`` behind ``media.faces``): it finds the face, and only the face.

The cascade it replaced took an eye, a collar or a patch of background for the largest face in a
quarter of real talking-head frames; these tests hold the new one to the face on real and
synthetic pictures, with boxes in the geometry the expression crops were measured on.
"""

from __future__ import annotations

import numpy as np
import pytest
from devcorpus import _feat_file, _make_examples

from affect_llm.media.blazeface import BlazeFace, anchor_centres, merge_overlapping
from affect_llm.media.clip import read_clip
from affect_llm.media.faces import CASCADE_LIFT, CASCADE_SCALE, cascade_box, detect_faces


@pytest.fixture(scope="module")
def model() -> BlazeFace:
    return BlazeFace()


def test_anchors_cover_the_input_row_by_row():
    a = anchor_centres()
    assert a.shape == (48 * 48, 2)  # the model's 2,304 outputs
    assert a[0].tolist() == pytest.approx([0.5 / 48, 0.5 / 48])
    assert a[1, 0] > a[0, 0] and a[1, 1] == a[0, 1]  # x runs fastest
    assert a[-1].tolist() == pytest.approx([47.5 / 48, 47.5 / 48])


def test_overlapping_boxes_merge_into_their_weighted_mean_and_apart_ones_stay():
    boxes = np.array([[10, 10, 20, 20], [12, 10, 20, 20], [100, 100, 30, 30]], dtype=np.float32)
    merged = merge_overlapping(boxes, np.array([0.9, 0.6, 0.7], dtype=np.float32))
    assert len(merged) == 2
    (first, s1), (second, s2) = merged
    assert s1 == pytest.approx(0.9) and s2 == pytest.approx(0.7)
    assert first[0] == pytest.approx((10 * 0.9 + 12 * 0.6) / 1.5)
    assert second.tolist() == [100, 100, 30, 30]


def test_the_portrait_face_is_found_where_it_is(model):
    mk = _make_examples()
    img = mk.astronaut()  # 512 x 512, the face at about x 170-250, y 60-170
    faces = model.detect(img)
    assert len(faces) == 1
    (x, y, w, h), score = faces[0]
    assert score > 0.8
    cx, cy = x + w / 2, y + h / 2
    assert 180 < cx < 250 and 80 < cy < 150 and 60 < w < 120


def test_no_face_in_a_picture_without_one(model):
    mk = _make_examples()
    assert model.detect(mk.gradient_image()) == []
    assert model.detect(np.zeros((240, 320, 3), dtype=np.uint8)) == []


def test_the_box_handed_on_is_the_cascades_geometry():
    x, y, w, h = cascade_box((100.0, 100.0, 80.0, 80.0))
    assert w == h == round(CASCADE_SCALE * 80)
    assert x + w / 2 == pytest.approx(140, abs=1)
    assert y + h / 2 == pytest.approx(140 - CASCADE_LIFT * 80, abs=1)


def test_a_zoomed_portrait_keeps_one_steady_face_in_every_frame():
    # The cascade took a larger non-face patch in 6 of these 24 frames.
    mk = _make_examples()
    frames = mk.ken_burns(mk.astronaut(), 24, 320, 320)
    track = detect_faces(frames)
    assert track.found.all()
    sides = np.array([b[2] for b in track.boxes])
    centres = np.array([(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in track.boxes])
    assert sides.max() / sides.min() < 1.25
    assert np.abs(np.diff(centres, axis=0)).max() < 0.25 * sides.min()  # no jump to another patch


def test_a_real_filmed_face_is_found_in_every_frame():
    clip = read_clip(_feat_file("single_face.mp4"), num_frames=8)
    track = detect_faces(clip.frames)
    assert track.found.all()
    h, w = clip.frames.shape[1:3]
    sides = np.array([b[2] for b in track.boxes])
    assert sides.min() > 0.1 * min(h, w) and sides.max() / sides.min() < 1.5


def test_a_face_cut_by_the_frame_edge_stays_inside_it(model):
    mk = _make_examples()
    img = mk.astronaut()[40:, 150:]  # the face near the top-left corner
    track = detect_faces(img[None])
    assert track.found.all()
    x, y, w, h = track.boxes[0]
    assert x >= 0 and y >= 0 and x + w <= img.shape[1] and y + h <= img.shape[0]


def test_a_face_that_fills_the_frame_is_found_by_looking_again_with_room_around_it(model):
    mk = _make_examples()
    close_up = np.ascontiguousarray(mk.astronaut()[75:165, 170:250])  # brows to chin, cheek to cheek
    track = detect_faces(close_up[None])
    assert track.found.all()
    x, y, w, h = track.boxes[0]
    assert w > 0.6 * close_up.shape[1]  # the whole face, not a part of it
