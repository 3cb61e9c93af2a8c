"""The embedded default model on the real bundled SmolLM2, fed with cues built by the real cue code.

The decision comes from the evidence; the LLM only finishes sentences, and every sentence it
writes must pass the faithfulness checker, or be replaced by the rendered facts.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from affect_llm.cues import EXPRESSION_LABELS, WordCues, face_cues
from affect_llm.faithfulness import check_explanation
from affect_llm.models import load_model
from affect_llm.models.textualized import (
    TextualizedModel,
    _complete_sentences,
    _has_sentences,
    parse_emotion_list,
)
from affect_llm.perception import decide


def _probs(label: str, n: int = 8, p: float = 0.7) -> np.ndarray:
    probs = np.full((n, 7), (1 - p) / 6)
    probs[:, EXPRESSION_LABELS.index(label)] = p
    return probs


def _perception(face_label: str | None, subtitle: str | None, n: int = 8):
    found = np.ones(n, bool) if face_label else np.zeros(n, bool)
    probs = _probs(face_label) if face_label else None
    words = WordCues(subtitle=subtitle, source="user" if subtitle else "none")
    cues = decide(face_cues(probs, found, n), probs, found, False, None, words)
    return SimpleNamespace(cues=cues, subtitle=subtitle)


@pytest.fixture(scope="module")
def model():
    return load_model("default")


def test_decision_follows_the_evidence_and_names_the_conflict():
    clash = _perception("happy", "No! I told you three times already. This is completely unacceptable!")
    assert clash.cues.candidates[0] == "angry"
    assert clash.cues.fusion.conflicts and "happiness" in clash.cues.fusion.summary()
    happy = _perception("happy", "I passed the exam, this is wonderful!")
    assert happy.cues.candidates[0] == "happy" and not happy.cues.fusion.conflicts


def test_default_model_answers_in_emer_order_and_passes_its_own_checker(model):
    answers = model.answer([_perception("happy", "I passed the exam, this is wonderful!"),
                            _perception(None, None),
                            _perception("happy", "No! I told you three times already. This is completely unacceptable!")])
    full, empty, clash = answers
    assert full.explanation.startswith("In the video,")
    assert full.explanation.index("In the video,") < full.explanation.index("In the text,") \
        < full.explanation.index("Based on these clues")
    assert full.emotions[0] == "happy" and full.emotions_source == "evidence"
    # Missing face and words: rendered sentences, never invented clues.
    assert "no face can be seen" in empty.sections["visual"]
    assert empty.sections["verbal"] == "In the text, no words were spoken or given."
    assert empty.emotions == ["neutral"]
    assert {empty.grounding[s] for s in ("visual", "acoustic", "verbal")} == {"rendered"}
    # The conflict is named in the inference sentence.
    assert clash.emotions[0] == "angry" and "conflict" in clash.sections["inference"]
    for answer, p in zip(answers, (_perception("happy", "I passed the exam, this is wonderful!"), _perception(None, None),
                                   _perception("happy", "No! I told you three times already. This is completely unacceptable!"))):
        assert check_explanation(answer.explanation, p.cues.to_dict()) == []
        assert set(answer.grounding) == {"visual", "acoustic", "verbal", "inference"}


def test_words_the_channel_could_not_read_are_rendered_not_generated(model):
    """Given Spanish text with no English to score: the LLM has nothing to interpret, and left to
    itself it invented ("a person who has been touched by someone else"). Words read only through
    their own language's emotion words are rendered too, naming the words the reading rests on."""
    from affect_llm.observations import closing

    n, probs = 8, _probs("happy")
    for said, read_as in (("Hoy todo salió como esperaba.", None), ("Hoy estoy muy contenta con todo.", "happy")):
        words = WordCues(subtitle=said, source="user", language="es")
        cues = decide(face_cues(probs, np.ones(n, bool), n), probs, np.ones(n, bool), False, None, words)
        unread = SimpleNamespace(cues=cues, subtitle=words.subtitle)
        assert (cues.evidence["words"].reliability > 0) == (read_as is not None)
        _, slots = model.build_prompts([unread])
        assert "verbal" not in {name for _, name, _ in slots} and "visual" in {name for _, name, _ in slots}
        sentence = closing("verbal", cues.to_dict())
        assert check_explanation(sentence, cues.to_dict()) == []
        if read_as:
            assert sentence.endswith('Among them, "contenta" is a word of happiness. These words suggest the person is happy.')
        else:
            assert "could not be read" in sentence
    # Given German words, the speech's English rough, read happy from its own emotion word beside
    # that English: the sentence names the word, not only the rough translation (a German clip
    # read as a user). Heard so by Whisper, the rough English is not read: the word alone decides.
    said = "Ich habe heute im Lotto gewonnen! Das ist ja wunderbar."
    for source, after in (("user", ". Read through a rough English translation"), ("whisper", ". These words suggest")):
        words = WordCues(subtitle=said, source=source, language="de", transcript_reliable=source == "whisper" or None,
                         translation="Today I've got a lot to do. That's it for today.", translation_reliable=False)
        cues = decide(face_cues(probs, np.ones(n, bool), n), probs, np.ones(n, bool), False, None, words).to_dict()
        sentence = closing("verbal", cues)
        assert 'Among them, "wunderbar" is a word of happiness' + after in sentence
        assert check_explanation(sentence, cues) == []
    read = _perception("happy", "I passed the exam, this is wonderful!")
    assert "verbal" in {name for _, name, _ in model.build_prompts([read])[1]}


