"""``python -m bench [--quick]`` (or ``make bench``): every benchmark row, one run, one table.

Writes ``bench/results/latest.json`` and ``bench/results/latest.md``. Each row compares two ways
of doing the same work in this run (interleaved, medians). Benchmarks never fail on speed: a
target that is missed is reported, not raised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import platform
import subprocess
import sys
import traceback
from pathlib import Path

from .common import REPO, Row

RESULTS = REPO / "bench" / "results"
log = logging.getLogger("bench")


def _scorer_row(quick: bool) -> Row:
    # Its own process: the scorer benchmark pins itself to one core.
    subprocess.run([sys.executable, "-m", "bench.scorer", *(["--quick"] if quick else [])], cwd=REPO,
                   check=False, capture_output=True)
    r = json.loads((RESULTS / "scorer.json").read_text())
    m = r["modes"]
    return Row(name=f"scorer ({r['pairs']:,} pairs, one core)", ours_label="affect mode", base_label="ovmer mode",
               unit="pairs/s", ours=m["affect"]["pairs_per_s"], base=m["ovmer"]["pairs_per_s"],
               ratio=round(m["affect"]["pairs_per_s"] / m["ovmer"]["pairs_per_s"], 2),
               target=">= 10,000/s each", met=bool(r["pass"]))


STEPS = (
    ("decode", lambda q: importlib.import_module("bench.decode").run(q)),
    ("training_input", lambda q: importlib.import_module("bench.training_input").run(q)),
    ("inference", lambda q: importlib.import_module("bench.inference").run(q)),
    ("scorer", _scorer_row),
    ("startup", lambda q: importlib.import_module("bench.startup").run_help(q)),
    ("first_token", lambda q: importlib.import_module("bench.startup").run_first_token(q)),
    ("describe_warm", lambda q: importlib.import_module("bench.describe_warm").run(q)),
    ("memory", lambda q: importlib.import_module("bench.memory").run(q)),
    ("gpu", lambda q: importlib.import_module("bench.gpu").run(q)),
)


def markdown(rows: list[dict], meta: dict) -> str:
    head = (f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs), Python {meta['python']}"
            f"{', quick mode' if meta['quick'] else ''}.\n\n")
    lines = ["| benchmark | ours | baseline | ours | baseline | unit | better by | target |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | error: {r['error']} | | | | | | |")
            continue
        ratio = "" if r["ratio"] is None else f"{r['ratio']}x"
        target = r["target"] + ("" if r["met"] is None else (" ✓" if r["met"] else " ✗"))
        base = "" if r["base"] is None else r["base"]
        lines.append(f"| {r['name']} | {r['ours_label']} | {r['base_label']} | {r['ours']} | {base} | "
                     f"{r['unit']} | {ratio} | {target} {r['note']} |")
    return head + "\n".join(lines) + "\n"


README = REPO / "README.md"
_START, _END = "<!-- bench:start -->", "<!-- bench:end -->"


def _update_readme(table: str) -> None:
    """A full run rewrites the table between the README's bench markers, so it shows the current one."""
    text = README.read_text(encoding="utf-8")
    if _START in text and _END in text:
        head, rest = text.split(_START, 1)
        README.write_text(head + _START + "\n" + table + _END + rest.split(_END, 1)[1], encoding="utf-8")


def _merge(previous: Path, rows: list[dict], meta: dict) -> list[dict]:
    """The rows of the last run with those of the steps just run replaced, in table order."""
    last = json.loads(previous.read_text()) if previous.exists() else {"rows": [], "meta": {}}
    old = last["rows"]
    fresh = {r["step"] for r in rows}
    for r in old:
        r.setdefault("measured", last["meta"].get("date"))
    for r in rows:
        r["measured"] = meta["date"]
    merged = [r for r in old if r.get("step") and r["step"] not in fresh] + rows
    order = [name for name, _ in STEPS]
    return sorted(merged, key=lambda r: order.index(r["step"]) if r["step"] in order else len(order))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and one repeat: a smoke run")
    parser.add_argument("--only", nargs="*", choices=[name for name, _ in STEPS], help="run only these rows")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows: list[dict] = []
    for name, step in STEPS:
        if args.only and name not in args.only:
            continue
        log.info("bench: %s ...", name)
        try:
            result = step(args.quick)
            rows += [dict(r.to_dict(), step=name) for r in (result if isinstance(result, list) else [result])]
        except Exception as exc:  # noqa: BLE001 - a broken row is reported, the others still run
            traceback.print_exc()
            rows.append({"name": name, "error": f"{type(exc).__name__}: {exc}", "step": name})
    meta = {"date": dt.date.today().isoformat(), "machine": f"{platform.machine()} {platform.processor()}".strip(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "quick": args.quick}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "latest"
    if args.only:  # re-running some rows keeps the others of the last run (each keeps its own date)
        rows = _merge(RESULTS / f"{name}.json", rows, meta)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    table = markdown(rows, meta)
    (RESULTS / f"{name}.md").write_text(table)
    if not args.quick:
        _update_readme(table)
    print(table)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
