"""ovmer mode: the published OV-MER metric, checked against hand-computed cases.

Every expected number below was derived by hand from the packaged tables; the table facts
each derivation relies on are asserted first, so a table change fails loudly here.
"""

from __future__ import annotations

import pytest

from affect_llm.scoring.metrics import SetAccumulator, fscore
from affect_llm.scoring.openset import score_openset
from affect_llm.scoring.ovmer import OvmerMapper, published_split
from affect_llm.scoring.records import Record
from affect_llm.scoring.wheels import published_wheels, space_names


@pytest.fixture(scope="module")
def m() -> OvmerMapper:
    return OvmerMapper()


def lists(**samples) -> dict[str, Record]:
    return {k: Record(k, emotions=tuple(v)) for k, v in samples.items()}


def test_table_sizes(m):
    assert m.tables.sizes() == {"wheel_words": 253, "base_words": 1255, "forms": 7386}
    rows = {name: len(w.rows) for name, w in published_wheels().items()}
    assert rows == {"wheel1": 72, "wheel2": 82, "wheel3": 36, "wheel4": 48, "wheel5": 36}


def test_m1_m2_are_alphabetical_first(m):
    assert m.tables.forms["happy"] == ("happiness", "happy")
    assert m.m1("happy") == "happiness"
    assert m.tables.synonyms["happiness"] == ("joy",)  # "happiness" is listed by the wheel word "joy"
    assert m.m2("happy") == "joy"
    assert m.m1("excited") == "excitable"  # a quirk: the first base word wins
    assert m.m1("neutral") is None and m.m2("neutral") is None


def test_wheel_levels_follow_the_published_rules(m):
    w1 = published_wheels()["wheel1"]
    level1, level2 = w1.published_cluster_map(1), w1.published_cluster_map(2)
    assert level1["furious"] == "mad" and level1["anger"] == "mad" and level1["mad"] == "mad"
    assert level2["furious"] == "anger" and level2["anger"] == "anger"
    # a level-1 word maps to its alphabetically first level-2 child
    assert min(w1.tree["happy"]) == "accepted" and level2["happy"] == "accepted"
    # a word listed twice keeps the position written last (wheel 2: disgusted/.. then sad/..)
    w2 = published_wheels()["wheel2"]
    assert [p.level1 for p in w2.positions("embarrassed")] == ["disgusted", "sad"]
    assert w2.published_cluster_map(1)["embarrassed"] == "sad"


def test_synonyms_meet_at_level1(m):
    for wheel in ("wheel1", "wheel2", "wheel3", "wheel4", "wheel5"):
        assert m.cluster("furious", wheel, 1) == m.cluster("angry", wheel, 1) is not None


def test_quirk_fear_lands_in_a_happy_class(m):
    # "fear" is listed as a form of "fearless", whose synonyms are brave/courageous/daring
    assert "fearless" in m.tables.forms["fear"]
    assert m.reachable("fear")[:3] == ["brave", "courageous", "daring"]
    assert published_wheels()["wheel2"].published_cluster_map(1)["courageous"] == "happy"
    assert m.cluster("fear", "wheel2", 1) == "happy"
    assert m.cluster("fear", "wheel5", 1) == "joyful"  # via "daring"
    assert m.cluster("fear", "wheel1", 1) == "scared"  # brave/courageous/daring/fear are not in wheel 1


def test_quirk_surprise_and_disgust_vanish_from_wheel5(m):
    for word in ("surprise", "surprised", "disgust", "disgusted"):
        assert m.cluster(word, "wheel5", 1) is None
    assert m.cluster("disgust", "wheel3", 1) is None
    assert m.cluster("surprise", "wheel1", 1) == "surprised"


def test_quirk_neutral_is_dropped_everywhere(m):
    assert m.clusters("neutral") == (None,) * len(space_names())


def test_hand_computed_scores_with_the_quirks(m):
    golds = lists(s1=["happy", "worried"], s2=["surprise"], s3=["neutral"])
    preds = lists(s1=["joyful", "fear"], s2=["surprised", "neutral"], s3=["happy"])
    r = score_openset(preds, golds, "ovmer")
    # wheel 1: s1 G={happy, scared} P={happy, scared}: 1/1; s2 G=P={surprised}: 1/1; s3 skipped
    w1 = r.per_wheel["wheel1"]
    assert (w1.precision, w1.recall, w1.fscore, w1.n) == (1.0, 1.0, 1.0, 2)
    # wheel 2: s1 G={happy, fearful} but "fear" -> happy, so P={happy}: P=1, R=1/2; s2: 1/1
    w2 = r.per_wheel["wheel2"]
    assert (w2.precision, w2.recall, w2.n) == (1.0, 0.75, 2)
    assert w2.fscore == pytest.approx(2 * 0.75 / 1.75)
    # wheel 5: s1 G={powerful (happy via cheerful), scared}, P={powerful (joyful via cheerful),
    # joyful (fear via daring)}: P=R=1/2; s2: "surprise" maps to nothing -> skipped
    w5 = r.per_wheel["wheel5"]
    assert (w5.precision, w5.recall, w5.fscore, w5.n) == (0.5, 0.5, 0.5, 1)
    # headline: mean of the five wheels' F, P, R
    assert r.headline.fscore == pytest.approx(sum(x.fscore for x in r.per_wheel.values()) / 5)
    assert r.n == 2 and r.n_gold == 3  # s3 (neutral gold) is skipped everywhere


def test_f_is_computed_from_averaged_precision_and_recall():
    acc = SetAccumulator()
    acc.add({"a", "b"}, {"a"})  # P=1, R=1/2
    acc.add({"a"}, {"a", "b"})  # P=1/2, R=1
    res = acc.result()
    assert (res.precision, res.recall) == (0.75, 0.75)
    assert res.fscore == pytest.approx(0.75)  # not the mean of per-sample F (2/3)
    assert fscore(0.0, 0.0) == 0.0


def test_empty_prediction_and_missing_id_score_zero(m):
    golds = lists(a=["happy"], b=["angry"])
    preds = lists(a=[])
    r = score_openset(preds, golds, "ovmer")
    assert r.missing_ids == ["b"]
    assert r.headline.precision == 0.0 and r.headline.recall == 0.0 and r.n == 2


def test_perfect_prediction_and_order_independence(m):
    golds = lists(a=["happy", "worried", "angry"], b=["sad"], c=["surprised", "calm"])
    perfect = score_openset(golds, golds, "ovmer")
    assert perfect.headline.fscore == 1.0 and perfect.full_mean.fscore == 1.0
    preds = lists(a=["angry", "joyful"], b=["sad", "tired"], c=["calm"])
    shuffled_preds = lists(a=["joyful", "angry"], b=["tired", "sad"], c=["calm"])
    shuffled_golds = lists(c=["calm", "surprised"], b=["sad"], a=["angry", "worried", "happy"])
    one = score_openset(preds, golds, "ovmer").to_dict()
    two = score_openset(shuffled_preds, shuffled_golds, "ovmer").to_dict()
    assert one["per_wheel"] == two["per_wheel"] and one["full"] == two["full"]


def test_full_report_has_m1_m2_and_ten_wheel_spaces(m):
    golds = lists(a=["happiness"])
    preds = lists(a=["happy"])
    d = score_openset(preds, golds, "ovmer").to_dict()
    assert list(d["full"]) == [*space_names(), "mean"]
    assert d["full"]["M1"]["fs"] == 1.0  # both reach base word "happiness"


def test_published_string_lists():
    assert published_split("[happy, 'relieved', \"tired\"]") == ["happy", "relieved", "tired"]
    assert published_split("") == []
