"""Human output: rich tables for the ``eval`` and ``extract`` commands."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def print_openset(d: dict, console: Console | None = None) -> None:
    console = console or Console()
    title = f"OV-MER scores ({d['mode']} mode, scorer {d['scorer_version']}, extractor {d['extractor']})"
    table = Table(title=title)
    for col in ("space", "F-score", "precision", "recall", "n"):
        table.add_column(col, justify="right" if col != "space" else "left")
    for name, v in d["full"].items():
        style = "bold" if name == "mean" else None
        table.add_row(name, _pct(v["fs"]), _pct(v["precision"]), _pct(v["recall"]), str(v["n"]), style=style)
    console.print(table)
    console.print(f"[bold]headline[/bold] (mean of wheels 1-5 at level 1): F {_pct(d['fs'])}  "
                  f"P {_pct(d['precision'])}  R {_pct(d['recall'])}  over {d['n']} of {d['n_gold']} gold samples")
    _print_ids(d, console)


def print_basic(d: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Basic emotions ({d['mode']} mode, scorer {d['scorer_version']})")
    for col in ("metric", "value"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for key in ("hit_rate", "accuracy", "weighted_f1", "uar", "war"):
        table.add_row(key, _pct(d[key]))
    table.add_row("n", str(d["n"]))
    console.print(table)
    _print_confusion(d["confusion"], console)
    wheels = ", ".join(f"{w} {_pct(v['hit_rate'])} (n={v['n']})" for w, v in d["hit_rate_per_wheel"].items())
    console.print(f"hit rate per wheel: {wheels}")
    if d.get("gold_labels_not_in_labels"):
        console.print(f"[yellow]gold labels not in --labels:[/yellow] {', '.join(d['gold_labels_not_in_labels'])}")
    _print_ids(d, console)


def print_sentiment(d: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Sentiment ({d['mode']} mode, scorer {d['scorer_version']})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("weighted_f1", "accuracy", "uar"):
        table.add_row(key, _pct(d[key]))
    table.add_row("n (gold neutral dropped)", f"{d['n']} ({d['dropped_gold_neutral']})")
    table.add_row("predicted neutral (count as negative)", str(d["pred_neutral"]))
    console.print(table)
    _print_confusion(d["confusion"], console)
    _print_ids(d, console)


def print_unibench(d: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"MER-UniBench-style mean (scorer {d['scorer_version']})")
    for col in ("dataset", "task", "metric", "score", "mode"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for row in d["datasets"]:
        table.add_row(row["dataset"], row["task"], row["metric"], _pct(row["score"]), row["mode"] or "")
    table.add_row("mean", "", "", _pct(d["mean"]), "", style="bold")
    console.print(table)
    if len(d["modes"]) > 1 or len(d["scorer_versions"]) > 1:
        console.print(f"[yellow]warning:[/yellow] results mix modes {d['modes']} / scorer versions "
                      f"{d['scorer_versions']}: the mean is not comparable")


def print_extraction(d: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Emotion words")
    for col in ("word", "as written", "intensity", "negated"):
        table.add_column(col)
    for m in d["mentions"]:
        table.add_row(m["word"], m["surface"], f"{m['intensity']:.2g}", "yes" if m["negated"] else "")
    console.print(table)
    console.print(f"words: {', '.join(d['words']) or '(none)'}")


def _print_confusion(conf: dict, console: Console) -> None:
    table = Table(title="confusion (rows: gold, columns: predicted)")
    table.add_column("")
    for c in conf["cols"]:
        table.add_column(c, justify="right")
    for r, row in zip(conf["rows"], conf["matrix"]):
        table.add_row(r, *[str(x) for x in row])
    console.print(table)


def _print_ids(d: dict, console: Console) -> None:
    if d.get("missing_ids"):
        ids = d["missing_ids"]
        shown = ", ".join(map(str, ids[:10])) + (" ..." if len(ids) > 10 else "")
        console.print(f"[yellow]{len(ids)} gold id(s) missing from the predictions, scored as empty:[/yellow] {shown}")
    if d.get("extra_ids"):
        console.print(f"[dim]{len(d['extra_ids'])} prediction id(s) not in the gold file were ignored[/dim]")
