"""What of a transcript the answer may quote, and what the words channel may read.

Words heard well but translated badly (Whisper base on Spanish, often) are quoted in their
language; their rough English is read by the words channel at reduced weight and quoted nowhere.
"""

from affect_llm.encoders.speech import Transcript, judge
from affect_llm.faithfulness import check_explanation
from affect_llm.observations import verbal
from affect_llm.perception import ROUGH_TRANSLATION_RELIABILITY, word_cues_from

HEARD_WELL = {"avg_logprob": -0.7, "no_speech_prob": 0.02, "compression_ratio": 1.1, "language": "es",
              "language_probability": 0.93}


def _spanish(translation: str, logprob: float) -> Transcript:
    return judge(Transcript("Me siento muy solo y triste, la vida no tiene sentido.", translation=translation,
                            translation_avg_logprob=logprob, **HEARD_WELL), language_given=False)


def test_judge_separates_the_words_from_their_translation():
    tr = _spanish("I feel very lonely and sad, life has no meaning.", -1.05)
    assert not tr.reliable and tr.text_reliable
    assert all("translation" in r for r in tr.reasons)
    misheard = judge(Transcript("la la la la la la la la la", avg_logprob=-1.4, language="es",
                                language_probability=0.9), language_given=False)
    assert not misheard.reliable and not misheard.text_reliable


def test_a_rough_translation_is_read_not_quoted():
    words = word_cues_from(None, "none", _spanish("I feel very lonely and sad, life has no meaning.", -1.05), None)
    assert words.subtitle.startswith("Me siento") and words.transcript_reliable
    assert words.translation and words.translation_reliable is False
    assert "uncertain" in words.text() and "lonely" not in words.text()
    cues = {"words": {"subtitle": words.subtitle, "translation": words.translation,
                      "translation_reliable": False, "transcript_reliable": True, "language": "es"}}
    sentence = verbal(cues)
    assert "Me siento" in sentence and "lonely" not in sentence
    faults = check_explanation('The person says "I feel very lonely and sad".', cues)
    assert any(f.kind == "quote" for f in faults), faults


def test_the_words_channel_reads_a_rough_translation_at_reduced_weight():
    from affect_llm.evidence.words import words_evidence
    from affect_llm.perception import decide

    words = word_cues_from(None, "none", _spanish("I feel very lonely and sad, life has no meaning.", -1.05), None)
    cues = _decide(decide, words)
    ev = cues.evidence["words"]
    assert ev.present and abs(ev.reliability - ROUGH_TRANSLATION_RELIABILITY) < 1e-9
    assert ev.top(1)[0][0] == words_evidence(words.translation).top(1)[0][0] == "sad"


def test_a_translation_far_below_the_bar_or_looping_is_not_read():
    for translation, logprob in (("I'm sorry, but I'm going to have to go to bed.", -1.51),
                                 ("I'm tired, I'm tired, I'm tired, I'm tired", -1.05)):
        words = word_cues_from(None, "none", _spanish(translation, logprob), None)
        assert words.subtitle.startswith("Me siento") and words.translation is None
        assert words.translation_reliable is None


def test_a_reliable_transcript_is_quoted_with_its_translation():
    tr = _spanish("I feel very lonely and sad, life has no meaning.", -0.6)
    words = word_cues_from(None, "none", tr, None)
    assert tr.reliable and words.translation_reliable is True
    assert "lonely" in verbal({"words": {"subtitle": words.subtitle, "translation": words.translation,
                                         "translation_reliable": True}})


def _decide(decide, words):
    import numpy as np

    from affect_llm.cues import face_cues

    return decide(face_cues(None, None, 4), None, np.zeros(4, bool), False, None, words)


def test_quoted_words_nobody_could_read_are_not_called_emotionless():
    """Mandarin heard well, its translation a loop: quoted, not scored, and not "no clear emotion"."""
    from affect_llm.evidence import absent
    from affect_llm.observations import closing

    cues = {"words": {"subtitle": "我气死了,你又骗了我", "language": "zh", "transcript_reliable": True},
            "evidence": {"words": absent("words", "no English to read").to_dict()},
            "fusion": {"emotions": ["angry"], "expressed": {"voice": "angry"}}, "candidates": ["angry"]}
    sentence = closing("verbal", cues)
    assert "我气死了" in sentence and "could not be read" in sentence and "no clear emotion" not in sentence
    assert check_explanation(sentence, cues) == []


def test_speech_in_which_whisper_made_out_no_words_is_not_silence():
    """A sad RAVDESS clip: the voice was measured, Whisper returned nothing. The answer must not
    say that no words were spoken."""
    from affect_llm.cues import face_cues
    from affect_llm.perception import NO_WORDS_MADE_OUT, decide

    words = word_cues_from(None, "none", Transcript("", language="en", no_speech_prob=0.7), None)
    assert words.subtitle is None and words.heard is None and words.source == "whisper"
    assert words.transcript_reliable is False and words.reliability["reasons"] == [NO_WORDS_MADE_OUT]
    assert "no words could be made out" in words.text()
    from affect_llm.media.prosody import Prosody

    speech = Prosody(speech_found=True, pitch_mean_hz=150.0, pitch_range_semitones=4.0, speaking_rate_sps=3.0)
    cues = decide(face_cues(None, None, 4), None, None, True, speech, words).to_dict()
    assert {"words", "transcript"} <= set(cues["missing"]) and not cues["evidence"]["words"]["reliability"]
    sentence = verbal(cues)
    assert sentence == "In the text, speech can be heard, but no words could be made out, so the words give no clue"
    assert check_explanation(sentence + ".", cues) == []
    assert [f.kind for f in check_explanation('The person says "I am fine".', cues)] == ["quote"]
    assert word_cues_from(None, "none", None, None).source == "none"  # no speech, no Whisper: nothing heard


def test_the_words_reliability_holds_the_transcripts_measures():
    """Words heard: every measure of the transcript and its reasons. No words made out: only the
    no-speech probability (the other measures are of words that are not there) and a reason."""
    from affect_llm.perception import NO_WORDS_MADE_OUT

    tr = _spanish("I feel very lonely and sad, life has no meaning.", -1.05)
    assert word_cues_from(None, "none", tr, None).reliability == {
        "avg_logprob": -0.7, "no_speech_prob": 0.02, "compression_ratio": 1.1, "language_probability": 0.93,
        "translation_avg_logprob": -1.05, "reasons": tr.reasons}
    none = word_cues_from(None, "none", Transcript("", no_speech_prob=0.7, reasons=["quiet"]), None)
    assert none.reliability == {"no_speech_prob": 0.7, "reasons": ["quiet"]}
    assert word_cues_from(None, "none", Transcript(""), None).reliability == {
        "no_speech_prob": None, "reasons": [NO_WORDS_MADE_OUT]}
