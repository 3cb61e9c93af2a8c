"""Media layer: decoding, bad inputs, face crops, expression model, prosody and subtitles."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from affect_llm.encoders.base import Encoder
from affect_llm.encoders.expression import CROP_MARGINS, CROP_SIDE, LABELS, load_expression_model, read_faces
from affect_llm.errors import InputError
from affect_llm.media.clip import _split_by_keyframe, read_clip, uniform_indices
from affect_llm.media.faces import centre_square, crop_faces, detect_faces, square_box
from affect_llm.media.prosody import analyze_prosody
from affect_llm.media.subtitle import parse_srt, resolve_subtitle

SR = 16000


# --------------------------------------------------------------------------- read_clip
def test_uniform_indices_are_segment_centres():
    assert uniform_indices(80, 8).tolist() == [5, 15, 25, 35, 45, 55, 65, 75]
    assert uniform_indices(3, 8).tolist() == [0, 1, 2]  # clamped, no duplicates
    assert uniform_indices(1, 4).tolist() == [0]


def test_good_clip_frames_times_and_audio(good_clip):
    clip = read_clip(good_clip, num_frames=8)
    assert clip.frames.shape == (8, 256, 256, 3)
    assert clip.frames.dtype == np.uint8
    assert (clip.width, clip.height, clip.downscaled) == (256, 256, False)
    assert clip.fps == pytest.approx(12.0)
    assert clip.frame_times.shape == (8,)
    steps = np.diff(clip.frame_times)
    assert np.all(steps > 0)
    # Segment centres: equal steps of duration/8, to within one frame of rounding.
    assert np.allclose(steps, clip.duration / 8, atol=1.0 / clip.fps + 1e-6)
    assert clip.frame_times[0] == pytest.approx(clip.duration / 16, abs=1.0 / clip.fps)
    # Consecutive sampled frames differ (the clip zooms), so we did not decode one frame 8 times.
    assert np.abs(clip.frames[0].astype(int) - clip.frames[-1].astype(int)).mean() > 1.0

    assert clip.audio is not None and clip.audio.dtype == np.float32 and clip.audio.ndim == 1
    assert clip.sample_rate == SR
    assert len(clip.audio) == pytest.approx(clip.duration * SR, rel=0.05)
    assert 0.05 < np.abs(clip.audio).max() <= 1.5


def test_num_frames_larger_than_video_is_clamped(good_clip):
    clip = read_clip(good_clip, num_frames=10_000)
    assert clip.num_frames == clip.total_frames
    assert np.all(np.diff(clip.frame_times) > 0)


def test_clip_without_audio_track(silent_clip):
    clip = read_clip(silent_clip, num_frames=4)
    assert clip.audio is None
    assert clip.frames.shape == (4, 256, 256, 3)
    assert clip.duration == pytest.approx(2.0, abs=0.1)


def test_huge_clip_is_decoded_downscaled(huge_clip):
    clip = read_clip(huge_clip, num_frames=8, max_side=1280)
    assert clip.downscaled is True
    assert (clip.width, clip.height) == (4000, 3000)
    assert clip.num_frames == 2  # only 2 frames exist
    h, w = clip.frames.shape[1:3]
    assert max(h, w) <= 1280
    assert w / h == pytest.approx(4000 / 3000, rel=0.01)
    # Still a usable picture: the face is found in the downscaled frames.
    assert detect_faces(clip.frames).found.all()


def test_split_by_keyframe_keeps_gops_whole_and_balances_work():
    keys = np.array([0, 250, 500, 750, 1000, 1250, 1494])
    idx = uniform_indices(1500, 8)  # 93 281 468 656 843 1031 1218 1406
    assert [r.tolist() for r in _split_by_keyframe(idx, keys, 1)] == [idx.tolist()]
    runs = _split_by_keyframe(idx, keys, 2)
    assert [r.tolist() for r in runs] == [[93, 281, 468, 656], [843, 1031, 1218, 1406]]
    for parts in (3, 4, 8, 100):
        runs = _split_by_keyframe(idx, keys, parts)
        assert 1 < len(runs) <= min(parts, 6) and np.concatenate(runs).tolist() == idx.tolist()
        gops = [set(np.searchsorted(keys, r, side="right") - 1) for r in runs]
        assert all(not (a & b) for i, a in enumerate(gops) for b in gops[i + 1:])  # no GOP in two runs
    assert len(_split_by_keyframe(np.array([5, 9, 200]), keys, 4)) == 1  # one GOP: nothing to split
    assert len(_split_by_keyframe(idx, np.array([0]), 4)) == 1


def test_parallel_readers_give_the_same_clip(media_dir, monkeypatch):
    """Frames from several GOP readers (one per core) equal those of one reader, bit for bit."""
    import subprocess

    import affect_llm.media.clip as clip_module

    path = media_dir / "short_gop.mp4"
    if not path.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=44100", "-t", "4",
                        "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "2", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest", str(path)], check=True)
    clips = {}
    for cores in (1, 4):
        monkeypatch.setattr(clip_module, "_cpu_count", lambda cores=cores: cores)
        for max_side in (1280, 80):  # as decoded, and downscaled
            clips[cores, max_side] = read_clip(path, num_frames=8, max_side=max_side)
    for max_side in (1280, 80):
        one, many = clips[1, max_side], clips[4, max_side]
        assert np.array_equal(one.frames, many.frames) and np.array_equal(one.frame_times, many.frame_times)
        assert np.array_equal(one.audio, many.audio) and one.duration == many.duration
        assert np.abs(many.frames[0].astype(int) - many.frames[-1].astype(int)).mean() > 1.0
    assert clips[4, 80].downscaled and max(clips[4, 80].frames.shape[1:3]) <= 80


BAD_INPUTS = {
    "zero_byte": "empty",
    "text_as_mp4": "text file, not a video or a sound recording",
    "image_as_mp4": "image",
    "random_bytes": "cannot be decoded",
    "truncated_mp4": "truncated",
    "truncated_moov_mp4": "truncated",
    "no_streams": "neither a picture nor sound: give a video or a sound recording",
    "directory": "directory",
    "missing_path": "does not exist",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_raises_one_line_input_error(bad_inputs, name, capfd):
    path = bad_inputs[name]
    with pytest.raises(InputError) as info:
        read_clip(path)
    message = str(info.value)
    assert path.name in message
    assert BAD_INPUTS[name] in message
    assert "\n" not in message
    # decord/FFmpeg diagnostics go to logging, not to the terminal.
    assert capfd.readouterr().err == ""


def test_a_video_too_narrow_for_the_decoder_says_how_to_fix_it(tmp_path, capfd):
    """decord fails on some very narrow H.264 videos (48 px wide: dmlc/decord#336); "re-export it"
    would fail again at that size, so the message says to scale it up, and scaled it decodes."""
    import subprocess

    narrow, scaled = tmp_path / "narrow48.mp4", tmp_path / "scaled.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=48x48:rate=10", "-t", "1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(narrow)], check=True)
    with pytest.raises(InputError) as info:
        read_clip(narrow)
    assert "narrow48.mp4" in str(info.value) and "scale it up" in str(info.value)
    assert capfd.readouterr().err == ""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(narrow), "-vf", "scale=-2:240", str(scaled)], check=True)
    assert read_clip(scaled, num_frames=4).frames.shape[1:3] == (240, 240)


def test_named_bad_input_fixtures(zero_byte, truncated_mp4, text_as_mp4, missing_path):
    for path in (zero_byte, truncated_mp4, text_as_mp4, missing_path):
        with pytest.raises(InputError, match=path.name):
            read_clip(path)


def test_a_sound_only_recording_is_a_clip_without_a_picture(audio_only, tmp_path):
    """A phone's voice memo (an mp4 holding only AAC) and a plain .wav decode to their sound and
    no frames: real emotional speech is mostly recorded so, and must not need a video wrapper."""
    import subprocess

    wav = tmp_path / "memo.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(audio_only), str(wav)], check=True)
    for path in (audio_only, wav):
        clip = read_clip(path)
        assert not clip.has_picture and clip.frames.shape[0] == 0 and clip.frame_times.shape == (0,)
        assert clip.has_audio and 1.0 < clip.duration < 4.0 and clip.audio.size == pytest.approx(
            clip.duration * clip.sample_rate, rel=0.01)
        assert clip.summary() == f"{clip.duration:.1f} s, sound only"


def test_hung_decoder_becomes_input_error(good_clip, monkeypatch):
    """decord's get_batch can spin forever on some files; read_clip stops waiting and says so."""
    import affect_llm.media.clip as clip_module

    monkeypatch.setattr(clip_module, "_decode", lambda *args: time.sleep(3))
    start = time.perf_counter()
    with pytest.raises(InputError, match="did not finish"):
        read_clip(good_clip, timeout_s=0.3)
    assert time.perf_counter() - start < 2.0


# --------------------------------------------------------------------------- faces
def test_square_box_stays_inside_frame():
    assert square_box((10, 20, 40, 40), 200, 100, margin=0.2) == (2, 12, 56)  # centred, fits
    assert square_box((0, 20, 40, 40), 200, 100, margin=0.2) == (0, 12, 56)  # shifted right
    assert square_box((150, 60, 50, 50), 200, 100, margin=0.5) == (100, 0, 100)  # shrunk to fit
    x0, y0, side = square_box((80, 30, 20, 30), 200, 100, margin=0.2)
    assert side == 42 and 0 <= x0 <= 200 - side and 0 <= y0 <= 100 - side


def test_faces_found_on_astronaut(good_clip):
    clip = read_clip(good_clip, num_frames=6)
    track = detect_faces(clip.frames, size=224, margin=0.2)
    assert track.crops.shape == (6, 224, 224, 3) and track.crops.dtype == np.uint8
    assert track.found.all()
    for box in track.boxes:
        x, y, w, h = box
        assert 0 <= x and 0 <= y and x + w <= 256 and y + h <= 256
        assert 20 <= w <= 160  # a face, not the whole frame


def test_no_face_falls_back_to_frame(noface_clip):
    import cv2

    clip = read_clip(noface_clip, num_frames=4)
    track = detect_faces(clip.frames, size=112)
    assert not track.found.any()
    assert track.boxes == [None] * 4
    expected = cv2.resize(centre_square(clip.frames[0]), (112, 112), interpolation=cv2.INTER_AREA)
    assert np.array_equal(track.crops[0], expected)


def test_crop_faces_cuts_the_detected_boxes_again(good_clip, noface_clip):
    clip = read_clip(good_clip, num_frames=4)
    track = detect_faces(clip.frames, size=224, margin=0.2)
    # The same margin gives detect_faces' own crops; a tighter one differs.
    assert np.array_equal(crop_faces(clip.frames, track.boxes, 224, 0.2), track.crops)
    tight = crop_faces(clip.frames, track.boxes, CROP_SIDE, 0.1)
    assert tight.shape == (4, CROP_SIDE, CROP_SIDE, 3) and not np.array_equal(tight, track.crops)
    empty = read_clip(noface_clip, num_frames=2)
    none = detect_faces(empty.frames, size=112)
    assert np.array_equal(crop_faces(empty.frames, none.boxes, 112, 0.1), none.crops)  # centre squares
    with pytest.raises(ValueError):
        crop_faces(clip.frames, track.boxes[:2], 224, 0.2)


def test_read_faces_averages_the_expression_crops(good_clip, expression_model):
    # Measured on KDEF, JAFFE, CK+48, FER2013 and real Javanese video (encoders.expression.CROP_MARGINS):
    # the face box itself reads better than the 0.2 crop on four and ties on one.
    assert CROP_MARGINS == (0.0,)
    clip = read_clip(good_clip, num_frames=3)
    track = detect_faces(clip.frames)
    each = [expression_model.predict(crop_faces(clip.frames, track.boxes, CROP_SIDE, m)) for m in (0.0, 0.2)]
    assert not np.allclose(each[0], each[1])  # the margin changes what the model reads
    each = [expression_model.predict(crop_faces(clip.frames, track.boxes, CROP_SIDE, m)) for m in CROP_MARGINS]
    probs = read_faces(clip.frames, track)
    assert probs.shape == (3, 7) and probs.dtype == np.float32
    assert np.allclose(probs, np.mean(each, axis=0), atol=1e-6)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_read_faces_is_none_without_a_face(noface_clip):
    clip = read_clip(noface_clip, num_frames=2)
    assert read_faces(clip.frames, detect_faces(clip.frames)) is None


# --------------------------------------------------------------------------- expression model
@pytest.fixture(scope="module")
def expression_model():
    return load_expression_model()


def test_expression_model_interface(expression_model):
    assert isinstance(expression_model, Encoder)
    assert expression_model.dim == 7 and expression_model.labels == LABELS
    assert LABELS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert load_expression_model() is expression_model  # cached
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (2, 3, 48, 48, 3), dtype=np.uint8)
    out = expression_model.encode(torch.from_numpy(crops))
    assert out.shape == (2, 3, 7) and out.dtype == torch.float32
    assert torch.allclose(out.sum(-1), torch.ones(2, 3), atol=1e-5)
    # encode and predict agree, and batching does not change the result.
    single = expression_model.predict(crops[1, 2:3])
    assert np.allclose(out[1, 2].numpy(), single[0], atol=1e-5)
    assert expression_model.predict(crops[0, :0]).shape == (0, 7)


