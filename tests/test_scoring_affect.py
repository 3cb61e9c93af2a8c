"""affect mode: same spaces and aggregation, the published quirks fixed (hand-computed cases)."""

from __future__ import annotations

import pytest

from affect_llm.scoring.affect import EMBED_THRESHOLD, AffectMapper, affect_wheels
from affect_llm.scoring.openset import score_openset
from affect_llm.scoring.pipeline import get_mapper
from affect_llm.scoring.records import Record
from affect_llm.scoring.wheels import WHEEL_NAMES, published_wheels


@pytest.fixture(scope="module")
def m() -> AffectMapper:
    return get_mapper("affect")


def l1(m, word):
    return m.clusters(word)[2::2]


def lists(**samples) -> dict[str, Record]:
    return {k: Record(k, emotions=tuple(v)) for k, v in samples.items()}


def test_synonyms_share_level1_classes(m):
    assert l1(m, "furious") == l1(m, "angry") == ("mad", "angry", "mad", "anger", "mad")
    assert l1(m, "terrified") == l1(m, "scared")
    for word in ("joyful", "cheerful", "glad"):
        assert l1(m, word)[0] == "happy"


def test_fear_is_no_longer_happy(m):
    assert l1(m, "fear") == ("scared", "fearful", "scared", "fear", "scared")


def test_surprise_and_disgust_get_a_class_where_the_wheel_has_none(m):
    wheels = affect_wheels()
    assert "surprised" in wheels["wheel5"].level1_classes()
    assert {"disgusted"} <= set(wheels["wheel3"].level1_classes()) & set(wheels["wheel5"].level1_classes())
    assert l1(m, "surprise")[4] == "surprised" and l1(m, "disgust")[2] == l1(m, "disgust")[4] == "disgusted"
    # the added classes hold only words the wheel did not have
    added = set(wheels["wheel5"].rows) - set(published_wheels()["wheel5"].rows)
    assert all(r[2] not in published_wheels()["wheel5"].words for r in added if r[0] != "neutral")


def test_neutral_is_a_class(m):
    assert set(m.clusters("neutral")) == {"neutral"}
    golds = lists(a=["neutral"], b=["surprise"])
    preds = {"a": Record("a", text="He shows no emotion."), "b": Record("b", emotions=("surprised", "neutral"))}
    r = score_openset(preds, golds, "affect")
    # a: G = P = {neutral}: 1/1 in every wheel; b: G={surprised}, P={surprised, neutral}: P=1/2, R=1
    for w in WHEEL_NAMES:
        assert r.per_wheel[w].precision == pytest.approx(0.75) and r.per_wheel[w].recall == 1.0
    assert r.n == 2


def test_direct_membership_beats_alphabetical_order(m):
    # wheel 1 lists "embarrassed" under Mad/Humiliated; the published rule reaches "ashamed" first (Sad)
    assert [p.level1 for p in published_wheels()["wheel1"].positions("embarrassed")] == ["mad"]
    assert m.clusters("embarrassed")[2:4] == ("mad", "humiliated")


def test_level2_is_inside_level1(m):
    for name in WHEEL_NAMES:
        wheel = affect_wheels()[name]
        for word in ("happy", "angry", "calm", "excited", "fear", "mad", "lonely"):
            i = 2 + 2 * WHEEL_NAMES.index(name)
            c1, c2 = m.clusters(word)[i:i + 2]
            if c2 is not None:
                assert wheel.parent(c2) == c1 or c1 == "neutral", (name, word, c1, c2)


def test_lemmas_and_unknown_words(m):
    golds = lists(a=["angry", "happy"])
    preds = lists(a=["Angrier", "happiness"])
    assert score_openset(preds, golds, "affect").headline.fscore == 1.0
    assert set(l1(m, "crestfallen")) == {"sad"}  # in no table: WordNet places it
    assert m.clusters("qwrtzplomb")[2:] == (None,) * 10  # garbage stays unplaced (MiniLM < threshold)
    assert 0.5 < EMBED_THRESHOLD < 0.7


def test_hand_computed_affect_scores(m):
    # wheel 1 classes: happy->happy, worried->scared, joyful->happy, fear->scared, sad->sad, tired->sad
    golds = lists(s1=["happy", "worried"], s2=["sad"])
    preds = lists(s1=["joyful", "fear"], s2=["tired", "furious"])
    assert l1(m, "tired")[0] == "sad" and l1(m, "furious")[0] == "mad"
    r = score_openset(preds, golds, "affect")
    w1 = r.per_wheel["wheel1"]
    # s1: G=P={happy, scared}: 1/1; s2: G={sad}, P={sad, mad}: P=1/2, R=1
    assert (w1.precision, w1.recall, w1.n) == (0.75, 1.0, 2)
    assert w1.fscore == pytest.approx(2 * 0.75 / 1.75)


def test_label_lists_are_read_like_text(m):
    golds = lists(a=["annoyed"])
    preds = lists(a=["slightly annoyed", "not angry"])
    r = score_openset(preds, golds, "affect")
    assert r.headline.fscore == 1.0  # "slightly annoyed" -> annoyed, "not angry" -> nothing


def test_perfect_and_order_independent(m):
    golds = {"a": Record("a", text="She is happy but slightly nervous."), "b": Record("b", emotions=("sad", "lonely"))}
    assert score_openset(golds, golds, "affect").headline.fscore == 1.0
    swapped = {"b": Record("b", emotions=("lonely", "sad")), "a": Record("a", text="Slightly nervous, but happy.")}
    one = score_openset(swapped, golds, "affect").to_dict()
    assert one["fs"] == 1.0


def test_decisions_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECT_LLM_CACHE", str(tmp_path))
    first = AffectMapper()
    first.prepare(["happy", "crestfallen"])
    files = list((tmp_path / "scoring").glob("affect-*.json"))
    assert len(files) == 1
    second = AffectMapper()
    assert "crestfallen" in second._memo  # read back from disk: no WordNet or MiniLM needed
    assert second.clusters("crestfallen") == first.clusters("crestfallen")
