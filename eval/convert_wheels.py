"""Convert the published OV-MER emotion-wheel tables into the package's own data files.

Source: the five wheel tables, the synonym table and the word-form table of the OV-MER /
MER-UniBench metric (AffectGPT repository, Zheng Lian et al., Apache-2.0), found in
``../shared/data/ovmer-wheels/`` beside the repository. The output is committed under
``affect_llm/scoring/data/`` so that end users and CI never need the spreadsheets (or
openpyxl, a conversion-time dependency only: ``pip install -e .[dev]``).

The parsing mirrors the published reader on purpose, quirks included, because ``ovmer``
mode must reproduce the published numbers:

* wheels: blank cells repeat the row above; every cell is lower-cased and stripped;
* synonyms: eight GPT runs, each a (word, "syn1, syn2, ...") column pair; a cell is split on
  commas and quotes, items lower-cased and stripped; every wheel word maps to itself; runs
  are merged by set union (M2: base word -> wheel words);
* word forms: ``format`` is split the same way but *not* lower-cased; every form maps to its
  ``name`` and every name to itself (M1: surface form -> base words).

Run: ``python eval/convert_wheels.py [--src DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SRC = REPO.parent / "shared" / "data" / "ovmer-wheels"
DEFAULT_OUT = REPO / "affect_llm" / "scoring" / "data"
N_WHEELS = 5
N_RUNS = 8

# pandas.read_csv / read_excel turn these cell texts into NaN; the published reader then
# treats them as empty. None occur in the current tables; kept so a new release parses alike.
PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}

NOTICE = """\
# Emotion-wheel data (derived work)

These files are converted from the emotion-wheel tables of the OV-MER / MER-UniBench
open-vocabulary emotion metric, published in the AffectGPT repository by Zheng Lian et al.
(https://github.com/zeroQiaoba/AffectGPT, Apache License 2.0; see `LICENSE-Apache-2.0` in
this folder). Papers: "OV-MER: Towards Open-Vocabulary Multimodal Emotion Recognition"
(arXiv:2410.01495) and "AffectGPT: A New Dataset, Model, and Benchmark for Emotion
Understanding with Multimodal Large Language Models" (arXiv:2501.16566).

Changes made (by `eval/convert_wheels.py` in this repository): the spreadsheets were read
and re-written as JSON; blank cells were filled from the row above; words were lower-cased
and stripped; the eight synonym runs were merged; the word-form table was inverted (form ->
base words). No word was added, removed or corrected: the known quirks of the tables are
kept, because the `ovmer` scoring mode reproduces the published metric.

| file | content |
|---|---|
| `wheels.json` | `{"wheel1": [[level1, level2, level3], ...], ...}`, one row per level-3 entry, in table order |
| `synonyms.json` | M2: base word -> the wheel words that list it as a synonym (or itself) |
| `forms.json` | M1: surface form -> the base words it is a form of |
| `manifest.json` | sizes, and the SHA-256 of each source file |
"""


def published_split(cell: str | None) -> list[str]:
    """The published ``string_to_list``: strip one pair of brackets, split on , ' and "."""
    if cell is None or cell in PANDAS_NA:
        return []
    text = str(cell)
    text = text.removeprefix("[")
    text = text.removesuffix("]")
    return [item.strip() for item in re.split("['\",]", text) if item.strip() not in ("", ",")]


def _cell(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return None if text in PANDAS_NA else text


def read_wheel(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(c).strip() for c in rows[0]]
    idx = [header.index(f"level{k}") for k in (1, 2, 3)]
    current = ["", "", ""]
    out = []
    for row in rows[1:]:
        cells = [_cell(row[i]) if i < len(row) else None for i in idx]
        if all(c is None for c in cells):
            continue
        for k, cell in enumerate(cells):
            if cell is not None:
                current[k] = cell
        out.append([c.lower().strip() for c in current])
    return out


def read_synonyms(path: Path, wheel_words: set[str]) -> dict[str, list[str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(c).strip() for c in rows[0]]
    merged: dict[str, set[str]] = defaultdict(set)
    for run in range(1, N_RUNS + 1):
        iw, isyn = header.index(f"word_run{run}"), header.index(f"synonym_run{run}")
        for row in rows[1:]:
            word = _cell(row[iw])
            if word is None:
                continue
            raw = word.strip().lower()
            if raw not in wheel_words:
                raise SystemExit(f"{path}: run {run}: '{raw}' is not a wheel word")
            merged[raw].add(raw)
            for syn in published_split(_cell(row[isyn])):
                merged[syn.strip().lower()].add(raw)
    return {k: sorted(v) for k, v in sorted(merged.items())}


def read_forms(path: Path) -> dict[str, list[str]]:
    forms: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            raw = row["name"] if row["name"] not in PANDAS_NA else ""
            for form in published_split(row["format"]):
                forms[form].add(raw)
            forms[raw].add(raw)
    return {k: sorted(v) for k, v in sorted(forms.items())}


def dump_lines(obj: dict, path: Path) -> None:
    """JSON with one top-level entry per line: compact, and diffs stay readable."""
    lines = [f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
             for k, v in obj.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(src: Path, out: Path) -> dict:
    wheels = {f"wheel{k}": read_wheel(src / f"wheel{k}.xlsx") for k in range(1, N_WHEELS + 1)}
    wheel_words = {w for rows in wheels.values() for row in rows for w in row}
    synonyms = read_synonyms(src / "synonym.xlsx", wheel_words)
    forms = read_forms(src / "format.csv")
    bases = {b for bs in forms.values() for b in bs}
    missing = sorted(bases - set(synonyms))
    if missing:  # the published code would raise KeyError on these
        raise SystemExit(f"base words without a synonym entry: {missing[:10]}")

    out.mkdir(parents=True, exist_ok=True)
    dump_lines({k: v for k, v in wheels.items()}, out / "wheels.json")
    dump_lines(synonyms, out / "synonyms.json")
    dump_lines(forms, out / "forms.json")
    sources = ["wheel1.xlsx", "wheel2.xlsx", "wheel3.xlsx", "wheel4.xlsx", "wheel5.xlsx",
               "synonym.xlsx", "format.csv"]
    manifest = {
        "source": "AffectGPT repository (Zheng Lian et al.), OV-MER emotion-wheel tables, Apache-2.0",
        "source_sha256": {name: sha256(src / name) for name in sources},
        "wheel_words": len(wheel_words),
        "base_words": len(synonyms),
        "forms": len(forms),
        "wheels": {
            name: {
                "level1": len({r[0] for r in rows}),
                "level2": len({(r[0], r[1]) for r in rows}),
                "rows": len(rows),
            }
            for name, rows in wheels.items()
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    shutil.copyfile(src / "LICENSE-Apache-2.0", out / "LICENSE-Apache-2.0")
    (out / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help=f"default: {DEFAULT_SRC}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    if not (args.src / "wheel1.xlsx").exists():
        print(f"convert_wheels: {args.src} has no wheel1.xlsx: give --src", file=sys.stderr)
        return 2
    manifest = convert(args.src, args.out)
    print(json.dumps({k: manifest[k] for k in ("wheel_words", "base_words", "forms", "wheels")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
