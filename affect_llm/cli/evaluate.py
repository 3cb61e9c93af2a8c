"""``affect-llm eval``: score free-text answers against gold labels.

Tasks: ``ovmer`` (open-vocabulary emotion sets, OV-MER/MER-UniBench metric), ``basic``
(one gold emotion label per clip), ``sentiment`` (positive/negative/neutral),
``unibench`` (the mean over saved ``--json`` results) and ``faithfulness`` (does each
explanation say only what its clip's cues measured; no gold needed). Only argparse is imported at
registration; the scorer loads when a task runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MODES = ("affect", "ovmer")  # kept in sync with affect_llm.scoring.MODES (cheap to import here)

EPILOG = """\
examples:
  affect-llm eval ovmer --pred pred.jsonl --gold gold.jsonl              OV-MER F/P/R (affect mode)
  affect-llm eval ovmer --pred pred.jsonl --gold gold.jsonl --mode ovmer numbers comparable with papers
  affect-llm eval basic --pred p.jsonl --gold g.jsonl --labels mer2023   hit rate, accuracy, WF1, UAR
  affect-llm eval sentiment --pred p.jsonl --gold g.jsonl --json         weighted F1 and accuracy
  affect-llm eval unibench r1.json r2.json r3.json                       MER-UniBench-style mean
  affect-llm eval unibench --upstream output/ --data dataset/            AffectGPT's own answer files, its table
  affect-llm eval faithfulness --pred out.jsonl --show 10                contradictions, invented quotes,
                                                                         unsupported emotions, invented entities

