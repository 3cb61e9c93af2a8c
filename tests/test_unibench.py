"""``affect-llm eval unibench --upstream``: AffectGPT's own gold, answer and extraction files, in
their exact layouts (pickled dicts in .npz, MELD/IEMOCAP labels as indices, filenames+fileitems),
scored into upstream's per-dataset table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affect_llm.cli.main import main
from affect_llm.errors import InputError
from affect_llm.scoring.closed import score_basic, score_sentiment
from affect_llm.scoring.records import Record
from affect_llm.scoring.unibench import DATASETS, read_gold_npz, unibench_table


def corpus_npz(path, **corpora):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{k: np.array(v, dtype=object) for k, v in corpora.items()})


def answers_npz(path, name2reason, openset=None, sentiment=None):
    """An answer file and, optionally, upstream's extractions beside it (same stem)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, name2reason=np.array(name2reason, dtype=object))
    stem = str(path)[:-4]
    if openset is not None:
        np.savez_compressed(stem + "-openset.npz", filenames=list(openset), fileitems=list(openset.values()))
    if sentiment is not None:
        np.savez_compressed(stem + "-openset-sentiment.npz", filenames=list(sentiment),
                            fileitems=list(sentiment.values()))


@pytest.fixture()
def bench(tmp_path):
    data, out = tmp_path / "dataset", tmp_path / "output"
    corpus_npz(data / "mer2023-dataset-process" / "label-6way.npz",
               train_corpus={"t1": {"emo": "sad"}},
               test1_corpus={"m1": {"emo": "happy"}, "m2": {"emo": "sad"}, "m3": {"emo": "neutral"}})
    corpus_npz(data / "meld-process" / "label.npz",
               test_corpus={"d1": {"emo": 1}, "d2": {"emo": 0}})  # joy, anger in upstream's index order
    corpus_npz(data / "cmumosi-process" / "label.npz",
               test_corpus={"s1": {"val": 1.8}, "s2": {"val": -0.6}, "s3": {"val": 0.0}, "s4": {"val": 2.2}})
    (data / "ovmerdplus-process").mkdir(parents=True)
    (data / "ovmerdplus-process" / "ovlabel.csv").write_text(
        "name,openset\no1,\"['happy', 'excited']\"\no2,[]\no3,[angry]\n")
    reasons = {n: f"answer for {n}" for n in ("m1", "m2", "m3")}
    run = out / "results-mer2023" / "affectgpt"
    answers_npz(run / "checkpoint_000010_loss_0.700.npz", reasons,
                openset={"m1": "['happy']", "m2": "['angry']", "m3": "[]"})
    answers_npz(run / "checkpoint_000020_loss_0.500.npz", reasons,
                openset={"m1": "['joyful', 'happy']", "m2": "['sad', 'tired']", "m3": "['calm']"})
    answers_npz(out / "results-meld" / "affectgpt" / "checkpoint_000020_loss_0.500.npz",
                {"d1": "She laughs and looks joyful.", "d2": "He stays calm and relaxed."})
    answers_npz(out / "results-cmumosi" / "affectgpt" / "checkpoint_000020_loss_0.500.npz",
                {f"s{i}": "x" for i in range(1, 5)}, openset={f"s{i}": "['happy']" for i in range(1, 5)},
                sentiment={"s1": "positive", "s2": "negative", "s3": "positive", "s4": "neutral"})
    answers_npz(out / "results-ovmerdplus" / "affectgpt" / "checkpoint_000020_loss_0.500.npz",
                {"o1": "x", "o2": "x", "o3": "x"}, openset={"o1": "['happy']", "o2": "['happy']", "o3": "[sad]"})
    return data, out


def test_gold_files_read_as_upstream(bench, tmp_path):
    data, _ = bench
    meld = read_gold_npz(data / "meld-process" / "label.npz", "test_corpus", ("anger", "joy", "sadness"))
    assert {k: r.label for k, r in meld.items()} == {"d1": "joy", "d2": "anger"}
    sims = read_gold_npz(data / "cmumosi-process" / "label.npz", "test_corpus")
    assert sims["s2"].score == -0.6 and sims["s1"].label is None
    corpus_npz(tmp_path / "iemocap" / "label_4way.npz",
               whole_corpus={"Ses01F_impro01_F000": {"emo": 0}, "Ses05M_script01_M001": {"emo": 3},
                             "Ses05F_impro02_F010": {"emo": 2}})
    iem = read_gold_npz(tmp_path / "iemocap" / "label_4way.npz", "whole_corpus",
                        ("happy", "sad", "neutral", "anger"), test_session=5)
    assert {k: r.label for k, r in iem.items()} == {"Ses05M_script01_M001": "anger", "Ses05F_impro02_F010": "neutral"}
    with pytest.raises(InputError, match=r"label index 7, but the label order has 3"):
        corpus_npz(tmp_path / "bad.npz", test_corpus={"x": {"emo": 7}})
        read_gold_npz(tmp_path / "bad.npz", "test_corpus", ("a", "b", "c"))
    with pytest.raises(InputError, match=r"has no test1_corpus \(keys: test_corpus\)"):
        read_gold_npz(tmp_path / "bad.npz", "test1_corpus")