def test_a_reading_through_a_rough_translation_is_rendered_and_says_so(model):
    """Given Spanish words whose speech Whisper translated roughly: the translation is read, never
    quoted, so the sentence names what the reading rests on instead of letting the LLM say "these
    words suggest sadness" about words the reader sees only in Spanish."""
    from affect_llm.observations import closing

    n, probs = 8, _probs("neutral")
    said = "La vida ya no tiene sentido para mí, todo se acabó."  # no word of the Spanish list
    words = WordCues(subtitle=said, source="user", language="es",
                     translation="Life has no meaning for me anymore, it is all over.", translation_reliable=False)
    cues = decide(face_cues(probs, np.ones(n, bool), n), probs, np.ones(n, bool), False, None, words)
    rough = SimpleNamespace(cues=cues, subtitle=said)
    assert cues.evidence["words"].top(1)[0][0] == "sad"
    assert "verbal" not in {name for _, name, _ in model.build_prompts([rough])[1]}
    sentence = closing("verbal", cues.to_dict())
    assert sentence.endswith("Read through a rough English translation, not quoted since it may be inaccurate, they suggest the person is sad.")
    assert "Life has no meaning" not in sentence
    assert check_explanation(sentence, cues.to_dict()) == []


def test_words_that_turn_are_rendered_and_the_answer_names_both(model):
    """Words that say happiness, then anger (fusion rule 3f): the verbal sentence says the turn,
    rendered (given one reading to finish, the LLM would say the first and hide the second), and
    the answer names both emotions, the explanation passing the checker."""
    from affect_llm.observations import closing

    said = ("This is the best news I have heard all year. I'm so happy for you. "
            "But then you lied to me again. I'm furious. Get out of my house right now.")
    turning = _perception("sad", said)
    cues = turning.cues.to_dict()
    assert cues["fusion"]["turns"] == {"words": ["happy", "angry"]}
    assert {"happy", "angry"} <= set(turning.cues.candidates)
    assert "verbal" not in {name for _, name, _ in model.build_prompts([turning])[1]}
    assert closing("verbal", cues).endswith(" These words turn from happiness to anger.")
    # the sentence says the turn the answer names (words too unsure to show a label turn nothing)
    assert closing("verbal", {**cues, "fusion": {**cues["fusion"], "turns": {}}}).endswith(
        " These words suggest the person is happy.")
    [answer] = model.answer([turning])
    assert answer.grounding["verbal"] == "rendered" and "turn from happiness to anger" in answer.sections["verbal"]
    assert "the words turn from happiness to anger" in answer.explanation.split("Based on these clues")[1]
    assert check_explanation(answer.explanation, cues) == []


def test_batched_answers_equal_single_answers():
    # In float32, greedy decoding gives a clip the same text whichever clips share its batch
    # (in bfloat16, attention over different padding may round a word differently: model card).
    model = TextualizedModel(dtype="float32")
    a = _perception("sad", "I miss her so much.")
    b = _perception("surprise", "What? You are here?")
    batched = model.answer([a, b])
    single = [model.answer([a])[0], model.answer([b])[0]]
    assert [x.__dict__ for x in batched] == [x.__dict__ for x in single]
    rows_of_one = TextualizedModel(dtype="float32", max_batch_rows=1).answer([a, b])
    assert [x.__dict__ for x in rows_of_one] == [x.__dict__ for x in single]


def test_parse_emotion_list_and_sentence_trimming():
    assert parse_emotion_list(" happy, Excited and proud.\nmore text sad") == ["happy", "excited", "proud"]
    assert parse_emotion_list("the table, a chair") == []
    assert _complete_sentences("In the video, she smiles. She looks happy. And then she", 2) == \
        "In the video, she smiles. She looks happy."
    assert _complete_sentences("In the video, she smiles and", 2) == "In the video, she smiles and."
    # A row may stop once the kept sentences can no longer change: not on "0." of "0.3 s".
    assert not _has_sentences("She pauses for 0.", 1)
    assert not _has_sentences("She smiles. She looks happy.", 2)
    assert _has_sentences("She smiles. She looks happy. And", 2)


def test_streamed_answer_equals_batch_answer_and_followup(model):
    p = _perception("sad", "I miss her so much.")
    steps = list(model.answer_stream(p))
    assert len(steps) > 3 and steps[-1][1] is True and not any(final for _, final in steps[:-1])
    final = steps[-1][0]
    assert final.explanation == model.answer([p])[0].explanation
    reply = model.followup(p, final, [], "Why do you think the person feels this way?")
    assert isinstance(reply, str) and len(reply.split()) >= 3
    assert check_explanation(reply, p.cues.to_dict()) == []
