"""MER-UniBench from AffectGPT's own files: its gold ``.npz``/``.csv``, its answers, its extractions.

AffectGPT (zeroQiaoba/AffectGPT) writes, per benchmark dataset and checkpoint,
``results-<dataset>/<model>/<checkpoint>.npz`` holding ``name2reason`` (a pickled
``{name: answer text}``). Its ``evaluation.py`` then has Qwen2.5-7B turn each answer into an
emotion list, ``<checkpoint>-openset.npz`` (``filenames`` + ``fileitems``, each item a string
such as ``"['happy', 'relieved']"``), and, for the sentiment datasets, each list into
``positive`` / ``negative`` / ``neutral``, ``<checkpoint>-openset-sentiment.npz`` (same keys).
Gold comes with the MER-UniBench download (``DATASETS`` below: file, key, label order).

``unibench_table`` scores those files with this package's scorer and lays out upstream's
table: hit rate (basic emotions), weighted F1 of positive-vs-not with gold neutrals dropped
(sentiment), F over the five wheels at level 1 (OV-MERD+), and their mean.

Where the numbers match upstream's, and where they cannot:

* With the ``-openset.npz`` (and ``-openset-sentiment.npz``) files present and ``mode
  ovmer``, the lists are split and mapped exactly as upstream does (``scoring.ovmer``): the
  table is upstream's, to rounding.
* Without them, the answer text goes through our extractor (rules by default) instead of
  Qwen2.5-7B. Upstream samples that LLM (temperature 0.7, top-p 0.8), so its own extraction
  does not repeat from run to run either; ours is deterministic. Expect a few points of
  difference.
* Sentiment without the ``-sentiment.npz`` file: upstream asks the LLM to call the emotion
  list positive, negative or neutral; we add up the words' valence (each word's level-1
  wheel classes averaged with the NRC lexicon rating, times intensity, negated mentions
  -0.25x, see ``scoring.closed``) and take its sign. Both binarise the same way afterwards.
* Checkpoint choice: upstream reports, per dataset, the checkpoint with the best score *on
  that test set* (``--checkpoint best``, the default here so the table can match). Pass a
  checkpoint name for an honest single-checkpoint number.
* A gold name without an answer is an empty prediction here (scored 0); upstream stops with a
  ``KeyError``.

The gold and answer files are pickles inside ``.npz``: load only files you trust.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from .closed import LABEL_SETS, MAIN_METRIC, unibench_mean
from .records import Record

log = logging.getLogger(__name__)

Task = Literal["basic", "sentiment", "ovmer"]
# Label index orders of the gold files that store integers (upstream's meld.py / iemocap.py).
MELD_ORDER = ("anger", "joy", "sadness", "neutral", "disgust", "fear", "surprise")
IEMOCAP_ORDER = ("happy", "sad", "neutral", "anger")
EXTRACTED_SUFFIX = "-openset.npz"
SENTIMENT_SUFFIX = "-openset-sentiment.npz"


@dataclass(frozen=True)
class BenchDataset:
    """Where one MER-UniBench dataset keeps its test gold, and how upstream reads it."""

    key: str  # the ``results-<key>`` folder name
    task: Task
    folder: str  # inside the MER-UniBench root
    gold: str  # file inside ``folder``
    corpus: str | None  # key of the pickled ``{name: {'emo' | 'val': ...}}`` in the .npz
    labels: tuple[str, ...] = ()  # basic: the label set, in index order when gold stores integers
    test_session: int | None = None  # IEMOCAP: the test split is session 5 of ``whole_corpus``
    size: int = 0  # test samples upstream asserts


DATASETS: tuple[BenchDataset, ...] = (
    BenchDataset("mer2023", "basic", "mer2023-dataset-process", "label-6way.npz", "test1_corpus",
                 tuple(LABEL_SETS["mer2023"]), size=411),
    BenchDataset("mer2024", "basic", "mer2024-dataset-process", "label-6way.npz", "test1_corpus",
                 tuple(LABEL_SETS["mer2024"]), size=1169),
    BenchDataset("meld", "basic", "meld-process", "label.npz", "test_corpus", MELD_ORDER, size=2610),
    BenchDataset("iemocapfour", "basic", "iemocap-process", "label_4way.npz", "whole_corpus", IEMOCAP_ORDER,
                 test_session=5, size=1241),
    BenchDataset("cmumosi", "sentiment", "cmumosi-process", "label.npz", "test_corpus", size=686),
    BenchDataset("cmumosei", "sentiment", "cmumosei-process", "label.npz", "test_corpus", size=4659),
    BenchDataset("sims", "sentiment", "sims-process", "label.npz", "test_corpus", size=457),
    BenchDataset("simsv2", "sentiment", "simsv2-process", "label.npz", "test_corpus", size=1034),
    BenchDataset("ovmerdplus", "ovmer", "ovmerdplus-process", "ovlabel.csv", None, size=532),
)


# ------------------------------------------------------------------------------------ readers
def _load_npz(path: Path, keys: tuple[str, ...], what: str) -> dict[str, Any]:
    import numpy as np

    if not path.is_file():
        raise InputError(f"{what} {path} does not exist")
    try:
        with np.load(path, allow_pickle=True) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise InputError(f"{path} has no {', '.join(missing)} (keys: {', '.join(data.files) or 'none'}): "
                                 f"is it {what}?")
            return {k: data[k] for k in keys}
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path} is not a readable .npz ({exc})") from exc


def read_gold_npz(path: str | Path, corpus: str, label_order: tuple[str, ...] = (),
                  test_session: int | None = None) -> dict[str, Record]:
    """Gold records from an upstream label file: ``{name: {'emo': label or index}}`` -> ``label``,
    ``{name: {'val': float}}`` -> ``score``."""
    path = Path(path)
    table = _load_npz(path, (corpus,), "a MER-UniBench label file")[corpus].tolist()
    if not isinstance(table, dict):
        raise InputError(f"{path}: {corpus} is a {type(table).__name__}, expected a {{name: {{'emo'|'val'}}}} dict")
    golds: dict[str, Record] = {}
    for line, (name, entry) in enumerate(table.items(), start=1):
        if test_session is not None and not (len(name) > 4 and name[4] == str(test_session)):
            continue  # upstream: session = int(name[4]); the test fold is session 5
        if not isinstance(entry, dict) or not ({"emo", "val"} & set(entry)):
            raise InputError(f"{path}: {corpus}[{name!r}] has neither 'emo' nor 'val'")
        if "val" in entry:
            golds[name] = Record(str(name), score=float(entry["val"]), line=line)
            continue
        emo = entry["emo"]
        if not isinstance(emo, str):
            index = int(emo)
            if not 0 <= index < len(label_order):
                raise InputError(f"{path}: {corpus}[{name!r}] is label index {index}, but the label order has "
                                 f"{len(label_order)} entries ({', '.join(label_order) or 'none'})")
            emo = label_order[index]
        golds[name] = Record(str(name), label=emo.strip().lower(), line=line)
    return golds


def read_openset_csv(path: str | Path) -> dict[str, Record]:
    """OV-MERD+ gold (``name, openset``); an empty list is "neutral", as upstream reads it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"OV-MERD+ gold file {path} does not exist")
    golds: dict[str, Record] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not {"name", "openset"} <= set(reader.fieldnames or ()):
            raise InputError(f"{path} needs columns name, openset (has {', '.join(reader.fieldnames or ())})")
        for row in reader:
            text = (row["openset"] or "").strip()
            golds[row["name"]] = Record(row["name"], emotions=text if text.strip("[] ") else "neutral",
                                        line=reader.line_num)
    return golds


