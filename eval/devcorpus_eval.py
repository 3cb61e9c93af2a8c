"""Score ``affect-llm infer`` output on the development corpus (``tests/devcorpus.py``).

Why: the judgment (which emotions, from which evidence) must be measured per language and per
condition, modality by modality, before and after every change to it. The corpus is synthetic
(espeak-ng voices, still photos), so the figures say whether the pipeline decides from the
evidence it was given, not how it does on people: report them, never tune to them.

Figures (all over the answered clips; an error record counts as wrong):

* first-named accuracy: ``emotions[0] == gold label``, overall, per language, per condition
  (face-none / face-neutral / face-match / face-conflict / voice-only) and on the clips whose
  words and voice agree (goal >= 0.8), plus the confusion matrix and what was named first;
* per-modality ablation: ``cues.evidence[m].top[0]`` of each modality alone, against the gold
  label and against the label planted in that modality (the face photo's, the voice
  profile's, the words'); and the fusion's ``cues.fusion.ranked[0]``;
* conflicts: of the planted face-vs-words/voice conflicts, how many ``cues.fusion.conflicts``
  names (leniently: an entry with ``face`` among its modalities and the face's label among its
  labels; strictly: exactly the face's and the gold label) and how many explanations name both
  labels (emotion words read with the scorer's extractor, mapped by ``emotions.label_of``);
  also conflicts reported where none was planted, and, of the planted conflicts whose two
  sides the face and words channels each clearly read as a different emotion ("perceived"), how
  many the fusion names with those two labels (the others: why not, e.g. speech not understood);
* faithfulness: ``affect_llm.faithfulness.faithfulness_report(records)``;
* face readings: what the pipeline's face channel read for each photo (``cues.face``).

    python eval/devcorpus_eval.py --run [--languages en,es] [--limit N] [--name devcorpus]
    python eval/devcorpus_eval.py --results out.jsonl --gold manifest.gold.jsonl [--name NAME]

``--run`` builds the corpus (cached), runs ``affect-llm infer`` on it (a fresh output each
time) and writes ``eval/results/<name>.{md,json}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("devcorpus_eval")

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval" / "results"
MODALITIES = ("face", "voice", "words")
GOAL = 0.8
CONTRAST = ("but", "however", "although", "though", "while", "whereas", "yet", "despite", "conflict",
            "contradict", "mismatch", "at odds", "does not match", "doesn't match", "contrast", "inconsistent")


def _devcorpus():
    """``tests/devcorpus.py`` as a module (``tests/`` is not a package)."""
    name = "devcorpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "devcorpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{i}: not JSON ({exc.msg})") from None
    return rows


# --------------------------------------------------------------------------- reading one record
def first_emotion(rec: dict[str, Any] | None) -> str | None:
    emotions = (rec or {}).get("emotions") or []
    if isinstance(emotions, str):
        emotions = [e.strip() for e in emotions.split(",") if e.strip()]
    return str(emotions[0]).strip().lower() if emotions else None


def modality_top(rec: dict[str, Any] | None, modality: str) -> tuple[str | None, bool]:
    """(top label of that modality's evidence, whether it was present); (None, False) when absent."""
    ev = (((rec or {}).get("cues") or {}).get("evidence") or {}).get(modality)
    if not isinstance(ev, dict):
        return None, False
    top = ev.get("top") or []
    present = float(ev.get("reliability") or 0.0) > 0
    return (top[0][0] if top and present else None), present


def fusion_top(rec: dict[str, Any] | None) -> str | None:
    ranked = ((((rec or {}).get("cues") or {}).get("fusion")) or {}).get("ranked") or []
    return ranked[0][0] if ranked else None


def fusion_conflicts(rec: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The fusion's conflicts, or None when the record has no fusion at all."""
    fusion = ((rec or {}).get("cues") or {}).get("fusion")
    if not isinstance(fusion, dict):
        return None
    return [c for c in fusion.get("conflicts") or [] if isinstance(c, dict)]


def conflict_named(conflicts: list[dict[str, Any]], face_label: str, gold: str) -> tuple[bool, bool]:
    """(lenient, strict) match of a planted face conflict among the fusion's conflicts.

    Lenient: the face is in the conflict with its planted label (when the entry has ``groups``,
    the label of the face's own group). Strict: and the other side is the gold label.
    """
    lenient = strict = False
    for c in conflicts:
        labels, groups = list(c.get("labels") or []), c.get("groups") or []
        if groups and len(groups) == len(labels):
            face_side = [lab for lab, grp in zip(labels, groups, strict=True) if "face" in grp]
            hit = face_side == [face_label]
        else:
            hit = "face" in (c.get("modalities") or []) and face_label in labels
        if hit:
            lenient = True
            strict = strict or set(labels) == {face_label, gold}
    return lenient, strict


_EXTRACTOR = None


def text_labels(text: str) -> set[str]:
    """The basic labels an explanation asserts (negated words excluded), via the scorer's reader."""
    global _EXTRACTOR
    from affect_llm.emotions import label_of

    if _EXTRACTOR is None:
        from affect_llm.scoring.extract import RuleExtractor

        _EXTRACTOR = RuleExtractor()
    words = _EXTRACTOR.extract(text or "").words
    return {lab for lab in (label_of(w) for w in words) if lab}


def _has_contrast(text: str) -> bool:
    low = f" {(text or '').lower()} "
    return any(f" {c} " in low or f" {c}," in low for c in CONTRAST)


# --------------------------------------------------------------------------- the report
def _ratio(hits: int, n: int) -> float | None:
    return round(hits / n, 3) if n else None


def _acc(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, Any]:
    pairs = list(pairs)
    hits = sum(1 for p, g in pairs if p is not None and p == g)
    return {"n": len(pairs), "correct": hits, "accuracy": _ratio(hits, len(pairs))}


def evaluate(results: list[dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, Any]:
    """All figures of the module docstring, as one JSON-able dict. Gold clips without a result
    (not run, e.g. ``--limit``) are left out; results without gold are ignored."""
    by_id = {str(r.get("id")): r for r in results}
    gold = [g for g in gold if g["id"] in by_id]
    recs = [by_id[g["id"]] for g in gold]
    errors = [r for r in recs if "error" in r]
    pred = [first_emotion(r) if "error" not in r else None for r in recs]
    mapped = [_as_label(p) for p in pred]

    def acc_where(keep) -> dict[str, Any]:
        return _acc((p, g["label"]) for p, g in zip(pred, gold, strict=True) if keep(g))

    def grouped(key: str) -> dict[str, Any]:
        return {v: acc_where(lambda g, v=v: g[key] == v) for v in sorted({g[key] for g in gold})}

    agree = acc_where(lambda g: g["words_voice_agree"])
    agree_by_lang = {lang: acc_where(lambda g, lang=lang: g["words_voice_agree"] and g["language"] == lang)
                     for lang in sorted({g["language"] for g in gold})}
    confusion: dict[str, Counter] = defaultdict(Counter)
    for p, g in zip(pred, gold, strict=True):
        confusion[g["label"]][p or "(none)"] += 1

    report: dict[str, Any] = {
        "clips": len(gold), "answered": len(recs) - len(errors), "errors": len(errors),
        "error_stages": dict(Counter(str(r.get("stage")) for r in errors)),
        "first_named": {"overall": acc_where(lambda g: True), "words_voice_agree": agree,
                        "words_voice_agree_by_language": agree_by_lang, "goal_agree": GOAL,
                        "by_language": grouped("language"), "by_condition": grouped("condition"),
                        "by_gold_label": grouped("label")},
        "first_named_as_label": _acc(zip(mapped, (g["label"] for g in gold), strict=True)),
        "named_first": dict(Counter(p or "(none)" for p in pred).most_common()),
        "confusion": {g: dict(c) for g, c in confusion.items()},
        "modalities": _modalities(recs, gold),
        "conflicts": _conflicts(recs, gold),
        "face_readings": _face_readings(recs, gold),
        "missing": dict(Counter(m for r in recs for m in ((r.get("cues") or {}).get("missing") or []))),
        "emotions_source": dict(Counter(str(r.get("emotions_source")) for r in recs if "error" not in r)),
        "faithfulness": _faithfulness(recs),
    }
    return report


def _as_label(word: str | None) -> str | None:
    """A free emotion word read as a basic label (``emotions.label_of``); labels map to themselves."""
    if not word:
        return None
    from affect_llm.emotions import label_of

    return label_of(word)


def _modalities(recs: list[dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, Any]:
    own_key = {"face": "face_label", "voice": "voice_label", "words": "words_label"}
    out: dict[str, Any] = {}
    for m in MODALITIES:
        tops = [modality_top(r, m) for r in recs]
        if not any(present or top for top, present in tops) and not any(
                m in (((r.get("cues") or {}).get("evidence")) or {}) for r in recs):
            out[m] = {"available": False}
            continue
        present = [(t, g) for (t, p), g in zip(tops, gold, strict=True) if p]
        own = [(t, g[own_key[m]]) for t, g in present if g[own_key[m]] is not None]
        out[m] = {"available": True, "present": len(present),
                  "vs_gold": _acc((t, g["label"]) for t, g in present),
                  "vs_gold_all_clips": _acc((t, g["label"]) for (t, _), g in zip(tops, gold, strict=True)),
                  "vs_planted": _acc(own),
                  "top_counts": dict(Counter(t for t, _ in present).most_common())}
    fused = [fusion_top(r) for r in recs]
    out["fusion"] = ({"available": True, "vs_gold": _acc(zip(fused, (g["label"] for g in gold), strict=True)),
                      "top_equals_emotions0": _acc(zip(fused, (first_emotion(r) for r in recs), strict=True))}
                     if any(f is not None for f in fused) else {"available": False})
    return out


def _conflicts(recs: list[dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, Any]:
    planted = [(r, g) for r, g in zip(recs, gold, strict=True) if g.get("conflict")]
    fusion_known = any(fusion_conflicts(r) is not None for r in recs)
    lenient = strict = both_named = with_contrast = 0
    perceived = perceived_named = 0
    unperceived: Counter = Counter()
    examples: list[dict[str, Any]] = []
    for r, g in planted:
        if "error" in r:
            continue
        face_label, gl = g["face_label"], g["label"]
        lo, st = conflict_named(fusion_conflicts(r) or [], face_label, gl)
        lenient += lo
        strict += st
        sides, why = perceived_sides(r)
        if sides is None:
            unperceived[why] += 1
        else:
            perceived += 1
            perceived_named += any(set(c.get("labels") or []) == set(sides) for c in fusion_conflicts(r) or [])
        labels = text_labels(r.get("explanation") or "")
        both = face_label in labels and gl in labels
        both_named += both
        with_contrast += both and _has_contrast(r.get("explanation") or "")
        if len(examples) < 3 and not both:
            examples.append({"id": g["id"], "face": face_label, "gold": gl, "text_labels": sorted(labels),
                             "explanation": (r.get("explanation") or "")[:300]})
    spurious = Counter(g["condition"] for r, g in zip(recs, gold, strict=True)
                       if not g.get("conflict") and (fusion_conflicts(r) or []))
    n = len(planted)
    return {"planted": n, "fusion_available": fusion_known,
            "fusion_named": _ratio(lenient, n) if fusion_known else None, "fusion_named_n": lenient,
            "fusion_named_exact": _ratio(strict, n) if fusion_known else None, "fusion_named_exact_n": strict,
            "explanation_names_both": _ratio(both_named, n), "explanation_names_both_n": both_named,
            "explanation_with_contrast": _ratio(with_contrast, n), "explanation_with_contrast_n": with_contrast,
            "unplanted_conflicts_by_condition": dict(spurious) if fusion_known else None,
            "perceived": perceived, "perceived_named": perceived_named,
            "not_perceived": dict(unperceived.most_common()),
            "missed_examples": examples}


def perceived_sides(rec: dict[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """The (face, words) labels of a planted conflict as the channels perceived it, or why not.

    Why: "is the planted conflict named" mixes two questions, whether the channels saw the two
    sides at all (a photo read as another emotion, speech not understood) and whether the fusion
    names what they saw. A side is perceived when the fusion found its channel expressing one
    emotion (the record's ``cues.fusion.expressed``: a clear label, or one of an unpleasant pair,
    ``evidence.fusion`` rules 4 and 4b); the conflict is perceived when the two sides differ.
    """
    expressed = (((rec.get("cues") or {}).get("fusion")) or {}).get("expressed") or {}
    face, words = expressed.get("face"), expressed.get("words")
    if face is None:
        return None, "the face shows no clear emotion"
    if words is None:
        return None, "the words show no clear emotion (not understood, or unclear)"
    if "neutral" in (face, words):
        return None, "one side is neutral (no emotion to conflict with)"
    if face == words:
        return None, "both sides were read as the same emotion"
    return (face, words), ""


def _face_readings(recs: list[dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, Any]:
    """What the face channel saw per photo: frames with a face, dominant expressions, mean probs."""
    acc: dict[str, dict[str, Any]] = {}
    for r, g in zip(recs, gold, strict=True):
        face = ((r.get("cues") or {}).get("face")) or {}
        if "error" in r or not face:
            continue
        a = acc.setdefault(g["face"], {"clips": 0, "frames": 0, "frames_with_face": 0, "dominant": Counter(),
                                       "probs": Counter(), "expected": g["face_label"]})
        a["clips"] += 1
        a["frames"] += int(face.get("frames") or 0)
        a["frames_with_face"] += int(face.get("frames_with_face") or 0)
        a["dominant"][str(face.get("dominant"))] += 1
        for k, v in (face.get("mean_probs") or {}).items():
            a["probs"][k] += float(v)
    out = {}
    for name, a in acc.items():
        n = a["clips"]
        probs = sorted(((k, round(v / n, 3)) for k, v in a["probs"].items()), key=lambda kv: -kv[1])
        out[name] = {"expected": a["expected"], "clips": n, "face_found_ratio": _ratio(a["frames_with_face"],
                                                                                        a["frames"]),
                     "dominant": dict(a["dominant"].most_common()), "mean_probs_top3": probs[:3]}
    return out


def _faithfulness(recs: list[dict[str, Any]]) -> dict[str, Any]:
    """The product's checker over the answered records (``affect_llm.faithfulness``)."""
    from affect_llm.faithfulness import faithfulness_report

    return {"available": True, "report": faithfulness_report([r for r in recs if "error" not in r])}


# --------------------------------------------------------------------------- markdown
def _fmt(a: dict[str, Any] | None) -> str:
    if not a or a.get("accuracy") is None:
        return "-"
    return f"{a['accuracy']:.2f} ({a['correct']}/{a['n']})"


def render_markdown(rep: dict[str, Any], meta: dict[str, Any]) -> str:
    fn = rep["first_named"]
    lines = [f"# Development corpus: {meta.get('title', 'report')}", "",
             (f"{meta.get('when', '')}; {rep['clips']} clips, {rep['answered']} answered, {rep['errors']} errors"
              + (f" ({rep['error_stages']})" if rep["errors"] else "") + f"; pipeline: {meta.get('pipeline', '?')}."),
             ("Synthetic clips (espeak-ng voices, still photos): a development aid, not a measure of the product "
              "on people. Built by `tests/devcorpus.py`, scored by `eval/devcorpus_eval.py`."), "",
             "## First-named emotion (`emotions[0] == gold`)", "",
             "| slice | accuracy |", "|---|---|",
             f"| all | {_fmt(fn['overall'])} |",
             f"| words and voice agree (goal >= {fn['goal_agree']}) | {_fmt(fn['words_voice_agree'])} |"]
    lines += [f"| agree, {k} | {_fmt(v)} |" for k, v in fn["words_voice_agree_by_language"].items()]
    lines += [f"| language {k} | {_fmt(v)} |" for k, v in fn["by_language"].items()]
    lines += [f"| condition {k} | {_fmt(v)} |" for k, v in fn["by_condition"].items()]
    lines += [f"| gold {k} | {_fmt(v)} |" for k, v in fn["by_gold_label"].items()]
    lines += ["", (f"Named first, read as a label with `emotions.label_of` (for answers that name free words): "
                   f"{_fmt(rep['first_named_as_label'])}."),
              "", "Named first: " + ", ".join(f"{k} {v}" for k, v in rep["named_first"].items()), "",
              "Confusion (rows gold, columns named first):", ""]
    cols = sorted({c for row in rep["confusion"].values() for c in row})
    lines += ["| gold \\ named | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for g, row in rep["confusion"].items():
        lines.append(f"| {g} | " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    lines += ["", "## Each modality alone (`cues.evidence[m].top[0]`) and the fusion", "",
              "| modality | present | vs gold (present) | vs gold (all clips) | vs its planted label | top labels |",
              "|---|---|---|---|---|---|"]
    for m, v in rep["modalities"].items():
        if not v.get("available"):
            lines.append(f"| {m} | not in the output | - | - | - | - |")
        elif m == "fusion":
            lines.append(f"| fusion | - | {_fmt(v['vs_gold'])} | - | - | ranked[0] == emotions[0]: "
                         f"{_fmt(v['top_equals_emotions0'])} |")
        else:
            tops = ", ".join(f"{k} {c}" for k, c in v["top_counts"].items())
            lines.append(f"| {m} | {v['present']} | {_fmt(v['vs_gold'])} | {_fmt(v['vs_gold_all_clips'])} | "
                         f"{_fmt(v['vs_planted'])} | {tops} |")
    c = rep["conflicts"]
    lines += ["", "## Planted conflicts (face vs words and voice)", "",
              f"- planted: {c['planted']}"]
    if c["fusion_available"]:
        lines += [(f"- named in `cues.fusion.conflicts`: {c['fusion_named_n']} ({c['fusion_named']}); with exactly "
                   f"the two labels: {c['fusion_named_exact_n']} ({c['fusion_named_exact']})"),
                  (f"- conflicts reported where none was planted, by condition: "
                   f"{c['unplanted_conflicts_by_condition'] or 'none'}")]
        if "perceived" in c:
            why = "; ".join(f"{k}: {n}" for k, n in c["not_perceived"].items()) or "none"
            lines += [(f"- perceived (the face and the words each clearly show a different emotion, as read): "
                       f"{c['perceived']}; named with the two labels read: {c['perceived_named']}"),
                      f"- not perceived: {why}"]
    else:
        lines.append("- `cues.fusion` is not in the output: no conflict list to check")
    lines += [(f"- explanation names both labels: {c['explanation_names_both_n']} ({c['explanation_names_both']}); "
               f"and a contrast word: {c['explanation_with_contrast_n']} ({c['explanation_with_contrast']})")]
    lines += ["", "## Face readings per photo (`cues.face`)", "",
              "| photo | expected | clips | face found (frames) | dominant | mean probs |", "|---|---|---|---|---|---|"]
    for name, f in sorted(rep["face_readings"].items()):
        lines.append(f"| {name} | {f['expected']} | {f['clips']} | {f['face_found_ratio']} | "
                     + ", ".join(f"{k} {v}" for k, v in f["dominant"].items()) + " | "
                     + ", ".join(f"{k} {v}" for k, v in f["mean_probs_top3"]) + " |")
    fa = rep["faithfulness"]
    lines += ["", "## Faithfulness", ""]
    if fa["available"]:
        summary = {k: v for k, v in fa["report"].items() if not isinstance(v, list)} \
            if isinstance(fa["report"], dict) else fa["report"]
        lines += ["`affect_llm.faithfulness.faithfulness_report` (per-record details in the JSON):", "",
                  f"```json\n{json.dumps(summary, indent=1)[:3000]}\n```"]
    else:
        lines.append(f"- {fa['why']}")
    lines += ["", (f"Missing modalities reported: {rep['missing'] or 'none'}; emotions_source: "
                   f"{rep['emotions_source']}."), ""]
    return "\n".join(lines)


def write_report(rep: dict[str, Any], meta: dict[str, Any], name: str, out_dir: Path = RESULTS) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / f"{name}.json", out_dir / f"{name}.md"
    js.write_text(json.dumps({"meta": meta, "report": rep}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md.write_text(render_markdown(rep, meta), encoding="utf-8")
    return md, js


# --------------------------------------------------------------------------- running
def run_infer(manifest: Path, output: Path, extra: list[str] | None = None, *, resume: bool = False) -> float:
    """``affect-llm infer`` on the manifest, into a fresh ``output`` unless ``resume``; seconds taken."""
    if output.exists() and not resume:
        output.unlink()
    cmd = [sys.executable, "-m", "affect_llm", "infer", "--input", str(manifest), "--output", str(output),
           "--no-progress", *(extra or [])]
    log.info("running %s", " ".join(cmd))
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"affect-llm infer exited {proc.returncode} on {manifest}")
    return time.perf_counter() - start


def infer_and_evaluate(corpus: Any, output: Path | None = None, infer_args: list[str] | None = None) -> dict[str, Any]:
    """Run ``affect-llm infer`` on a built ``devcorpus.Corpus`` (fresh output) and return ``evaluate``'s report.

    For tests that assert accuracy on real pipeline output, e.g.
    ``rep["first_named"]["words_voice_agree"]["accuracy"] >= 0.8``.
    """
    output = output or corpus.root / f"{corpus.manifest.stem}.out.jsonl"
    run_infer(corpus.manifest, output, infer_args)
    return evaluate(read_jsonl(output), read_jsonl(corpus.gold))


def _pipeline_version() -> str:
    proc = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                          text=True, check=False)
    return proc.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", action="store_true", help="build the corpus and run `affect-llm infer` first")
    p.add_argument("--results", type=Path, help="infer output JSONL (without --run)")
    p.add_argument("--gold", type=Path, help="the corpus' gold JSONL (without --run)")
    p.add_argument("--languages", default=None, help="subset, e.g. en,es")
    p.add_argument("--limit", type=int, default=None, help="at most N clips, balanced over languages")
    p.add_argument("--subtitles", action="store_true", help="give the sentence as subtitle (words known)")
    p.add_argument("--corpus-dir", type=Path, default=None, help="corpus folder (default: the cache)")
    p.add_argument("--name", default="devcorpus", help="report name: eval/results/NAME.{md,json}")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--resume", action="store_true", help="keep finished clips of an earlier infer output")
    p.add_argument("--infer-args", default="", help="extra arguments for affect-llm infer, one string")
    p.add_argument("--pipeline", default=None, help="what ran, for the report (default: git describe --dirty)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    infer_s = None
    try:
        if args.run:
            dc = _devcorpus()
            langs = args.languages.split(",") if args.languages else None
            stem = args.name + ("-subtitled" if args.subtitles else "")
            corpus = dc.build_corpus(args.corpus_dir, dc.corpus_specs(langs, args.limit), subtitles=args.subtitles,
                                     name=stem)
            results_path, gold_path = corpus.root / f"{stem}.out.jsonl", corpus.gold
            infer_s = run_infer(corpus.manifest, results_path, args.infer_args.split(), resume=args.resume)
        else:
            if not (args.results and args.gold):
                p.error("give --run, or both --results and --gold")
            results_path, gold_path = args.results, args.gold
            if args.languages or args.limit:
                log.warning("--languages/--limit only select what --run builds; scoring every result given")
        rep = evaluate(read_jsonl(results_path), read_jsonl(gold_path))
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"devcorpus_eval: {exc}", file=sys.stderr)
        return 2
    meta = {"title": args.title or args.name, "when": time.strftime("%Y-%m-%d %H:%M"),
            "pipeline": args.pipeline or _pipeline_version(), "languages": args.languages or "all", "limit": args.limit,
            "subtitles": args.subtitles, "infer_seconds": round(infer_s, 1) if infer_s else None}
    md, js = write_report(rep, meta, args.name)
    fn = rep["first_named"]
    print(f"first-named accuracy {_fmt(fn['overall'])}; words+voice agree {_fmt(fn['words_voice_agree'])} "
          f"-> {md}, {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
