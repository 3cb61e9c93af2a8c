"""Closed-label tasks of MER-UniBench: basic emotions, sentiment, and the benchmark mean.

Basic emotions (MER2023/2024, MELD, IEMOCAP-4, ...):

* ``hit_rate`` is the published metric: per wheel, the share of samples whose gold label's
  level-1 class is among the classes of the predicted words (samples whose gold maps to
  nothing in that wheel are skipped), averaged over the five wheels;
* the single-label mapping turns the free text into exactly one of the given labels, for
  accuracy, support-weighted F1, UAR (mean per-class recall) and WAR (= accuracy). Each
  label scores, over the predicted mentions m, ``intensity(m) * (1[m is the label's own
  word] + share of the five wheels where m and the label share the level-1 class)``. The
  best score wins; ties go to the label whose first supporting mention comes earliest, then
  to the order of ``--labels``. With no support at all the answer is "neutral" when it is
  a label, else "(none)" (always wrong).

Sentiment (CMU-MOSI, CMU-MOSEI, CH-SIMS): the mentions' valence (their level-1 classes'
valence averaged with the NRC lexicon's rating, ``word_valence``), times intensity, a negated mention
counting -0.25x (weak evidence for the opposite), plus the words "positive"/"negative", gives positive, negative or neutral.
As published, gold-neutral samples are dropped and both sides are binarised as "positive
or not" (a neutral prediction counts as negative); weighted F1 and accuracy are reported.

The MER-UniBench mean averages each dataset's main score: hit rate for basic emotions,
weighted F1 for sentiment, F-score for open-vocabulary sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import SCORER_VERSION
from .extract import Extractor
from .metrics import ClassMetrics, classification_metrics
from .pipeline import Words, default_extractor, get_mapper, paused_gc, persist, records_to_words
from .records import Record
from .wheels import L1_VALENCE, NEUTRAL, WHEEL_NAMES

NONE_LABEL = "(none)"
# Label sets of the MER-UniBench basic-emotion datasets (for --labels shortcuts).
LABEL_SETS = {
    "mer2023": ["neutral", "angry", "happy", "sad", "worried", "surprise"],
    "mer2024": ["neutral", "angry", "happy", "sad", "worried", "surprise"],
    "meld": ["neutral", "anger", "disgust", "fear", "joy", "sadness", "surprise"],
    "iemocap4": ["neutral", "angry", "happy", "sad"],
}
SENTIMENT_LABELS = ("negative", "neutral", "positive")
_SENTIMENT_ALIASES = {"pos": "positive", "positive": "positive", "neg": "negative", "negative": "negative",
                      "neu": "neutral", "neutral": "neutral"}
_POLARITY_CUES = re.compile(r"\b(positive(?:ly)?|negative(?:ly)?)\b")


def parse_labels(spec: str) -> list[str]:
    """``"angry,happy,sad"`` or a preset name (``mer2023``, ``meld``, ``iemocap4``)."""
    spec = spec.strip()
    if spec.lower() in LABEL_SETS:
        return list(LABEL_SETS[spec.lower()])
    labels = [x.strip().lower() for x in spec.split(",") if x.strip()]
    return list(dict.fromkeys(labels))


# ---------------------------------------------------------------------------------------
@dataclass
class BasicReport:
    labels: list[str]
    mode: str
    extractor: str
    metrics: ClassMetrics
    hit_rate: float
    hit_rate_per_wheel: dict[str, dict]
    missing_ids: list[str]
    extra_ids: list[str]
    unknown_gold: list[str]
    samples: list[dict] = field(default_factory=list)
    predicted_words: list[list[str]] = field(default_factory=list)
    dataset: str = ""

    def to_dict(self) -> dict:
        m = self.metrics
        return {
            "task": "basic", "dataset": self.dataset, "mode": self.mode, "scorer_version": SCORER_VERSION,
            "extractor": self.extractor, "labels": self.labels,
            "accuracy": m.accuracy, "weighted_f1": m.weighted_f1, "uar": m.uar, "war": m.war,
            "hit_rate": self.hit_rate, "hit_rate_per_wheel": self.hit_rate_per_wheel, "n": m.n,
            "confusion": {"rows": m.rows, "cols": m.cols, "matrix": m.confusion},
            "per_class": m.per_class, "missing_ids": self.missing_ids, "extra_ids": self.extra_ids,
            "gold_labels_not_in_labels": self.unknown_gold,
        }


class LabelMapper:
    """Free text -> one of a fixed label set (see the module docstring for the rule)."""

    def __init__(self, labels: list[str], mapper, extractor: Extractor) -> None:
        self.labels = labels
        self.mapper = mapper
        self.words = {}
        for lab in labels:
            ws = [NEUTRAL] if lab == NEUTRAL else mapper.label_words([lab], extractor)
            self.words[lab] = ws[0] if ws else lab
        mapper.prepare(self.words.values())
        self.l1 = {lab: mapper.clusters(w)[2::2] for lab, w in self.words.items()}

    def choose(self, mentions: list[tuple[str, float]]) -> tuple[str, dict[str, float]]:
        scores = {lab: 0.0 for lab in self.labels}
        first = {lab: len(mentions) for lab in self.labels}
        for i, (word, weight) in enumerate(mentions):
            l1 = self.mapper.clusters(word)[2::2]
            for lab in self.labels:
                agree = sum(1 for a, b in zip(l1, self.l1[lab]) if a is not None and a == b) / len(WHEEL_NAMES)
                score = weight * ((word == self.words[lab]) + agree)
                if score > 0:
                    scores[lab] += score
                    first[lab] = min(first[lab], i)
        order = {lab: k for k, lab in enumerate(self.labels)}
        best = max(self.labels, key=lambda lab: (round(scores[lab], 9), -first[lab], -order[lab]))
        if scores[best] <= 0:
            best = NEUTRAL if NEUTRAL in self.labels else NONE_LABEL
        return best, scores


def _mentions(words: Words) -> list[tuple[str, float]]:
    """(word, intensity) in text order, repeats kept: a word said twice weighs twice."""
    if words.extraction is not None and words.extraction.mentions:
        return [(m.word, m.intensity) for m in words.extraction.mentions if not m.negated]
    return [(w, 1.0) for w in words.words]


@paused_gc()
def score_basic(preds: dict[str, Record], golds: dict[str, Record], labels: list[str], mode: str = "affect",
                extractor: Extractor | None = None, keep_samples: bool = False) -> BasicReport:
    mapper = get_mapper(mode)
    extractor = extractor or default_extractor()
    labels = [lab.lower() for lab in labels]
    gold_labels = {rid: (rec.label or "").strip().lower() for rid, rec in golds.items()}
    unknown = sorted({g for g in gold_labels.values() if g not in labels})
    chooser = LabelMapper(labels, mapper, extractor)
    pred_words = records_to_words([preds[i] for i in golds if i in preds], mapper, extractor)
    missing = [i for i in golds if i not in preds]
    extra = [i for i in preds if i not in golds]
    gold_word = {g: (mapper.label_words([g], extractor) or [g])[0] if g != NEUTRAL else NEUTRAL
                 for g in set(gold_labels.values())}
    mapper.prepare([*gold_word.values(), *(w for ws in pred_words.values() for w in ws.words)])

    hits = {w: [0, 0] for w in WHEEL_NAMES}
    y_true, y_pred, samples, predicted = [], [], [], []
    for rid, gold in gold_labels.items():
        words = pred_words.get(rid, Words([]))
        label, scores = chooser.choose(_mentions(words))
        y_true.append(gold)
        y_pred.append(label)
        predicted.append(words.words)
        g_l1 = mapper.clusters(gold_word[gold])[2::2]
        p_l1 = [set() for _ in WHEEL_NAMES]
        for w in words.words:
            for k, c in enumerate(mapper.clusters(w)[2::2]):
                if c is not None:
                    p_l1[k].add(c)
        sample_hits = {}
        for k, wheel in enumerate(WHEEL_NAMES):
            if g_l1[k] is None:  # gold maps to nothing in this wheel: skipped, as published
                continue
            hits[wheel][1] += 1
            hit = g_l1[k] in p_l1[k]
            hits[wheel][0] += hit
            sample_hits[wheel] = hit
        if keep_samples:
            samples.append({"id": rid, "gold": gold, "pred": label, "pred_words": words.words,
                            "scores": {k: round(v, 4) for k, v in scores.items()}, "hits": sample_hits,
                            "missing_pred": rid not in preds})
    persist(mapper, extractor)
    per_wheel = {w: {"hit_rate": h / n if n else 0.0, "n": n} for w, (h, n) in hits.items()}
    scored = [v["hit_rate"] for v in per_wheel.values() if v["n"]]
    metrics = classification_metrics(y_true, y_pred, labels)
    return BasicReport(labels, mode, extractor.name, metrics, sum(scored) / len(scored) if scored else 0.0,
                       per_wheel, missing, extra, unknown, samples, predicted)


# ---------------------------------------------------------------------------------------
@dataclass
class SentimentReport:
    mode: str
    extractor: str
    accuracy: float
    weighted_f1: float
    uar: float
    n: int
    n_gold: int
    dropped_neutral: int
    pred_neutral: int
    metrics: ClassMetrics
    missing_ids: list[str]
    extra_ids: list[str]
    samples: list[dict] = field(default_factory=list)
    predicted_words: list[list[str]] = field(default_factory=list)
    dataset: str = ""

    def to_dict(self) -> dict:
        m = self.metrics
        return {
            "task": "sentiment", "dataset": self.dataset, "mode": self.mode, "scorer_version": SCORER_VERSION,
            "extractor": self.extractor, "accuracy": self.accuracy, "weighted_f1": self.weighted_f1,
            "uar": self.uar, "n": self.n, "n_gold": self.n_gold, "dropped_gold_neutral": self.dropped_neutral,
            "pred_neutral": self.pred_neutral,
            "confusion": {"rows": m.rows, "cols": m.cols, "matrix": m.confusion},
            "missing_ids": self.missing_ids, "extra_ids": self.extra_ids,
        }


def gold_sentiment(rec: Record) -> str:
    """A gold record's polarity: a label (positive/negative/neutral) or the sign of ``score``."""
    if rec.score is not None:
        return "positive" if rec.score > 0 else "negative" if rec.score < 0 else "neutral"
    label = (rec.label or "").strip().lower()
    if label in _SENTIMENT_ALIASES:
        return _SENTIMENT_ALIASES[label]
    try:
        value = float(label)
    except ValueError:
        from ..errors import InputError

        raise InputError(f"line {rec.line}: id {rec.id!r}: sentiment label {rec.label!r} is not "
                         "positive/negative/neutral or a number") from None
    return "positive" if value > 0 else "negative" if value < 0 else "neutral"