def read_answers(path: str | Path) -> dict[str, str]:
    """An upstream answer file: ``name2reason`` -> ``{name: answer text}``."""
    path = Path(path)
    table = _load_npz(path, ("name2reason",), "an AffectGPT answer file")["name2reason"].tolist()
    if not isinstance(table, dict):
        raise InputError(f"{path}: name2reason is a {type(table).__name__}, expected a dict")
    return {str(k): str(v) for k, v in table.items()}


def read_extracted(path: str | Path) -> dict[str, str]:
    """An upstream extraction file: parallel ``filenames`` and ``fileitems`` -> ``{name: item}``."""
    path = Path(path)
    data = _load_npz(path, ("filenames", "fileitems"), "an extraction file (filenames + fileitems)")
    names, items = data["filenames"].tolist(), data["fileitems"].tolist()
    if len(names) != len(items):
        raise InputError(f"{path}: {len(names)} filenames but {len(items)} fileitems")
    return {str(n): str(i) for n, i in zip(names, items)}


def read_gold(spec: BenchDataset, data_root: str | Path) -> dict[str, Record]:
    path = Path(data_root) / spec.folder / spec.gold
    if spec.corpus is None:
        return read_openset_csv(path)
    return read_gold_npz(path, spec.corpus, spec.labels, spec.test_session)


