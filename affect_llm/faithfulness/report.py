"""Counts of faults over many explanations, and the JSONL reader of ``eval faithfulness``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .fault import KINDS


def build_report(records: Iterable[dict[str, Any]], keep: int | None = None) -> dict[str, Any]:
    """Totals per kind, per record, and rates per explanation.

    Records are ``{id, explanation, cues}`` (``text`` is accepted for ``explanation``); records of
    failed clips (``{"id", "error"}``, as ``affect-llm infer`` writes them) are counted as skipped.
    ``keep`` limits ``per_record`` to the worst explanations (most faults first); None keeps all.
    """
    from . import check_explanation, split_sentences

    per_kind = {k: 0 for k in KINDS}
    with_kind = {k: 0 for k in KINDS}
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    sentences = 0
    for rec in records:
        rid = str(rec.get("id", len(rows) + len(skipped)))
        text = rec.get("explanation", rec.get("text"))
        if rec.get("error") is not None or not isinstance(text, str) or not isinstance(rec.get("cues"), dict):
            skipped.append(rid)
            continue
        faults = check_explanation(text, rec["cues"])
        n_sent = len(split_sentences(text))
        sentences += n_sent
        counts = {k: sum(f.kind == k for f in faults) for k in KINDS}
        for k in KINDS:
            per_kind[k] += counts[k]
            with_kind[k] += counts[k] > 0
        rows.append({"id": rid, "sentences": n_sent, "faults": len(faults), "counts": counts,
                     "details": [f.to_dict() for f in faults]})
    n = len(rows)
    total = sum(per_kind.values())
    report = {
        "records": n,
        "skipped": skipped,
        "sentences": sentences,
        "faults": total,
        "per_kind": per_kind,
        "explanations_with_faults": sum(r["faults"] > 0 for r in rows),
        "clean_rate": round(sum(r["faults"] == 0 for r in rows) / n, 4) if n else None,
        "faults_per_explanation": round(total / n, 4) if n else None,
        "faults_per_sentence": round(total / sentences, 4) if sentences else None,
        "explanations_with_kind": with_kind,
        "per_record": rows,
    }
    if keep is not None:
        report["per_record"] = sorted(rows, key=lambda r: -r["faults"])[:keep]
    return report


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """``{id, explanation, cues}`` objects of a JSONL file; ``InputError`` names the file and line."""
    from ..errors import InputError
    from ..scoring.records import jsonl_objects

    out: list[dict[str, Any]] = []
    for lineno, obj in jsonl_objects(path, role="prediction"):
        where = f"{path}:{lineno}"
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a JSON object with id, explanation and cues")
        if obj.get("error") is None:
            text = obj.get("explanation", obj.get("text"))
            if not isinstance(text, str):
                raise InputError(f"{where}: no explanation (a string field `explanation` or `text`)")
            if not isinstance(obj.get("cues"), dict):
                raise InputError(f"{where}: no cues object: the checker needs the clip's `cues` record "
                                 "(as `affect-llm describe --json` or `infer` writes it)")
        out.append(obj)
    if not out:
        raise InputError(f"prediction file {path} is empty: expected one JSON object per line")
    return out


def print_report(report: dict[str, Any], show: int = 5) -> None:
    n = report["records"]
    print(f"explanations checked: {n}" + (f" (skipped {len(report['skipped'])} failed clips)"
                                          if report["skipped"] else "") + f", sentences: {report['sentences']}")
    print(f"faults: {report['faults']}  per explanation: {report['faults_per_explanation']}  "
          f"per sentence: {report['faults_per_sentence']}  clean explanations: "
          f"{n - report['explanations_with_faults']}/{n}")
    print(f"{'kind':<14} {'faults':>7} {'explanations':>13}")
    for kind in KINDS:
        print(f"{kind:<14} {report['per_kind'][kind]:>7} {report['explanations_with_kind'][kind]:>13}")
    worst = [r for r in sorted(report["per_record"], key=lambda r: -r["faults"]) if r["faults"]][:show]
    if worst:
        print(f"\nworst {len(worst)}:")
    for row in worst:
        print(f"- {row['id']}: {row['faults']} fault{'s' if row['faults'] != 1 else ''}")
        for f in row["details"]:
            print(f"    [{f['kind']}] \"{f['text']}\": {f['why']}")