def word_valence(mapper, word: str) -> float:
    """Polarity of one emotion word in [-1, 1]: the mean valence of its level-1 classes over
    the wheels that place it, averaged with the NRC lexicon's human rating when it has one
    (the wheels alone follow the GPT synonym table, which puts "impatient" next to "eager")."""
    from .affect import nrc_valence

    classes = [L1_VALENCE.get(c, 0) for c in mapper.clusters(word)[2::2] if c is not None]
    nrc = nrc_valence().get(word)
    if not classes:
        return float(nrc or 0)
    wheels = sum(classes) / len(classes)
    return wheels if nrc is None else (wheels + nrc) / 2


def text_valence(words: Words, mapper, text: str | None) -> float:
    """Signed evidence for the polarity of one answer (see the module docstring)."""
    total = 0.0
    if words.extraction is not None and words.extraction.mentions:
        for m in words.extraction.mentions:
            total += (-0.25 if m.negated else 1.0) * m.intensity * word_valence(mapper, m.word)
    else:
        for w in words.words:
            if w in _SENTIMENT_ALIASES:
                total += {"positive": 1, "negative": -1, "neutral": 0}[_SENTIMENT_ALIASES[w]]
            else:
                total += word_valence(mapper, w)
    if text:
        for cue in _POLARITY_CUES.findall(text.lower()):
            total += 0.5 if cue.startswith("positive") else -0.5
    return total