# ------------------------------------------------------------------------------------ predictions
def is_answer_file(path: Path) -> bool:
    """A checkpoint's answers, not one of the extraction files derived from it."""
    return path.suffix == ".npz" and not path.name.endswith((EXTRACTED_SUFFIX, SENTIMENT_SUFFIX))


def predictions(answer_file: str | Path, task: Task, use_extracted: bool = True) -> tuple[dict[str, Record], str]:
    """Records for one checkpoint's answers, and where their emotion words come from:
    ``upstream-sentiment`` / ``upstream-openset`` (the LLM's files beside it) or ``text``
    (our extractor reads the answers)."""
    answer_file = Path(answer_file)
    stem = str(answer_file)[: -len(".npz")]
    sentiment, extracted = Path(stem + SENTIMENT_SUFFIX), Path(stem + EXTRACTED_SUFFIX)
    if use_extracted and task == "sentiment" and sentiment.is_file():
        return {n: Record(n, label=v.strip().lower()) for n, v in read_extracted(sentiment).items()}, \
            "upstream-sentiment"
    if use_extracted and extracted.is_file():
        return {n: Record(n, emotions=v) for n, v in read_extracted(extracted).items()}, "upstream-openset"
    return {n: Record(n, text=v) for n, v in read_answers(answer_file).items()}, "text"


def score(spec: BenchDataset, golds: dict[str, Record], preds: dict[str, Record], mode: str,
          extractor: Any = None) -> dict:
    """The scorer's ``--json`` result for one dataset and one checkpoint."""
    if spec.task == "basic":
        from .closed import score_basic

        labels = list(spec.labels) or sorted({r.label or "" for r in golds.values()})
        report: Any = score_basic(preds, golds, labels, mode, extractor)
    elif spec.task == "sentiment":
        from .closed import score_sentiment

        report = score_sentiment(preds, golds, mode, extractor)
    else:
        from .openset import score_openset

        report = score_openset(preds, golds, mode, extractor)
    report.dataset = spec.key
    return report.to_dict()


def _checkpoint_name(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder).with_suffix(""))


