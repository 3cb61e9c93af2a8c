"""How the whole product does on *real* labelled video of a person speaking, channel by channel.

Why: the product is judged on real clips with a face, a voice and words together. The other real
measures each take one channel (real speech with a grey picture, real face photos); this one
runs ``affect-llm infer`` on real audio-visual clips exactly as a user would, keeps every
record, and asks of each clip: was the answer right, was each channel alone right, and when the
answer was wrong, did some channel have it. Nothing here is fitted; no clip is shipped.

Input: a folder with ``labels.csv`` (columns ``path,label[,speaker,language]``; ``path`` relative
to the folder; labels read with ``emotions.label_of``). The language column is only reported: the
product detects the language from the speech, as it does for a user's clip.

Run: the clips are written to ``<folder>/manifest.jsonl`` and run through ``python -m affect_llm
infer`` into ``<folder>/infer.jsonl``. The records are kept there so a fusion rule can be
re-measured offline. A run starts afresh: an earlier ``infer.jsonl`` is moved aside to
``infer.before-<time>.jsonl`` (kept, never overwritten), because records of an older pipeline
would otherwise be scored under this one's commit. ``--resume`` keeps it and runs only the clips
it lacks (after an interruption); ``--score-only`` reads it without running anything, and reports
the run that wrote it (``infer.run.json``, kept beside the records).

Figures, per corpus: the answer's first-named emotion against the gold label; each channel's top
label alone (face, voice, words), counted only on the clips where that channel is present
(reliability > 0); per-label recall of each; how often a face was found; and the clips where the
answer was wrong while a channel alone was right (which channel); how many emotions the answer
names a clip; and the product's own faithfulness check of every explanation
(``affect_llm.faithfulness.faithfulness_report``: faults by kind) with how many of its sections
were generated, regenerated or rendered (``grounding``). Results go to
``eval/results/<name>.{md,json}``.

    python eval/real_video_eval.py /data/javanese_av --name real_video_javanese_av [--note TEXT]
        [--sample N] [--resume | --score-only] [--infer-args "--workers 0"]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_speech_eval import confusion_table, pipeline_rev, write_results  # noqa: E402

CHANNELS = ("face", "voice", "words")
MANIFEST = "manifest.jsonl"
RECORDS = "infer.jsonl"
RUN = "infer.run.json"  # beside the records: the run that wrote them (pipeline, arguments, time), for --score-only


def read_labels(folder: Path) -> list[dict]:
    """One dict per clip: id (the file's stem), path, gold label, speaker, corpus language."""
    from affect_llm.emotions import label_of

    clips = []
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            gold = label_of(row["label"])
            if gold is None:
                sys.exit(f"{folder}/labels.csv: label {row['label']!r} is not an emotion word the label set reads")
            clips.append({"id": Path(row["path"]).stem, "path": row["path"], "gold": gold,
                          "speaker": row.get("speaker") or "?", "language": row.get("language") or None})
    ids = Counter(c["id"] for c in clips)
    if max(ids.values()) > 1:
        sys.exit(f"{folder}/labels.csv: clip ids (file stems) must be unique: {[i for i, n in ids.items() if n > 1][:5]}")
    return clips


def sample_per_label(clips: list[dict], n: int) -> list[dict]:
    """About ``n`` clips, the same number per label, the first ones in file order (deterministic)."""
    by_label: dict[str, list[dict]] = {}
    for c in clips:
        by_label.setdefault(c["gold"], []).append(c)
    per = max(1, n // len(by_label))
    return [c for group in by_label.values() for c in group[:per]]


def run_infer(folder: Path, clips: list[dict], extra: list[str]) -> Path:
    """``affect-llm infer`` over the clips, as a user runs it; returns the records file."""
    manifest, records = folder / MANIFEST, folder / RECORDS
    with manifest.open("w", encoding="utf-8") as fh:
        for c in clips:
            fh.write(json.dumps({"id": c["id"], "video": c["path"]}) + "\n")
    cmd = [sys.executable, "-m", "affect_llm", "infer", "--input", str(manifest), "--output", str(records),
           "--no-progress", *extra]
    print("$", " ".join(shlex.quote(a) for a in cmd), flush=True)
    subprocess.run(cmd, check=True, env=os.environ.copy())
    return records


def set_aside(records: Path) -> Path | None:
    """Move an earlier records file to ``<stem>.before-<time>.jsonl``; its new path, or None."""
    if not records.exists():
        return None
    kept = records.with_name(f"{records.stem}.before-{time.strftime('%Y%m%d-%H%M%S')}{records.suffix}")
    while kept.exists():
        kept = kept.with_name(kept.stem + "-1" + kept.suffix)
    records.rename(kept)
    print(f"earlier records moved aside to {kept} (--resume keeps them)", flush=True)
    return kept


def read_records(path: Path) -> dict[str, dict]:
    """The last record per clip id (a rerun appends)."""
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                out[rec["id"]] = rec
    return out


def channel_top(rec: dict, channel: str) -> str | None:
    """The channel's top label where the channel is present (reliability > 0), else None."""
    ev = rec["cues"]["evidence"].get(channel)
    if not ev or ev["reliability"] <= 0 or not ev["top"]:
        return None
    return ev["top"][0][0]


def row_of(clip: dict, rec: dict | None) -> dict:
    """What one clip's record says, beside its gold label."""
    row = {k: clip[k] for k in ("id", "gold", "speaker", "language")}
    if rec is None or "error" in rec:
        return {**row, "error": (rec or {}).get("error", "no record")}
    cues = rec["cues"]
    words = cues.get("words") or {}
    return {**row, "first": rec["emotions"][0] if rec["emotions"] else None, "emotions": rec["emotions"],
            "face_found": bool(cues["face"].get("found")),
            **{f"{m}_top": channel_top(rec, m) for m in CHANNELS},
            **{f"{m}_reliability": cues["evidence"][m]["reliability"] for m in CHANNELS if m in cues["evidence"]},
            "heard_language": words.get("language"), "transcript_reliable": words.get("transcript_reliable"),
            "heard": words.get("subtitle") or words.get("heard"),
            "fusion_weights": cues["fusion"].get("weights"), "fusion_summary": cues["fusion"].get("summary")}


def rate(ok: int, n: int) -> str:
    return f"{ok / n:.2f} ({ok}/{n})" if n else "-"


def accuracy(rows: list[dict], key: str) -> str:
    """Share of rows whose ``key`` equals the gold label, over rows where ``key`` is set."""
    have = [r for r in rows if r.get(key) is not None]
    return rate(sum(r[key] == r["gold"] for r in have), len(have))


def report(rows: list[dict]) -> dict:
    from affect_llm.emotions import LABELS

    done = [r for r in rows if "error" not in r]
    gold_counts = Counter(r["gold"] for r in done)
    labels = [lab for lab in LABELS if gold_counts.get(lab)]
    keys = {"answer": "first", **{m: f"{m}_top" for m in CHANNELS}}
    wrong = [r for r in done if r["first"] != r["gold"]]
    rescued = {m: [r["id"] for r in wrong if r.get(f"{m}_top") == r["gold"]] for m in CHANNELS}
    any_right = [r["id"] for r in wrong if any(r.get(f"{m}_top") == r["gold"] for m in CHANNELS)]
    return {
        "clips": len(rows), "errors": len(rows) - len(done), "speakers": len({r["speaker"] for r in done}),
        "chance_uniform": round(1 / len(labels), 3) if labels else None,
        "accuracy": {name: accuracy(done, key) for name, key in keys.items()},
        "gold_among_named": rate(sum(r["gold"] in r["emotions"] for r in done), len(done)),
        "emotions_per_clip": round(sum(len(r["emotions"]) for r in done) / len(done), 2) if done else None,
        "present": {m: rate(sum(r.get(f"{m}_top") is not None for r in done), len(done)) for m in CHANNELS},
        "face_found": rate(sum(r["face_found"] for r in done), len(done)),
        "recall": {name: {lab: accuracy([r for r in done if r["gold"] == lab], key) for lab in labels}
                   for name, key in keys.items()},
        "answer_wrong_channel_right": {
            "answer_wrong": len(wrong), "some_channel_right": len(any_right),
            **{m: len(ids) for m, ids in rescued.items()},
            "only": {m: len([i for i in ids if all(i not in rescued[o] for o in CHANNELS if o != m)])
                     for m, ids in rescued.items()},
            "examples": {m: ids[:8] for m, ids in rescued.items()}},
        "named_first": dict(Counter(r["first"] for r in done).most_common()),
        "channel_named": {m: dict(Counter(r.get(f"{m}_top") for r in done).most_common()) for m in CHANNELS},
        "heard_language": dict(Counter(r["heard_language"] for r in done).most_common()),
        "per_speaker_answer": {s: accuracy([r for r in done if r["speaker"] == s], "first")
                               for s in sorted({r["speaker"] for r in done})},
        "confusion": {g: dict(Counter(r["first"] for r in done if r["gold"] == g)) for g in labels},
    }


def faithfulness(records: list[dict]) -> dict:
    """The product's checker over the explanations, plus how each section was written.

    Why: the answer's figures say whether the emotion was right; this says whether the words
    beside it keep to what was measured, on real clips rather than the synthetic corpus. The
    per-record detail is kept only for explanations with faults (the JSON stays small)."""
    from affect_llm.faithfulness import faithfulness_report

    done = [r for r in records if "error" not in r]
    rep = faithfulness_report(done)
    rep["per_record"] = [r for r in rep["per_record"] if r["faults"]]
    grounding = Counter(how for r in done for how in (r.get("grounding") or {}).values())
    return {**rep, "grounding": dict(grounding.most_common()),
            "grounding_recorded": sum(bool(r.get("grounding")) for r in done)}


def markdown(name: str, meta: dict, rep: dict) -> str:
    from affect_llm.emotions import LABELS

    w = rep["answer_wrong_channel_right"]
    lines = [f"# Real video: {name}", "",
             f"{meta['when']}; {rep['clips']} clips ({rep['errors']} failed), {rep['speakers']} speakers; "
             f"pipeline {meta['pipeline']}; `affect-llm infer {meta['infer_args']}`; {meta['seconds']} s"
             + (f" (scored again {meta['scored']})." if meta.get("scored") else "."),
             "Real labelled clips of a person speaking on camera; not shipped, not trained on. "
             "Built by `eval/real_video_eval.py`; the per-clip records stay beside the clips (infer.jsonl).", "",
             *([meta["note"], ""] if meta.get("note") else []),
             f"Chance (uniform over the corpus's labels): {rep['chance_uniform']}. "
             f"Face found: {rep['face_found']}. Gold among all the emotions named: {rep['gold_among_named']}; "
             f"emotions named per clip: {rep['emotions_per_clip']}.", "",
             "| who names | accuracy (where present) | present on |", "|---|---|---|",
             f"| the answer (first-named) | {rep['accuracy']['answer']} | all |"]
    lines += [f"| {m} channel's top, alone | {rep['accuracy'][m]} | {rep['present'][m]} |" for m in CHANNELS]
    lines += ["", "Recall per gold label:", "", "| gold | " + " | ".join(rep["recall"]) + " |",
              "|---" * (len(rep["recall"]) + 1) + "|"]
    for lab in rep["recall"]["answer"]:
        lines.append(f"| {lab} | " + " | ".join(rep["recall"][who][lab] for who in rep["recall"]) + " |")
    lines += ["", f"Answer wrong: {w['answer_wrong']}; of these some channel alone had the gold label: "
              f"{w['some_channel_right']} (face {w['face']}, voice {w['voice']}, words {w['words']}; "
              f"that channel only: face {w['only']['face']}, voice {w['only']['voice']}, words {w['only']['words']}).",
              "", "Examples (answer wrong, channel right): "
              + "; ".join(f"{m}: {', '.join(ids)}" for m, ids in w["examples"].items() if ids),
              "", "Named first: " + ", ".join(f"{k} {v}" for k, v in rep["named_first"].items()),
              *[f"{m.capitalize()} top: " + ", ".join(f"{k} {v}" for k, v in rep["channel_named"][m].items())
                for m in CHANNELS],
              "", "Language heard: " + ", ".join(f"{k} {v}" for k, v in rep["heard_language"].items()),
              "", "Answer per speaker: " + ", ".join(f"{k} {v}" for k, v in rep["per_speaker_answer"].items()),
              "", *confusion_table(rep["confusion"], LABELS, "named first", "named"),
              *faithfulness_lines(rep.get("faithfulness"))]
    return "\n".join(lines) + "\n"


def faithfulness_lines(fa: dict | None) -> list[str]:
    """The faithfulness section of the report: explanations checked, faults by kind, grounding."""
    if not fa:
        return []
    kinds = ", ".join(f"{k} {v}" for k, v in fa["per_kind"].items())
    worst = "; ".join(f"{r['id']}: " + ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v)
                      for r in fa["per_record"][:8])
    grounding = ", ".join(f"{k} {v}" for k, v in fa["grounding"].items()) or "not recorded"
    return ["", "## Faithfulness of the explanations", "",
            f"`affect_llm.faithfulness.faithfulness_report` over {fa['records']} explanations "
            f"({len(fa['skipped'])} skipped), {fa['sentences']} sentences: {fa['faults']} faults ({kinds}); "
            f"explanations with a fault: {fa['explanations_with_faults']}; clean rate {fa['clean_rate']}.",
            f"Sections by how they were written (`grounding`, on {fa['grounding_recorded']} records): {grounding}.",
            *([f"With faults: {worst}."] if worst else [])]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="folder with labels.csv (path,label[,speaker,language]) and the clips")
    p.add_argument("--name", default="real_video")
    p.add_argument("--note", default="", help="a line for the report, e.g. the corpus and its licence")
    p.add_argument("--sample", type=int, default=0, help="about N clips, the same number per label (0: all)")
    p.add_argument("--score-only", action="store_true", help="score an existing infer.jsonl; run nothing")
    p.add_argument("--resume", action="store_true",
                   help="keep an existing infer.jsonl and run only the clips it lacks (default: move it aside)")
    p.add_argument("--infer-args", default="", help="more arguments for affect-llm infer, e.g. '--workers 0'")
    args = p.parse_args(argv)

    folder = args.folder.resolve()
    clips = read_labels(folder)
    if args.sample:
        clips = sample_per_label(clips, args.sample)
    start = time.time()
    run = {"when": time.strftime("%Y-%m-%d %H:%M"), "pipeline": pipeline_rev(),
           "infer_args": args.infer_args or "(defaults)"}
    if not args.score_only:
        if not args.resume:
            set_aside(folder / RECORDS)
        run_infer(folder, clips, shlex.split(args.infer_args))
        run["seconds"] = round(time.time() - start, 1)
        (folder / RUN).write_text(json.dumps(run) + "\n", encoding="utf-8")
    elif (folder / RUN).exists():  # the report says which run made the records, not this scoring
        run = {**json.loads((folder / RUN).read_text(encoding="utf-8")), "scored": run["when"]}
    else:
        run = {**run, "pipeline": "unknown (no infer.run.json beside the records)", "infer_args": "?",
               "seconds": "?", "scored": run["when"]}
    records = read_records(folder / RECORDS)
    rows = [row_of(c, records.get(c["id"])) for c in clips]
    meta = {**run, "folder": folder.name, "score_only": args.score_only, "note": args.note}
    rep = report(rows)
    rep["faithfulness"] = faithfulness([records[c["id"]] for c in clips if c["id"] in records])
    write_results(args.name, {"meta": meta, "report": rep, "rows": rows}, markdown(args.name, meta, rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