@paused_gc()
def score_sentiment(preds: dict[str, Record], golds: dict[str, Record], mode: str = "affect",
                    extractor: Extractor | None = None, keep_samples: bool = False) -> SentimentReport:
    mapper = get_mapper(mode)
    extractor = extractor or default_extractor()
    gold = {rid: gold_sentiment(rec) for rid, rec in golds.items()}
    pred_words = records_to_words([preds[i] for i in golds if i in preds], mapper, extractor)
    mapper.prepare([w for ws in pred_words.values() for w in ws.words])
    missing = [i for i in golds if i not in preds]
    extra = [i for i in preds if i not in golds]
    y_true, y_pred, samples, predicted = [], [], [], []
    dropped = pred_neutral = 0
    for rid, g in gold.items():
        rec = preds.get(rid)
        words = pred_words.get(rid, Words([]))
        direct = (rec.label or "").strip().lower() if rec is not None and rec.label else ""
        if direct in _SENTIMENT_ALIASES and rec.text is None and rec.emotions is None:
            value = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}[_SENTIMENT_ALIASES[direct]]
        else:
            value = text_valence(words, mapper, rec.text if rec is not None else None)
        label = "positive" if value > 0 else "negative" if value < 0 else "neutral"
        if keep_samples:
            samples.append({"id": rid, "gold": g, "pred": label, "valence": round(value, 4),
                            "pred_words": words.words, "dropped": g == "neutral", "missing_pred": rec is None})
        if g == "neutral":
            dropped += 1
            continue
        predicted.append(words.words)
        pred_neutral += label == "neutral"
        y_true.append(g)
        y_pred.append(label)
    persist(mapper, extractor)
    binary_pred = ["positive" if p == "positive" else "negative" for p in y_pred]
    binary = classification_metrics(y_true, binary_pred, ["negative", "positive"])
    return SentimentReport(mode, extractor.name, binary.accuracy, binary.weighted_f1, binary.uar, len(y_true), len(gold),
                           dropped, pred_neutral, _three_columns(y_true, y_pred), missing, extra, samples,
                           predicted)