def unibench_table(results_root: str | Path, data_root: str | Path, checkpoint: str = "best",
                   mode: str = "ovmer", extractor: Any = None, use_extracted: bool = True,
                   datasets: tuple[BenchDataset, ...] = DATASETS) -> dict:
    """Upstream's per-dataset table from ``results_root/results-<dataset>/**/<checkpoint>.npz``.

    ``checkpoint``: ``best`` (per dataset, the answer file with the best main score, as
    upstream selects) or a name; every dataset folder must then hold one answer file whose
    name contains it. Datasets without a results folder are listed in ``absent``.
    """
    results_root = Path(results_root)
    if not results_root.is_dir():
        raise InputError(f"results folder {results_root} does not exist: give the folder that holds "
                         "results-<dataset>/ (AffectGPT's output/)")
    rows, absent = [], []
    for spec in datasets:
        folder = results_root / f"results-{spec.key}"
        if not folder.is_dir():
            absent.append(spec.key)
            continue
        files = sorted(p for p in folder.rglob("*.npz") if is_answer_file(p))
        if checkpoint != "best":
            files = [p for p in files if checkpoint in _checkpoint_name(p, folder)]
            if len(files) != 1:
                found = ", ".join(_checkpoint_name(p, folder) for p in files) or "none"
                raise InputError(f"{folder}: {len(files)} answer files match --checkpoint {checkpoint!r} ({found}); "
                                 "give a name that picks exactly one")
        if not files:
            raise InputError(f"{folder} holds no answer .npz (name2reason): is it an AffectGPT results folder?")
        golds = read_gold(spec, data_root)
        if spec.size and len(golds) != spec.size:
            log.warning("%s: %d gold samples, upstream's test set has %d", spec.key, len(golds), spec.size)
        best: dict | None = None
        for path in files:
            preds, source = predictions(path, spec.task, use_extracted)
            result = score(spec, golds, preds, mode, extractor)
            metric = MAIN_METRIC[spec.task]
            log.info("%s %s: %s %.4f (%s)", spec.key, _checkpoint_name(path, folder), metric, result[metric], source)
            if best is None or result[metric] > best["result"][metric]:
                best = {"checkpoint": _checkpoint_name(path, folder), "source": source, "result": result,
                        "candidates": len(files)}
        rows.append(best)
    if not rows:
        raise InputError(f"{results_root} has no results-<dataset> folder of MER-UniBench "
                         f"({', '.join(d.key for d in datasets)})")
    summary = unibench_mean([r["result"] for r in rows])  # type: ignore[index]
    for out, row in zip(summary["datasets"], rows):
        res = row["result"]  # type: ignore[index]
        out.update(checkpoint=row["checkpoint"], source=row["source"], candidates=row["candidates"],  # type: ignore[index]
                   n=res.get("n"), secondary=_secondary(res), matches_upstream=_matches(row, mode))  # type: ignore[arg-type]
    summary.update(absent=absent, checkpoint=checkpoint, notes=_notes(rows, mode, checkpoint))  # type: ignore[arg-type]
    return summary


def _secondary(result: dict) -> dict:
    """The other figures upstream prints next to the main one."""
    task = result["task"]
    if task == "sentiment":
        return {"accuracy": result["accuracy"]}
    if task == "ovmer":
        return {"precision": result["precision"], "recall": result["recall"]}
    return {"accuracy": result["accuracy"], "weighted_f1": result["weighted_f1"]}


def _matches(row: dict, mode: str) -> bool:
    task = row["result"]["task"]
    wanted = "upstream-sentiment" if task == "sentiment" else "upstream-openset"
    return mode == "ovmer" and row["source"] == wanted


def _notes(rows: list[dict], mode: str, checkpoint: str) -> list[str]:
    notes = []
    if mode != "ovmer":
        notes.append(f"mode {mode}: our fixed metric, not upstream's (use --mode ovmer to compare with the paper)")
    text = sorted(r["result"]["dataset"] for r in rows if r["source"] == "text")
    if text:
        notes.append("no upstream extraction files for " + ", ".join(text) + ": their answers were read by our "
                     "extractor instead of Qwen2.5-7B (sampled at temperature 0.7 upstream)")
    senti = sorted(r["result"]["dataset"] for r in rows
                   if r["result"]["task"] == "sentiment" and r["source"] != "upstream-sentiment")
    if senti:
        notes.append("sentiment of " + ", ".join(senti) + " from word valence (wheel classes + NRC), not "
                     "upstream's LLM prompt")
    if checkpoint == "best":
        many = [r for r in rows if r["candidates"] > 1]
        if many:
            notes.append("checkpoint 'best': chosen per dataset on its test set, as upstream does (optimistic)")
    return notes



def dataset_keys() -> list[str]:
    return [d.key for d in DATASETS]
