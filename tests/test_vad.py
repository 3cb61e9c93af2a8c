"""Speech is claimed only where a voice-activity detector hears speech: a chord of sine tones
under pink noise was described as a quiet, monotone, slow (sad) voice, because the pitch tracker
calls any periodic sound voiced, and Whisper was asked for words in it."""

from __future__ import annotations

import subprocess
import warnings

import numpy as np
import pytest

from affect_llm.errors import ModelError
from affect_llm.media import vad
from affect_llm.media.prosody import analyze_prosody
from affect_llm.perception import listen

SR = 16_000


def _chord(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """C major (261, 329, 392 Hz), pulsing once a second, over faint noise: music, no voice."""
    t = np.arange(int(seconds * SR)) / SR
    tones = sum(np.sin(2 * np.pi * f * t) for f in (261.0, 329.0, 392.0)) / 3.0
    noise = np.random.default_rng(seed).standard_normal(t.size) * 0.02
    return (0.3 * tones * (0.6 + 0.4 * np.sin(2 * np.pi * t)) + noise).astype(np.float32)


@pytest.fixture(scope="module")
def sentence(media_dir, make_examples) -> np.ndarray:
    """An espeak-ng sentence, 16 kHz mono float."""
    wav = media_dir / "vad_sentence.wav"
    make_examples.synthesize("The train leaves at seven, so please be on time.", ["-v", "en-us"], wav)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-f", "f32le", "-ac", "1", "-ar", str(SR), "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def test_a_tone_chord_is_not_speech_though_the_pitch_tracker_hears_a_voice():
    chord = _chord()
    assert analyze_prosody(chord, SR).speech_found  # why the gate is needed
    activity = vad.voice_activity(chord, SR)
    assert activity.segments == () and not activity.heard
    assert activity.probs.size == -(-chord.size // vad.WINDOW) and activity.probs.max() < vad.NEG_THRESHOLD


def test_an_espeak_sentence_is_speech(sentence):
    activity = vad.voice_activity(sentence, SR)
    assert activity.heard and activity.speech_s > 0.6 * sentence.size / SR
    # Speech after a chord is found where it is, not over the chord.
    mixed = vad.voice_activity(np.concatenate([_chord(3.0), sentence]), SR)
    assert mixed.segments and mixed.segments[0][0] >= 2.9


def test_the_batched_pass_gives_silero_s_own_probabilities(sentence):
    """``media.vad`` runs the model's weights in numpy; Silero's TorchScript loop is the reference."""
    import torch

    from affect_llm.assets import package_file

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates TorchScript
        jit = torch.jit.load(str(package_file(vad.PACKAGE, vad.WEIGHTS)), map_location="cpu").eval()
    x = np.concatenate([_chord(1.0), sentence])
    n = -(-x.size // vad.WINDOW)
    x = np.pad(x, (0, n * vad.WINDOW - x.size))
    jit.reset_states()
    with torch.inference_mode():
        ref = np.array([float(jit(torch.from_numpy(w).unsqueeze(0), SR)) for w in x.reshape(n, vad.WINDOW)])
    ours = vad.speech_probabilities(x)
    assert ours.shape == ref.shape and np.abs(ours - ref).max() < 1e-4
    assert ref.max() > 0.9  # the comparison covered speech, not only silence


def test_segments_follow_silero_s_hysteresis():
    w = vad.WINDOW_S
    probs = np.array([0.1] * 5 + [0.9] * 10 + [0.4] * 2 + [0.9] * 5 + [0.1] * 10 + [0.6] * 3 + [0.1] * 10)
    # 0.4 is between the thresholds: the segment goes on; the 3-window blip is under 0.25 s.
    assert vad.segments_of(probs) == ((round(5 * w, 3), round(22 * w, 3)),)
    assert vad.segments_of(np.array([0.9] * 20)) == ((0.0, round(20 * w, 3)),)  # speech to the end
    assert vad.voice_activity(None).speech_s == 0
    with pytest.raises(ValueError, match="16000"):
        vad.voice_activity(np.zeros(8000, np.float32), 8000)


def _music(seconds: float) -> np.ndarray:
    """A music bed: a held C major chord (131, 165, 196 Hz) under a plucked melody of 0.4 s notes
    with two harmonics, peak about 1."""
    t = np.arange(int(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (130.8, 164.8, 196.0)) / 3.0
    notes = np.array([523.3, 587.3, 659.3, 698.5, 784.0, 698.5, 659.3, 587.3])
    phase = 2 * np.pi * np.cumsum(notes[(t // 0.4).astype(int) % notes.size]) / SR
    pluck = np.minimum(1.0, (t % 0.4) / 0.02) * np.exp(-3.0 * (t % 0.4))
    melody = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    return (chord + 0.7 * pluck * melody).astype(np.float32)


def test_prosody_measures_the_speech_the_vad_hears_not_the_music_around_it(sentence):
    """Music 10 dB under the voice, alone for 1.5 s before and after the sentence: measured over
    the whole clip by the energy rule, the speech ran from 0.0 to 6.1 s and lasted 6.1 s (the
    sentence: 1.5 to 4.3 s, 2.8 s), so pauses, rate and every per-second measure were the
    music's; inside the VAD's speech spans the span is the sentence's. (Music *under* the words
    still reaches the pitch tracker: no span can take it out.)"""
    pad = np.zeros(int(1.5 * SR), np.float32)
    clean = np.concatenate([pad, sentence, pad])
    level = np.sqrt(np.mean(np.square(sentence[np.abs(sentence) > 0.01 * np.abs(sentence).max()])))
    bed = _music(clean.size / SR)[:clean.size]
    mixed = clean + bed * (level * 10 ** (-10 / 20) / np.sqrt(np.mean(np.square(bed))))
    (ref, heard_clean), (got, heard_mixed) = listen(clean, SR), listen(mixed, SR)
    assert heard_clean and heard_mixed and ref.speech_found and got.speech_found
    assert analyze_prosody(mixed, SR).speech_start_s < 0.5  # why: the energy rule alone reads the music
    # The sentence's span, give or take the spans' lead and tail (music runs on into them).
    slack = vad.SPAN_LEAD_S + vad.SPAN_TAIL_S + 0.15  # the music also holds the VAD on a little longer
    assert ref.speech_start_s - slack < got.speech_start_s <= ref.speech_start_s + 0.05
    assert ref.speech_end_s - 0.05 <= got.speech_end_s < ref.speech_end_s + slack
    assert abs(got.speech_s - ref.speech_s) < slack
    # The clean sentence is measured as before: the spans hold all of its sound.
    assert ref == analyze_prosody(clean, SR)


def test_music_around_the_speech_does_not_raise_the_bar_inside_it(sentence):
    """Music 10 dB over the voice, alone for 1.5 s before and after the sentence (an intro, an
    outro), the speech span given: the whole clip's activity bar rose with the music, so a third
    of the sentence's own frames fell under it (active 2.5 -> 1.8 s) and its level spread shrank
    (5.5 -> 3.8 dB). Inside the span the bar is the speech's own, and the same frames are measured."""
    pad = int(1.5 * SR)
    span = ((1.5, 1.5 + sentence.size / SR),)
    clean = np.concatenate([np.zeros(pad, np.float32), sentence, np.zeros(pad, np.float32)])
    level = np.sqrt(np.mean(np.square(sentence[np.abs(sentence) > 0.01 * np.abs(sentence).max()])))
    bed = _music(1.5)[:pad]
    bed = bed * (level * 10 ** (10 / 20) / np.sqrt(np.mean(np.square(bed))))
    mixed = np.concatenate([bed, sentence, bed]).astype(np.float32)
    ref, got = analyze_prosody(clean, SR, speech=span), analyze_prosody(mixed, SR, speech=span)
    assert ref.speech_found and got.speech_found
    assert abs(got.active_s - ref.active_s) < 0.1, (got.active_s, ref.active_s)
    assert abs(got.level_std_db - ref.level_std_db) < 0.3, (got.level_std_db, ref.level_std_db)
    assert abs(got.voiced_s - ref.voiced_s) < 0.1, (got.voiced_s, ref.voiced_s)


def test_speech_spans_widen_and_merge_segments_and_lone_confident_windows():
    w = vad.WINDOW_S
    probs = np.array([0.1] * 5 + [0.9] * 10 + [0.1] * 20 + [0.7] + [0.1] * 10, dtype=np.float32)
    activity = vad.VoiceActivity(segments=vad.segments_of(probs), probs=probs)
    assert activity.segments == ((round(5 * w, 3), round(15 * w, 3)),)  # the lone window is no segment
    assert activity.speech_spans(lead_s=w, tail_s=w) == ((round(4 * w, 3), round(16 * w, 3)),
                                                           (round(34 * w, 3), round(37 * w, 3)))
    lead, tail = vad.SPAN_LEAD_S, vad.SPAN_TAIL_S
    assert activity.speech_spans() == ((round(5 * w - lead, 3), round(15 * w + tail, 3)),
                                       (round(35 * w - lead, 3), round(36 * w + tail, 3)))
    assert activity.speech_spans(lead_s=20 * w) == ((0.0, round(37 * w, 3)),)  # near spans merge
    assert vad.voice_activity(None).speech_spans() == ()
    assert not analyze_prosody(_chord(2.0), SR, speech=()).speech_found  # no spans: no speech


def test_a_missing_model_says_which_wheel_to_install(monkeypatch):
    monkeypatch.setattr(vad, "_model", None)
    monkeypatch.setattr(vad, "PACKAGE", "silero_vad_not_installed")
    with pytest.raises(ModelError, match="silero-vad"):
        vad.voice_activity(np.zeros(SR, np.float32))


def test_a_tone_only_clip_is_perceived_without_speech_or_words(media_dir, make_examples):
    from affect_llm.perception import PerceiveOptions, perceive

    clip = media_dir / "tones.mp4"
    chord = "+".join(f"sin(2*PI*{f}*t)" for f in (261, 329, 392))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=128x128:r=12",
                    "-f", "lavfi", "-i", f"aevalsrc=0.2*({chord}):d=4:s={SR}", "-t", "4",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)],
                   check=True)
    p = perceive(clip, PerceiveOptions(second_opinion=None))
    cues = p.cues.to_dict()
    assert not cues["voice"]["speech_found"] and "speech" in cues["missing"] and "words" in cues["missing"]
    assert p.subtitle is None and p.subtitle_source == "none" and "transcribe_s" not in p.timings
    assert cues["evidence"]["voice"]["reliability"] == 0
    assert p.prosody.active_s == 0  # sound outside the speech the VAD heard is not measured at all