def _three_columns(y_true: list[str], y_pred: list[str]) -> ClassMetrics:
    """Confusion with the neutral predictions shown as their own column (metrics are binary)."""
    m = classification_metrics(y_true, y_pred, ["negative", "positive"])
    cols = ["negative", "neutral", "positive"]
    rows = ["negative", "positive"]
    conf = [[sum(1 for t, p in zip(y_true, y_pred) if t == r and p == c) for c in cols] for r in rows]
    m.rows, m.cols, m.confusion = rows, cols, conf
    return m


# ---------------------------------------------------------------------------------------
MAIN_METRIC = {"ovmer": "fs", "basic": "hit_rate", "sentiment": "weighted_f1"}


def unibench_mean(results: list[dict]) -> dict:
    """MER-UniBench-style mean of each dataset's main score (from the ``--json`` outputs)."""
    rows = []
    for res in results:
        task = res.get("task")
        if task not in MAIN_METRIC:
            raise ValueError(f"result has no known task (got {task!r}): expected one of {', '.join(MAIN_METRIC)}")
        rows.append({"dataset": res.get("dataset") or task, "task": task, "metric": MAIN_METRIC[task],
                     "score": float(res[MAIN_METRIC[task]]), "mode": res.get("mode"),
                     "scorer_version": res.get("scorer_version")})
    modes = sorted({r["mode"] for r in rows if r["mode"]})
    versions = sorted({r["scorer_version"] for r in rows if r["scorer_version"]})
    mean = sum(r["score"] for r in rows) / len(rows) if rows else 0.0
    return {"task": "unibench", "mean": mean, "n_datasets": len(rows), "datasets": rows, "modes": modes,
            "scorer_versions": versions, "scorer_version": SCORER_VERSION}
