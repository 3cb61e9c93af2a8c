"""The words channel: real readings of plain sentences, negation, neutral, absent text."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from affect_llm.emotions import LABELS, ranked
from affect_llm.evidence.words import DEFAULT_METHOD, get_model, words_evidence

pytest.importorskip("fasttext")
pytest.importorskip("lightgbm")

SENTENCES = Path(__file__).parent / "data" / "words_sentences.jsonl"
PER_LABEL = 4  # a slice of the development set: the first four sentences of each label


def _slice() -> list[dict]:
    rows = [json.loads(line) for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: list[dict] = []
    for lab in LABELS:
        out += [r for r in rows if r["label"] == lab][:PER_LABEL]
    return out


def _top(text: str, method: str = DEFAULT_METHOD) -> str:
    return ranked(get_model(method).scores([text])[0])[0][0]


def _old_nrc_top(text: str) -> str:
    """The old channel's first label (the frozen baseline of eval/words_channel.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from affect_llm.emotions import label_of
    from eval.words_channel import old_nrc_vote

    return label_of(old_nrc_vote([text])[0][0]) or "neutral"


def test_slice_accuracy_beats_the_old_nrc_vote():
    rows = _slice()
    acc = sum(_top(r["text"]) == r["label"] for r in rows) / len(rows)
    old = sum(_old_nrc_top(r["text"]) == r["label"] for r in rows) / len(rows)
    assert acc >= 0.7, acc
    assert old < 0.6, old  # the floor is one the unigram vote does not reach
    assert acc > old + 0.2


def test_evidence_record_is_a_distribution_over_the_labels():
    ev = words_evidence("You lied to me again!", reliability=0.8)
    assert ev.modality == "words" and ev.present
    assert set(ev.scores) == set(LABELS)
    assert sum(ev.scores.values()) == pytest.approx(1.0)
    assert ev.reliability == pytest.approx(0.8)
    assert ev.top(1)[0][0] == "angry"
    assert ev.method.startswith("words-")
    json.dumps(ev.to_dict())


@pytest.mark.parametrize("text", ["Who are you?", "The meeting is at three.", "Please send me the file."])
def test_flat_sentences_are_neutral(text):
    assert words_evidence(text).top(1)[0][0] == "neutral"


def test_negated_joy_is_not_happy():
    happy = words_evidence("I am happy about this.").scores
    negated = words_evidence("I am not happy about this.").scores
    assert ranked(happy)[0][0] == "happy"
    assert ranked(negated)[0][0] != "happy"
    assert negated["happy"] < happy["happy"] / 2


def test_anger_without_anger_words():
    assert words_evidence("This is completely unacceptable!").top(1)[0][0] == "angry"


def test_one_emotional_sentence_among_flat_ones_carries_the_feeling():
    """Read as one text, the flat sentence dilutes the angry one to a near tie; read sentence by
    sentence, each weighted by how emotional it reads, it does not."""
    from affect_llm.evidence.words import read, sentences

    text = "No, I told you three times already. This is completely unacceptable."
    assert sentences(text) == ["No, I told you three times already.", "This is completely unacceptable."]
    whole = get_model().scores([text])[0]
    by_sentence = words_evidence(text).scores
    assert by_sentence["angry"] > whole["angry"] + 0.05 and ranked(by_sentence)[0][0] == "angry"
    flat = "The meeting is at three. Please send me the file."
    assert words_evidence(flat).top(1)[0][0] == "neutral"  # flat sentences stay flat together
    assert read(get_model(), [text, "I am so happy."])[1] == pytest.approx(get_model().scores(["I am so happy."])[0], abs=1e-4)


def test_words_that_plainly_say_one_emotion_then_another_turn():
    """Read as one mixture, "so happy for you ... I'm furious" named the happiness and hid the
    anger the speaker ended on: the channel records the turn for the fusion to name."""
    from affect_llm.evidence.words import turn_of

    text = ("This is the best news I have heard all year. I'm so happy for you. Congratulations. "
            "But then you lied to me again. I'm furious. Get out of my house right now.")
    assert words_evidence(text).detail["turn"] == ["happy", "angry"]
    assert words_evidence(text, reliability=0.5).detail["turn"] == ["happy", "angry"]  # trust is the fusion's
    # One emotion said twice, said once among flat sentences, or questions whose clear labels
    # differ without being said outright: no turn.
    for same in ("I'm so happy for you. This is wonderful, I'm really glad.",
                 "The meeting is at three. I'm furious.",
                 "What's wrong? In my opinion, you shouldn't have let him be a substitute."):
        assert words_evidence(same).detail["turn"] is None, same
    # Only one change counts: back and forth, or a third emotion, is not one turn.
    def plain(label):
        return {lab: (0.7 if lab == label else 0.05) for lab in LABELS}
    assert turn_of([plain("sad"), plain("neutral"), plain("happy")]) == ("sad", "happy")  # a flat sentence between
    assert turn_of([plain("sad"), plain("happy"), plain("sad")]) is None
    assert turn_of([plain("sad"), plain("happy"), plain("angry")]) is None
    assert turn_of([plain("sad"), {lab: 1 / 7 for lab in LABELS}]) is None
    # Two hearings of the words hold a turn only when both do.
    assert words_evidence([text, "This is the best news I have heard all year. I'm so happy for you."]).detail["turn"] is None
    assert "turn" not in words_evidence(None).detail  # not read: not measured


