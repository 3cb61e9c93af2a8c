"""Measure the shipped fusion again on saved runs, without perceiving a clip again.

Why: a fusion rule decides from the channels' evidence, and every run keeps that evidence
(``cues.evidence`` of an ``infer`` record; ``evidence`` of a ``real_speech_eval`` row). Re-fusing
it with today's ``evidence.fusion.fuse`` shows what a rule changes, clip by clip, in seconds: how
many answers change, how many of those are won and lost, in each half of the speakers (a rule
that helps only one half was fitted to its speakers). A real run of the corpus afterwards checks
the figure, since the rest of the pipeline may have moved since the records were saved.

Inputs, any number of each:

* ``FOLDER`` of ``eval/real_video_eval.py`` (``labels.csv`` beside the records ``infer.jsonl``),
  or ``--records FILE`` to name another records file of that folder;
* a ``real_speech_*_pipeline*.json`` of ``eval/real_speech_eval.py`` (its rows hold the gold
  label, the speaker and the saved evidence).

    python eval/refuse.py /data/javanese_av eval/results/real_speech_emodb_pipeline84.json [--list]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from affect_llm.evidence import ModalityEvidence  # noqa: E402
from affect_llm.evidence.fusion import fuse  # noqa: E402
from affect_llm.evidence.words import FLAT_WORDS_WEIGHT  # noqa: E402
from real_video_eval import read_labels  # noqa: E402  (the labels.csv reader of the run that wrote the records)


def evidence_of(saved: dict[str, dict]) -> dict[str, ModalityEvidence]:
    """The channels' evidence from a saved record. Records saved before ``flat_weight`` was
    written lack it; the words channel's is ``FLAT_WORDS_WEIGHT`` (``words_evidence`` sets it)."""
    out = {}
    for m, d in saved.items():
        ev = ModalityEvidence.from_dict(d)
        if "flat_weight" not in d and m == "words":
            ev = replace(ev, flat_weight=FLAT_WORDS_WEIGHT)
        out[m] = ev
    return out


def load(source: Path, records: str = "infer.jsonl") -> list[dict]:
    """One dict per clip: id, gold, speaker, the saved answer's first emotion, its evidence."""
    if source.is_dir():
        gold = {c["id"]: c for c in read_labels(source)}
        clips = []
        for line in (source / records).open(encoding="utf-8"):
            r = json.loads(line)
            if r.get("id") in gold and r.get("emotions"):
                g = gold[r["id"]]
                clips.append({"id": r["id"], "gold": g["gold"], "speaker": g["speaker"],
                              "saved": r["emotions"][0], "evidence": evidence_of(r["cues"]["evidence"])})
        return clips
    rows = json.loads(source.read_text(encoding="utf-8"))["rows"]
    return [{"id": r["file"], "gold": r["gold"], "speaker": r["speaker"], "saved": r["first"],
             "evidence": evidence_of(r["evidence"])} for r in rows]


def compare(clips: list[dict]) -> dict:
    """Right answers saved and re-fused (all, and each half of the speakers), and the changes."""
    speakers = sorted({c["speaker"] for c in clips})
    first_half = set(speakers[:len(speakers) // 2])
    out = {"clips": len(clips), "saved": [0, 0], "now": [0, 0], "changed": [], "won": 0, "lost": 0}
    for c in clips:
        now = fuse(c["evidence"]).emotions[0]
        half = 0 if c["speaker"] in first_half else 1
        out["saved"][half] += c["saved"] == c["gold"]
        out["now"][half] += now == c["gold"]
        if now != c["saved"]:
            out["changed"].append((c["id"], c["gold"], c["saved"], now))
            out["won"] += now == c["gold"]
            out["lost"] += c["saved"] == c["gold"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sources", type=Path, nargs="+", help="eval folders (labels.csv + records) or pipeline JSON runs")
    ap.add_argument("--records", default="infer.jsonl", help="records file inside each folder")
    ap.add_argument("--list", action="store_true", help="also list every changed clip")
    args = ap.parse_args(argv)
    print("| run | clips | right, saved (halves of the speakers) | right, re-fused now | changed | won | lost |")
    print("|---|---|---|---|---|---|---|")
    changes = []
    for src in args.sources:
        r = compare(load(src, args.records))
        name = src.name if src.is_dir() else src.stem
        print(f"| {name} | {r['clips']} | {sum(r['saved'])} ({r['saved'][0]} / {r['saved'][1]}) | "
              f"{sum(r['now'])} ({r['now'][0]} / {r['now'][1]}) | {len(r['changed'])} | {r['won']} | {r['lost']} |")
        changes += [(name, *c) for c in r["changed"]]
    if args.list and changes:
        print("\n| run | clip | gold | saved | now |\n|---|---|---|---|---|")
        for row in changes:
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
