"""``affect-llm eval`` and ``affect-llm extract``: outputs and every bad-input path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from affect_llm.cli.main import main

SCRIPT = Path(sys.executable).with_name("affect-llm")


def write(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def files(tmp_path):
    gold = write(tmp_path / "gold.jsonl", [
        {"id": "a", "emotions": ["happy", "relieved"]},
        {"id": "b", "text": "She is furious and a little sad."},
        {"id": "c", "emotions": "worried, nervous"},
        {"id": 4, "emotions": ["surprised"]},
    ])
    pred = write(tmp_path / "pred.jsonl", [
        {"id": "a", "text": "He looks happy and relieved."},
        {"id": "b", "emotions": ["angry"]},
        {"id": "4", "text": "She was astonished."},
        {"id": "zzz", "text": "not in gold"},
    ])
    return tmp_path, pred, gold


def run_json(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_ovmer_json_both_modes(files, capsys):
    _, pred, gold = files
    for mode in ("affect", "ovmer"):
        d = run_json(capsys, ["eval", "ovmer", "--pred", str(pred), "--gold", str(gold), "--mode", mode, "--json"])
        assert {"fs", "precision", "recall", "n", "per_wheel", "missing_ids", "scorer_version", "full"} <= set(d)
        assert d["mode"] == mode and d["missing_ids"] == ["c"] and d["extra_ids"] == ["zzz"]
        assert set(d["per_wheel"]) == {f"wheel{k}" for k in range(1, 6)}
        assert 0 < d["fs"] <= 1


def test_eval_ovmer_table_per_sample_and_plots(files, capsys):
    tmp, pred, gold = files
    out = tmp / "samples.jsonl"
    assert main(["eval", "ovmer", "--pred", str(pred), "--gold", str(gold), "--per-sample", str(out),
                 "--plot", str(tmp / "plots")]) == 0
    text = capsys.readouterr().out
    assert "headline" in text and "wheel1-L1" in text and "missing" in text
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c", "4"] and rows[2]["missing_pred"]
    assert rows[0]["spaces"]["wheel1-L1"]["gold"] == ["happy"]
    for name in ("per_wheel.png", "sunburst_wheel1.png"):
        assert (tmp / "plots" / name).read_bytes()[:4] == b"\x89PNG"


def test_eval_basic_and_sentiment(tmp_path, capsys):
    gold = write(tmp_path / "g.jsonl", [{"id": "1", "label": "happy"}, {"id": "2", "label": "angry"},
                                        {"id": "3", "label": "neutral"}])
    pred = write(tmp_path / "p.jsonl", [{"id": "1", "text": "She smiles, delighted."},
                                        {"id": "2", "text": "He is irritated."}, {"id": "3", "text": "calm"}])
    d = run_json(capsys, ["eval", "basic", "--pred", str(pred), "--gold", str(gold), "--labels", "mer2023",
                          "--json", "--per-sample", str(tmp_path / "s.jsonl"), "--plot", str(tmp_path / "pl")])
    assert {"accuracy", "weighted_f1", "uar", "hit_rate", "n", "confusion"} <= set(d)
    assert d["n"] == 3 and len(d["confusion"]["matrix"]) == 6
    assert [json.loads(x)["pred"] for x in (tmp_path / "s.jsonl").read_text().splitlines()][:2] == ["happy", "angry"]
    assert (tmp_path / "pl" / "confusion.png").exists()
    sgold = write(tmp_path / "sg.jsonl", [{"id": "1", "label": "positive"}, {"id": "2", "score": -2},
                                          {"id": "3", "label": "neutral"}])
    d = run_json(capsys, ["eval", "sentiment", "--pred", str(pred), "--gold", str(sgold), "--json",
                          "--plot", str(tmp_path / "sp")])
    assert d["n"] == 2 and d["dropped_gold_neutral"] == 1 and d["accuracy"] == 1.0
    assert (tmp_path / "sp" / "confusion.png").exists()
    assert main(["eval", "sentiment", "--pred", str(pred), "--gold", str(sgold)]) == 0
    assert "weighted_f1" in capsys.readouterr().out


def test_eval_unibench(tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"task": "basic", "dataset": "mer", "hit_rate": 0.5, "mode": "affect"}))
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"task": "ovmer", "dataset": "ov", "fs": 0.7, "mode": "affect"}))
    d = run_json(capsys, ["eval", "unibench", str(a), str(b), "--json"])
    assert d["mean"] == pytest.approx(0.6)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["eval", "unibench", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


@pytest.mark.parametrize("lines, message", [
    (['{"id": "a", "text": "ok"}', '{"id": "b", "text": '], "gold.jsonl:2: malformed JSON"),
    (['{"id": "a", "text": "ok"}', '{"id": "a", "text": "again"}'], "gold.jsonl:2: duplicate id 'a'"),
    (['{"text": "no id"}'], "gold.jsonl:1: missing \"id\""),
    (['["a list"]'], "gold.jsonl:1: expected a JSON object"),
    (['{"id": "a", "emotions": [1, 2]}'], "gold.jsonl:1: \"emotions\" must be a list of strings"),
    (['{"id": "a"}'], "gold.jsonl:1: id 'a' has no \"text\" or \"emotions\""),
    ([], "is empty"),
    (["", "   "], "is empty"),
])
def test_bad_gold_files(tmp_path, capsys, lines, message):
    gold = write(tmp_path / "gold.jsonl", lines) if lines else (tmp_path / "gold.jsonl")
    if not lines:
        gold.write_text("")
    pred = write(tmp_path / "pred.jsonl", [{"id": "a", "text": "happy"}])
    assert main(["eval", "ovmer", "--pred", str(pred), "--gold", str(gold)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_other_bad_inputs(tmp_path, capsys):
    pred = write(tmp_path / "pred.jsonl", [{"id": "a", "text": "happy"}])
    assert main(["eval", "ovmer", "--pred", str(pred), "--gold", str(tmp_path / "nope.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "latin1.jsonl").write_bytes('{"id": "a", "text": "caf\xe9"}\n'.encode("latin-1"))
    assert main(["eval", "ovmer", "--pred", str(tmp_path / "latin1.jsonl"), "--gold", str(pred)]) == 2
    assert "latin1.jsonl:1: not UTF-8" in capsys.readouterr().err
    gold = write(tmp_path / "g.jsonl", [{"id": "a", "text": "sad"}])
    assert main(["eval", "basic", "--pred", str(pred), "--gold", str(gold), "--labels", "happy,sad"]) == 2
    assert "g.jsonl:1: id 'a' has no \"label\"" in capsys.readouterr().err
    assert main(["eval", "basic", "--pred", str(pred), "--gold", str(gold), "--labels", " , "]) == 2
    assert main(["eval"]) == 2


def test_garbage_text_scores_without_crashing(tmp_path, capsys):
    gold = write(tmp_path / "g.jsonl", [{"id": "a", "emotions": ["happy"]}, {"id": "b", "text": "她很高兴"}])
    pred = write(tmp_path / "p.jsonl", [{"id": "a", "text": "xqzv plomb !!! ÆØÅ"}, {"id": "b", "text": "😀"}])
    d = run_json(capsys, ["eval", "ovmer", "--pred", str(pred), "--gold", str(gold), "--json"])
    assert d["fs"] == 0.0 and d["n"] == 1 and d["skipped"] == 1


def test_extract_command(capsys):
    d = run_json(capsys, ["extract", "--text", "He spoke angrily; she is not sad, only slightly nervous."])
    assert d["words"] == ["angry", "nervous"] and d["negated"] == ["sad"]
    assert d["intensity"]["nervous"] == 0.5 and d["scorer_version"]


def test_console_script_subprocess(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\nnot json\n')
    proc = subprocess.run([str(SCRIPT), "eval", "ovmer", "--pred", str(bad), "--gold", str(bad), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert f"{bad}:2: malformed JSON" in proc.stderr and proc.stdout == ""