def test_hypotheses_of_what_was_said_are_read_and_averaged():
    a, b = "This is completely acceptable.", "This is completely unacceptable."
    both = words_evidence([a, b])
    one, other = words_evidence(a).scores, words_evidence(b).scores
    # rel 1e-5: the two texts are embedded in one batch here and one at a time above, and a
    # batched matmul sums in another order (a 1.2e-6 difference on this machine's BLAS)
    assert both.scores == pytest.approx({lab: (one[lab] + other[lab]) / 2 for lab in LABELS}, rel=1e-5)
    assert both.detail["hypotheses"] == 2
    assert words_evidence([a, a]).scores == words_evidence(a).scores  # one hearing twice is one hypothesis
    assert not words_evidence(["", "..."]).present


@pytest.mark.parametrize("text", [None, "", "   ", "...!?", "123"])
def test_no_words_is_absent(text):
    ev = words_evidence(text)
    assert not ev.present and ev.method == "absent"
    assert sum(ev.scores.values()) == pytest.approx(1.0)


def test_reliability_is_clipped_and_passed_through():
    assert words_evidence("I miss her so much.", reliability=3.0).reliability == 1.0
    assert words_evidence("I miss her so much.", reliability=0.3).reliability == pytest.approx(0.3)


def test_threads_share_one_model_and_agree():
    texts = ["Get out of my house!", "I miss her so much.", "Ugh, this milk smells rotten."] * 4
    results: list[str | None] = [None] * len(texts)

    def work(i: int) -> None:
        results[i] = words_evidence(texts[i]).top(1)[0][0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [words_evidence(t).top(1)[0][0] for t in texts]


def test_unknown_method_names_the_choices():
    with pytest.raises(ValueError, match="nade"):
        words_evidence("hello there", method="bert")


def test_a_flat_scripted_sentence_is_no_clear_lead_an_emotional_one_is():
    """Agreement (measured and off in the product; the rule lives in eval/words_channel.py): acted
    corpora have their actors say flat sentences in every emotion (CREMA-D: "That is exactly what
    happened."). The prototypes read it as surprised, nade as faintly sad: with agreement the
    channel is unsure of it (no clear label), though its top label stays. Sentences the members
    agree on stay clear."""
    from affect_llm.evidence import ModalityEvidence
    from affect_llm.evidence.fusion import clear_label
    from affect_llm.evidence.words import ENSEMBLE_MEMBERS, EnsembleModel
    from eval.words_channel import AgreementEnsemble, overlap

    members_ = [get_model(m) for m in ENSEMBLE_MEMBERS]
    plain, agreeing = EnsembleModel(members_), AgreementEnsemble(members_)

    def evidence(model, text):
        return ModalityEvidence("words", model.scores([text])[0], 1.0)

    flat = "That is exactly what happened."
    ev = evidence(agreeing, flat)
    assert ranked(ev.scores)[0][0] == ranked(plain.scores([flat])[0])[0][0] == "surprised"  # the reading is kept ...
    assert clear_label(ev) is None and clear_label(evidence(plain, flat)) == "surprised"  # ... but is no clear lead
    for text, label in [("I passed the exam, this is wonderful!", "happy"), ("My dog died yesterday.", "sad"),
                        ("I miss her so much.", "sad")]:
        assert clear_label(evidence(agreeing, text)) == label, text
    members = [m.scores([flat])[0] for m in get_model().members]
    assert overlap(members) < 0.5 and overlap(members[:1]) == pytest.approx(1.0)


def test_disagreement_does_not_doubt_a_reading_the_words_back():
    """Agreement shrinks a reading only where no word grounds it. "Shanshan finally returned to
    your embrace." (a real drama subtitle, EMER-v2: happy): the prototypes read sad, nade happy
    (overlap about 0.3), but the lexicon finds joy words (embrace, finally), so it stays a clear
    happy; the flat script's fearful lean ("doctor's appointment") has no such word."""
    from affect_llm.evidence.fusion import clear_label
    from eval.words_channel import overlap, words_back

    text = "Shanshan finally returned to your embrace."
    members = [m.scores([text])[0] for m in get_model().members]
    assert overlap(members) < 0.5
    assert words_back(text, "happy") and clear_label(words_evidence(text)) == "happy"
    assert not words_back("I think I have a doctor's appointment.", "fearful")
    assert not words_back("That is exactly what happened.", "surprised")
    assert not words_back("I am so happy.", "neutral")  # neutral is never backed: nothing to keep


def test_the_product_ensemble_has_no_agreement_step():
    """Agreement was measured and is off (words.py says why): the shipped ensemble's reading of a
    flat sentence its members disagree on is their plain mean, guarded, not moved toward uniform."""
    from affect_llm.emotions import mixture
    from affect_llm.evidence.words import negation_guard

    model = get_model()
    assert model.name == "prototypes+nade+negation"
    for text in ("That is exactly what happened.", "I am not happy about the meeting."):
        plain = negation_guard(text, mixture([m.scores([text])[0] for m in model.members]))
        assert model.scores([text])[0] == pytest.approx(plain, abs=1e-12)
        assert words_evidence(text).scores == pytest.approx(plain, abs=1e-12)
    assert words_evidence("That is exactly what happened.").method == "words-ensemble-v2"