def test_upstream_table_best_checkpoint_sources_and_notes(bench):
    data, out = bench
    table = unibench_table(out, data)
    rows = {r["dataset"]: r for r in table["datasets"]}
    assert set(rows) == {"mer2023", "meld", "cmumosi", "ovmerdplus"}
    assert set(table["absent"]) == {"mer2024", "iemocapfour", "cmumosei", "sims", "simsv2"}
    # MER2023: the better checkpoint is picked, as upstream does; its lists hit both non-neutral golds
    mer = rows["mer2023"]
    assert mer["checkpoint"] == "affectgpt/checkpoint_000020_loss_0.500" and mer["candidates"] == 2
    assert mer["score"] == pytest.approx(1.0) and mer["source"] == "upstream-openset" and mer["matches_upstream"]
    gold = {"m1": Record("m1", label="happy"), "m2": Record("m2", label="sad"), "m3": Record("m3", label="neutral")}
    first = {"m1": Record("m1", emotions="['happy']"), "m2": Record("m2", emotions="['angry']"),
             "m3": Record("m3", emotions="[]")}
    assert score_basic(first, gold, ["neutral", "angry", "happy", "sad", "worried", "surprise"],
                       "ovmer").hit_rate == pytest.approx(0.5)  # the other checkpoint, for the record
    # a fixed checkpoint instead of the best
    fixed = unibench_table(out, data, checkpoint="checkpoint_000010", datasets=DATASETS[:1])
    assert {r["dataset"]: r["score"] for r in fixed["datasets"]}["mer2023"] == pytest.approx(0.5)
    # sentiment: upstream's labels used as they are; gold 0 dropped, neutral counts as not positive
    senti = rows["cmumosi"]
    assert senti["source"] == "upstream-sentiment" and senti["n"] == 3
    assert senti["score"] == pytest.approx(2 / 3) and senti["secondary"]["accuracy"] == pytest.approx(2 / 3)
    golds = {f"s{i}": Record(f"s{i}", score=v) for i, v in enumerate((1.8, -0.6, 0.0, 2.2), start=1)}
    preds = {k: Record(k, label=v) for k, v in zip(golds, ("positive", "negative", "positive", "neutral"))}
    assert score_sentiment(preds, golds, "ovmer").weighted_f1 == pytest.approx(senti["score"])
    # MELD: no extraction file, so our extractor reads the answers; the table says so
    meld = rows["meld"]
    assert meld["source"] == "text" and not meld["matches_upstream"] and meld["score"] == pytest.approx(0.5)
    assert any("meld" in n and "our extractor" in n for n in table["notes"])
    assert any("cmumosi" in n for n in table["notes"]) is False  # its sentiment came from upstream's file
    # OV-MERD+: the empty gold list is neutral and skipped; F over the remaining two
    ov = rows["ovmerdplus"]
    assert ov["n"] == 2 and 0 < ov["score"] < 1 and ov["source"] == "upstream-openset"
    assert table["mean"] == pytest.approx(sum(r["score"] for r in table["datasets"]) / 4)
    # reading the texts ourselves is a choice, and is reported
    ours = unibench_table(out, data, use_extracted=False)
    assert all(r["source"] == "text" for r in ours["datasets"])


def test_upstream_unibench_cli(bench, capsys):
    data, out = bench
    assert main(["eval", "unibench", "--upstream", str(out), "--data", str(data), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["task"] == "unibench" and d["n_datasets"] == 4 and d["checkpoint"] == "best"
    assert main(["eval", "unibench", "--upstream", str(out), "--data", str(data)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "mer2023" in text and "100.00" in text and "our extractor" in text
    assert main(["eval", "unibench", "--upstream", str(out)]) == 2
    assert "needs --data" in capsys.readouterr().err
    assert main(["eval", "unibench", "--upstream", str(out), "--data", str(data), "--checkpoint", "nope"]) == 2
    assert "0 answer files match --checkpoint 'nope'" in capsys.readouterr().err
