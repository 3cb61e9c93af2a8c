"""The fusion rule: reliability-weighted evidence decides; agreements and conflicts are named."""

from affect_llm.emotions import LABELS, label_of, normalize
from affect_llm.evidence import ModalityEvidence, absent
from affect_llm.evidence.fusion import fuse


def _ev(modality: str, label: str, p: float = 0.7, reliability: float = 1.0) -> ModalityEvidence:
    rest = (1 - p) / (len(LABELS) - 1)
    return ModalityEvidence(modality, normalize({lab: p if lab == label else rest for lab in LABELS}), reliability)


def test_two_agreeing_channels_outvote_a_smiling_face_and_the_conflict_is_named():
    fusion = fuse({"face": _ev("face", "happy", 0.65, 0.6), "voice": _ev("voice", "angry", 0.5, 0.6),
                   "words": _ev("words", "angry", 0.4)})
    assert fusion.emotions[0] == "angry"
    assert fusion.agree == ["voice", "words"]
    [conflict] = fusion.conflicts
    assert conflict.labels == ["happy", "angry"] and conflict.groups == [["face"], ["voice", "words"]]
    assert fusion.summary() == "the face points to happiness, but the voice and the words point to anger"


def test_a_still_face_and_flat_words_do_not_cancel_an_emotional_voice():
    # "Who are you?" said in a sad voice, to a still face: the voice carries the emotion.
    fusion = fuse({"face": _ev("face", "neutral", 0.6, 0.6), "voice": _ev("voice", "sad", 0.55, 0.7),
                   "words": _ev("words", "neutral", 0.25)})
    assert fusion.emotions[0] == "sad"
    assert fusion.conflicts == []  # neutral is the absence of a signal, not a rival emotion
    # ...but when every channel is confidently neutral, so is the answer.
    calm = fuse({"face": _ev("face", "neutral", 0.6, 0.6), "voice": _ev("voice", "neutral", 0.5, 0.6),
                 "words": _ev("words", "neutral", 0.6)})
    assert calm.emotions == ["neutral"]


def test_absent_and_unreliable_channels_do_not_count():
    fusion = fuse({"face": absent("face", "no face"), "voice": _ev("voice", "angry", 0.9, 0.05),
                   "words": _ev("words", "fearful", 0.6)})
    assert fusion.emotions[0] == "fearful"
    assert "voice" not in fusion.expressed  # below the reliability floor: no vote in agreement
    nothing = fuse({"face": absent("face", "x"), "voice": absent("voice", "x"), "words": absent("words", "x")})
    assert nothing.emotions == ["neutral"] and nothing.summary() == "no channel carried usable evidence"


def test_flat_evidence_is_no_emotion():
    flat = {lab: 1.0 for lab in LABELS} | {"neutral": 1.3, "sad": 1.3, "fearful": 1.25}
    fusion = fuse({"words": ModalityEvidence("words", normalize(flat), 1.0)})
    assert fusion.emotions == ["neutral"]


def test_close_second_emotion_is_kept_but_neutral_never_trails():
    fusion = fuse({"voice": _ev("voice", "sad", 0.6), "words": _ev("words", "fearful", 0.62)})
    assert fusion.emotions[:2] == ["fearful", "sad"]
    assert "neutral" not in fusion.emotions


def test_label_of_reads_words_through_the_wheels():
    assert [label_of(w) for w in ("furious", "delighted", "terrified", "gloomy", "shocked", "table")] == \
        ["angry", "happy", "fearful", "sad", "surprised", None]


def test_the_voice_alone_contradicts_only_across_arousal():
    """A voice read as fearful under a smiling face and happy words is not a contradiction the
    voice can make (prosody is poor at valence); a sad voice under them is."""
    face, words = _ev("face", "happy", 0.65, 0.6), _ev("words", "happy", 0.45)
    aroused = fuse({"face": face, "voice": _ev("voice", "fearful", 0.4, 0.5), "words": words})
    assert aroused.emotions[0] == "happy" and aroused.conflicts == []
    assert aroused.expressed["voice"] == "fearful"  # still read and reported as the voice's reading
    low = fuse({"face": face, "voice": _ev("voice", "sad", 0.4, 0.5), "words": words})
    [conflict] = low.conflicts
    assert conflict.labels == ["sad", "happy"] and conflict.groups == [["voice"], ["face", "words"]]
    # with the words, the voice is not alone: a smiling face over angry voice and words is a conflict
    assert fuse({"face": face, "voice": _ev("voice", "angry", 0.5, 0.6),
                 "words": _ev("words", "angry", 0.4)}).conflicts


def test_a_flat_pool_is_decided_by_the_channel_that_shows_a_label_not_by_a_tilt():
    """Rule 3b: "Dogs are sitting by the door." tilts toward angry; a short clearly fearful voice decides."""
    tilt = normalize({lab: (0.21 if lab == "angry" else 0.16 if lab in ("neutral", "sad") else 0.1175)
                      for lab in LABELS})
    fusion = fuse({"face": absent("face", "no face"), "voice": _ev("voice", "fearful", 0.4, 0.15),
                   "words": ModalityEvidence("words", tilt, 1.0)})
    assert fusion.emotions[0] == "fearful"