file format: one JSON object per line, {"id": ..., "text": "free text"} or
{"id": ..., "emotions": ["happy", "relieved"]}; gold for basic is {"id", "label"}, for
sentiment {"id", "label": "positive|negative|neutral"} or {"id", "score": -1.4}; faithfulness
reads {"id", "explanation", "cues"} (the output of `affect-llm infer` or `describe --json`).
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pred", required=True, metavar="P.jsonl", help="predictions, one JSON object per line")
    p.add_argument("--gold", required=True, metavar="G.jsonl", help="gold answers, one JSON object per line")
    p.add_argument("--mode", choices=MODES, default="affect",
                   help="affect (default: our fixed metric) or ovmer (the published one, for papers)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--per-sample", metavar="OUT.jsonl", help="write each id's words, sets and scores here")
    p.add_argument("--plot", metavar="DIR", help="write PNG figures into DIR")
    p.add_argument("--extractor", choices=("rules", "llm"), default="rules",
                   help="how emotion words are read from free text (default: rules; llm asks a local model)")
    p.add_argument("--llm", default="smollm2", metavar="MODEL",
                   help="model for --extractor llm: 'smollm2' (bundled) or a local HF folder")
    p.add_argument("--name", metavar="DATASET", help="dataset name in the output (default: the gold file's stem)")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="score free-text emotion answers (OV-MER, basic emotions, sentiment)",
        description="Score free-text emotion answers with a local, versioned judge.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    tasks = parser.add_subparsers(dest="eval_task", metavar="TASK")

    p = tasks.add_parser("ovmer", help="open-vocabulary emotion sets: F/P/R over the five emotion wheels",
                         description="Set precision/recall of emotion clusters over the five OV-MER wheels.")
    _common(p)
    p.set_defaults(run=run)

    p = tasks.add_parser("basic", help="basic emotion labels: hit rate, accuracy, weighted F1, UAR",
                         description="Map each answer to one label and to wheel clusters; gold lines are "
                                     '{"id", "label"}.')
    _common(p)
    p.add_argument("--labels", required=True,
                   help="comma-separated label set (e.g. neutral,angry,happy,sad,worried,surprise) "
                        "or a preset: mer2023, mer2024, meld, iemocap4")
    p.set_defaults(run=run)

    p = tasks.add_parser("sentiment", help="positive/negative: weighted F1 and accuracy (gold neutral dropped)",
                         description="Map each answer to positive/negative/neutral; gold lines are "
                                     '{"id", "label"} or {"id", "score"}.')
    _common(p)
    p.set_defaults(run=run)

    p = tasks.add_parser(
        "unibench", help="MER-UniBench table: from saved --json results, or from AffectGPT's own files",
        description="MER-UniBench mean: hit rate (basic), weighted F1 (sentiment), F-score (ovmer). Either "
        "one saved `--json` output per dataset, or --upstream: AffectGPT's results-<dataset>/**/<ckpt>.npz "
        "answers (name2reason) with their -openset.npz / -openset-sentiment.npz extractions, scored against "
        "the gold files of the MER-UniBench download (--data). With the extraction files and --mode ovmer "
        "the table is upstream's; without them our extractor reads the answers instead of Qwen2.5-7B, and "
        "sentiment comes from word valence instead of upstream's LLM prompt (listed under 'notes'). "
        "Details: affect_llm/scoring/unibench.py.",
        epilog="examples:\n  affect-llm eval unibench mer2023.json meld.json sims.json\n"
        "  affect-llm eval unibench --upstream AffectGPT/output --data dataset/ --checkpoint best\n"
        "  affect-llm eval unibench --upstream out/ --data dataset/ --checkpoint checkpoint_000030 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="*", metavar="RESULT.json", help="outputs of `affect-llm eval ... --json`")
    p.add_argument("--upstream", metavar="DIR", help="AffectGPT's results root (holds results-<dataset>/)")
    p.add_argument("--data", metavar="DIR", help="the MER-UniBench root (mer2023-dataset-process/, ...) for --upstream")
    p.add_argument("--checkpoint", default="best", metavar="NAME",
                   help="best (per dataset on its test set, as upstream reports) or a checkpoint name "
                        "(default: %(default)s)")
    p.add_argument("--mode", choices=MODES, default="ovmer",
                   help="with --upstream: ovmer (default, upstream's metric) or affect (ours)")
    p.add_argument("--ignore-extracted", action="store_true",
                   help="with --upstream: read the answer texts with our extractor even where upstream's "
                        "-openset.npz files exist")
    p.add_argument("--extractor", choices=("rules", "llm"), default="rules",
                   help="how answer texts are read when there is no extraction file (default: rules)")
    p.add_argument("--llm", default="smollm2", metavar="MODEL", help="model for --extractor llm")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(run=run_unibench)

    p = tasks.add_parser("faithfulness", help="explanations against their own cues: contradictions, invented "
                                              "quotes, unsupported emotions, invented entities",
                         description="Check each explanation against its clip's cues record (no gold needed). "
                                     "Lines are {\"id\", \"explanation\", \"cues\"}, as `affect-llm infer` "
                                     "writes them. Rules: affect_llm/FAITHFULNESS.md.")
    p.add_argument("--pred", required=True, metavar="P.jsonl", help="explanations with their cues, one JSON object per line")
    p.add_argument("--json", action="store_true", help="print one JSON object (totals and every record's faults)")
    p.add_argument("--show", type=int, default=5, metavar="N", help="print the N worst explanations (default 5)")
    p.set_defaults(run=run_faithfulness)

    parser.set_defaults(run=lambda args: (parser.print_help(sys.stderr), 2)[1])


def run(args: argparse.Namespace) -> int:
    from ..scoring.extract import get_extractor
    from ..scoring.pipeline import get_mapper
    from ..scoring.records import TEXT_FIELDS, read_jsonl, require

    preds = read_jsonl(args.pred, "prediction")
    golds = read_jsonl(args.gold, "gold")
    task = args.eval_task
    if task == "ovmer":
        require(golds, args.gold, TEXT_FIELDS, "open-vocabulary gold needs emotion words or text")
    elif task == "basic":
        require(golds, args.gold, ("label",), "basic-emotion gold needs one label")
    else:
        require(golds, args.gold, ("label", "score"), "sentiment gold needs a label or a score")
    require(preds, args.pred, (*TEXT_FIELDS, "label"), "each prediction needs text, emotions or a label")
    extractor = get_extractor(args.extractor, args.llm)
    keep = bool(args.per_sample)
    if task == "ovmer":
        from ..scoring.openset import score_openset

        report = score_openset(preds, golds, args.mode, extractor, keep_samples=keep)
    elif task == "basic":
        from ..errors import InputError
        from ..scoring.closed import parse_labels, score_basic

        labels = parse_labels(args.labels)
        if not labels:
            raise InputError("--labels is empty: give e.g. neutral,angry,happy,sad or a preset such as mer2023")
        report = score_basic(preds, golds, labels, args.mode, extractor, keep_samples=keep)
    else:
        from ..scoring.closed import score_sentiment

        report = score_sentiment(preds, golds, args.mode, extractor, keep_samples=keep)
    report.dataset = args.name or Path(args.gold).stem
    result = report.to_dict()
    if args.per_sample:
        _write_jsonl(args.per_sample, report.samples)
    if args.plot:
        from ..scoring.plots import write_plots

        write_plots(result, report.predicted_words, get_mapper(args.mode), args.plot)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        from ..scoring import report as show

        {"ovmer": show.print_openset, "basic": show.print_basic, "sentiment": show.print_sentiment}[task](result)
    return 0


def run_unibench(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..scoring.closed import unibench_mean

    if args.upstream:
        return _run_upstream_unibench(args)
    if not args.results:
        raise InputError("give saved `affect-llm eval ... --json` results, or --upstream DIR --data DIR")
    results = []
    for name in args.results:
        path = Path(name)
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise InputError(f"result file {path} does not exist") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path} is not a saved `affect-llm eval ... --json` result: {exc}") from exc
    try:
        summary = unibench_mean(results)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot average these results: {exc}") from exc
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        from ..scoring.report import print_unibench

        print_unibench(summary)
    return 0


def _run_upstream_unibench(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..scoring.extract import get_extractor
    from ..scoring.unibench import unibench_table

    if args.results:
        raise InputError("--upstream reads AffectGPT's folders: drop the RESULT.json arguments")
    if not args.data:
        raise InputError("--upstream needs --data DIR: the MER-UniBench download holding the gold files "
                         "(mer2023-dataset-process/label-6way.npz, ...)")
    summary = unibench_table(args.upstream, args.data, args.checkpoint, args.mode,
                             get_extractor(args.extractor, args.llm), use_extracted=not args.ignore_extracted)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"MER-UniBench from {args.upstream} ({args.mode} mode, scorer {summary['scorer_version']})")
    short = {"accuracy": "acc", "weighted_f1": "wf1", "precision": "P", "recall": "R"}
    for col in ("dataset", "metric", "score", "also", "n", "checkpoint", "words from", "as upstream"):
        table.add_column(col, justify="right" if col in ("score", "n") else "left")
    for row in summary["datasets"]:
        also = " ".join(f"{short[k]} {100 * v:.2f}" for k, v in row["secondary"].items())
        table.add_row(row["dataset"], row["metric"], f"{100 * row['score']:.2f}", also, str(row["n"]),
                      Path(row["checkpoint"]).name, row["source"], "yes" if row["matches_upstream"] else "no")
    table.add_row("mean", "", f"{100 * summary['mean']:.2f}", "", "", "", "", "", style="bold")
    console.print(table)
    if summary["absent"]:
        console.print(f"not in {args.upstream}: {', '.join(summary['absent'])}")
    for note in summary["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")
    return 0


def run_faithfulness(args: argparse.Namespace) -> int:
    from ..faithfulness import faithfulness_report
    from ..faithfulness.report import print_report, read_records

    if args.show < 0:
        from ..errors import InputError

        raise InputError(f"--show must be 0 or more, got {args.show}")
    report = faithfulness_report(read_records(args.pred))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report, show=args.show)
    return 0


def _write_jsonl(path: str, rows: list[dict]) -> None:
    from ..errors import InputError

    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