def test_smiling_astronaut_reads_happy(good_clip, expression_model):
    clip = read_clip(good_clip, num_frames=6)
    probs = read_faces(clip.frames, detect_faces(clip.frames))  # as perceive reads it
    assert probs.shape == (6, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()
    assert LABELS[int(probs.mean(axis=0).argmax())] == "happy"


# --------------------------------------------------------------------------- prosody
def _harmonic_tone(f0: float, seconds: float = 1.5, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = sum(amp / k * np.sin(2 * np.pi * f0 * k * t + 0.7 * k) for k in range(1, 6))
    return x.astype(np.float32)


@pytest.mark.parametrize("f0", [220.0, 150.0, 95.0])
def test_pitch_of_harmonic_tone(f0):
    p = analyze_prosody(_harmonic_tone(f0), SR)
    assert p.speech_found
    assert p.pitch_mean_hz == pytest.approx(f0, rel=0.05)
    assert p.voiced_ratio > 0.9
    assert p.pitch_slope == "flat"
    assert len(p.contour) == 10 and all(c == pytest.approx(f0, rel=0.05) for c in p.contour)


def test_frame_rms_cuts_whole_frames_and_pads_only_a_short_clip():
    """One framing for the prosody energy track (dB, floored) and the speech silence gate (linear)."""
    from affect_llm.media.prosody import frame_energy_db, frame_rms

    x = np.concatenate([np.full(400, 0.5), np.zeros(400), np.full(399, 0.25)]).astype(np.float32)
    assert frame_rms(x, 400, 400).tolist() == [0.5, 0.0]  # the 399-sample tail is not a frame
    assert frame_rms(x, 400, 200).size == 4 and frame_rms(x, 400, 200)[1] == pytest.approx(0.5 / np.sqrt(2))
    assert frame_rms(np.full(100, 0.5), 400, 400).tolist() == [0.25]  # zero-padded to one frame
    assert frame_rms(np.full(100, 0.5), 100, 400).tolist() == [0.5]  # win=size: keeps its level
    assert frame_energy_db(x, 400, 400).tolist() == pytest.approx([20 * np.log10(0.5), -120.0])


def test_silence_and_none_have_no_speech():
    for audio in (None, np.zeros(SR, np.float32), np.zeros(10, np.float32),
                  np.random.default_rng(0).normal(0, 1e-4, SR).astype(np.float32)):
        p = analyze_prosody(audio, SR)
        assert not p.speech_found
        assert p.pitch_mean_hz is None and p.loudness is None and p.speaking_rate_sps is None
        assert p.describe() == ["no speech detected"]


def test_pauses_are_counted_inside_speech_only():
    tone, gap, blip = _harmonic_tone(180, 0.6), np.zeros(int(0.4 * SR), np.float32), np.zeros(int(0.1 * SR),
                                                                                              np.float32)
    lead = np.zeros(int(0.5 * SR), np.float32)  # leading/trailing silence is not a pause
    audio = np.concatenate([lead, tone, gap, tone, blip, tone, lead])
    p = analyze_prosody(audio, SR)
    assert p.pause_count == 1
    assert p.pause_total_s == pytest.approx(0.4, abs=0.05)
    assert "1 pause (0.4 s)" in p.describe()


def test_rising_pitch_is_described():
    t = np.arange(int(1.5 * SR)) / SR
    f = 120 * 2 ** (t / 1.5)  # one octave up over the clip
    phase = 2 * np.pi * np.cumsum(f) / SR
    audio = (0.3 * np.sin(phase) + 0.1 * np.sin(2 * phase)).astype(np.float32)
    p = analyze_prosody(audio, SR)
    assert p.pitch_slope == "rising"
    assert p.contour[-1] > p.contour[0] * 1.6


def test_prosody_is_fast_on_a_minute_of_audio():
    rng = np.random.default_rng(1)
    audio = np.tile(np.concatenate([_harmonic_tone(140, 0.3), rng.normal(0, 0.01, int(0.2 * SR))]), 120)
    start = time.perf_counter()
    p = analyze_prosody(audio.astype(np.float32), SR)
    assert time.perf_counter() - start < 1.0
    assert p.speech_found and p.pitch_mean_hz == pytest.approx(140, rel=0.05)


def test_cheerful_example_is_higher_than_angry(example_clips):
    cheerful = analyze_prosody(read_clip(example_clips["cheerful"]).audio)
    angry = analyze_prosody(read_clip(example_clips["angry"]).audio)
    assert cheerful.speech_found and angry.speech_found
    assert cheerful.pitch_mean_hz > angry.pitch_mean_hz * 1.2
    assert angry.energy_mean_db > cheerful.energy_mean_db  # espeak-ng -a 200 for the angry voice
    assert angry.loudness == "loud"
    assert 2.0 < cheerful.speaking_rate_sps < 7.0  # espeak-ng at 185 wpm: ~4 syllables/s
    assert read_clip(example_clips["silent"]).audio is None


# --------------------------------------------------------------------------- subtitles
SRT = (
    "\ufeff1\r\n00:00:00,500 --> 00:00:02,000\r\n<i>I just got</i> the news,\r\n{\\an8}I passed!\r\n\r\n"
    "2\r\n00:00:02,100 --> 00:00:03,000\r\n42\r\n\r\n"
)


def test_parse_srt():
    assert parse_srt(SRT) == "I just got the news, I passed! 42"
    assert parse_srt("") == ""


def test_resolve_subtitle_order(tmp_path):
    clip = tmp_path / "talk.mp4"
    clip.write_bytes(b"")
    assert resolve_subtitle(clip) == (None, "none")
    (tmp_path / "talk.txt").write_text("  plain\n text  ", encoding="utf-8")
    assert resolve_subtitle(clip) == ("plain text", "sidecar-txt")
    (tmp_path / "talk.srt").write_text(SRT, encoding="utf-8")
    assert resolve_subtitle(clip) == ("I just got the news, I passed! 42", "sidecar-srt")
    assert resolve_subtitle(clip, "Typed by the user.") == ("Typed by the user.", "user")
    assert resolve_subtitle(clip, "   ")[1] == "sidecar-srt"  # blank text counts as not given
    (tmp_path / "talk.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\n\n", encoding="utf-8")
    assert resolve_subtitle(clip)[1] == "sidecar-txt"  # an empty .srt is skipped
