"""Closed labels: hit rate, single-label mapping, classification metrics, sentiment, UniBench mean."""

from __future__ import annotations

import pytest

from affect_llm.errors import InputError
from affect_llm.scoring.closed import (
    gold_sentiment,
    parse_labels,
    score_basic,
    score_sentiment,
    unibench_mean,
)
from affect_llm.scoring.metrics import classification_metrics
from affect_llm.scoring.records import Record

MER = ["neutral", "angry", "happy", "sad", "worried", "surprise"]


def texts(**kv) -> dict[str, Record]:
    return {k: Record(k, text=v) for k, v in kv.items()}


def labels(**kv) -> dict[str, Record]:
    return {k: Record(k, label=v) for k, v in kv.items()}


def test_classification_metrics_by_hand():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "c"]
    m = classification_metrics(gold, pred, ["a", "b", "c"])
    assert m.accuracy == pytest.approx(4 / 6) and m.war == m.accuracy
    # recalls a 2/3, b 1/2, c 1/1 ; precisions a 1, b 1/2, c 1/2
    assert m.uar == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    f1 = {"a": 0.8, "b": 0.5, "c": 2 / 3}
    assert m.weighted_f1 == pytest.approx((3 * f1["a"] + 2 * f1["b"] + 1 * f1["c"]) / 6)
    assert m.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_hit_rate_ovmer_by_hand():
    golds = labels(a="happy", b="worried", c="neutral")
    preds = texts(a="She is joyful.", b="He is angry.", c="Nothing special.")
    r = score_basic(preds, golds, MER, "ovmer")
    # neutral gold maps to nothing: skipped in every wheel; a hits everywhere
    # (joyful and happy share the L1 class in each wheel), b never does
    assert all(v["n"] == 2 for v in r.hit_rate_per_wheel.values())
    assert r.hit_rate == pytest.approx(0.5)


def test_hit_rate_affect_counts_neutral():
    golds = labels(a="happy", c="neutral")
    preds = texts(a="She is joyful.", c="He shows no emotion.")
    r = score_basic(preds, golds, MER, "affect")
    assert r.hit_rate == 1.0 and all(v["n"] == 2 for v in r.hit_rate_per_wheel.values())


def test_single_label_mapping_and_tie_break():
    golds = labels(a="angry", b="happy", c="neutral", d="sad")
    preds = texts(a="He is furious, slightly sad.",  # angry 1.0 vs sad 0.5 x 2 = 1.0: earliest wins
                  b="She seems very cheerful.", c="", d="Sad and angry.")  # tie: sad mentioned first
    r = score_basic(preds, golds, MER, "affect", keep_samples=True)
    assert [s["pred"] for s in r.samples] == ["angry", "happy", "neutral", "sad"]
    assert r.metrics.accuracy == 1.0 and r.to_dict()["confusion"]["rows"] == MER


def test_no_support_without_neutral_label_is_none():
    r = score_basic(texts(a="qwrtz"), labels(a="happy"), ["happy", "sad"], "affect", keep_samples=True)
    assert r.samples[0]["pred"] == "(none)" and r.metrics.accuracy == 0.0


def test_label_presets():
    assert parse_labels("mer2023") == MER
    assert parse_labels(" Angry, happy ,angry") == ["angry", "happy"]
    assert "joy" in parse_labels("MELD")


def test_sentiment_binarised_as_published():
    golds = {"p": Record("p", label="positive"), "n": Record("n", score=-1.6), "z": Record("z", score=0.0),
             "m": Record("m", label="negative")}
    preds = texts(p="She is delighted.", n="He is not happy at all.", z="whatever", m="no emotion words")
    r = score_sentiment(preds, golds, "affect")
    # z (gold neutral) is dropped; m predicted neutral counts as "not positive" = negative
    assert r.n == 3 and r.dropped_neutral == 1 and r.pred_neutral == 1
    assert r.accuracy == 1.0 and r.weighted_f1 == 1.0


def test_gold_sentiment_forms():
    assert gold_sentiment(Record("a", label="POS")) == "positive"
    assert gold_sentiment(Record("a", label="-0.4")) == "negative"
    with pytest.raises(InputError):
        gold_sentiment(Record("a", label="meh"))


def test_unibench_mean():
    d = unibench_mean([{"task": "basic", "dataset": "mer2023", "hit_rate": 0.6, "mode": "affect"},
                       {"task": "sentiment", "dataset": "mosi", "weighted_f1": 0.8, "mode": "affect"},
                       {"task": "ovmer", "dataset": "ovmerd", "fs": 0.4, "mode": "affect"}])
    assert d["mean"] == pytest.approx(0.6) and d["n_datasets"] == 3
    with pytest.raises(ValueError):
        unibench_mean([{"task": "other"}])
