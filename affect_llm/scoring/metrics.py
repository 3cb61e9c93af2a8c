"""The numbers: set precision/recall as published, and closed-set classification metrics.

Written with plain Python/numpy on purpose: scikit-learn is not a dependency, and the
definitions below are the whole contract (tests check them against hand computation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


def fscore(precision: float, recall: float) -> float:
    """F = 2PR/(P+R); 0 when both are 0 (the published code would divide by zero)."""
    return 0.0 if precision + recall <= 0 else 2 * precision * recall / (precision + recall)


@dataclass
class PRF:
    """Averaged precision and recall over the scored samples, and F computed from them."""

    precision: float
    recall: float
    fscore: float
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


class SetAccumulator:
    """The published aggregation for one space.

    A sample whose gold set is empty is skipped; an empty prediction scores P = R = 0;
    otherwise P = |G∩P|/|P| and R = |G∩P|/|G|. P and R are averaged over samples and F is
    computed from the averages (not averaged per sample).
    """

    __slots__ = ("n", "p_sum", "r_sum")

    def __init__(self) -> None:
        self.p_sum = 0.0
        self.r_sum = 0.0
        self.n = 0

    def add(self, gold: set, pred: set) -> tuple[float, float] | None:
        if not gold:
            return None
        self.n += 1
        if not pred:
            return 0.0, 0.0
        hit = len(gold & pred)
        p, r = hit / len(pred), hit / len(gold)
        self.p_sum += p
        self.r_sum += r
        return p, r

    def result(self) -> PRF:
        if not self.n:
            return PRF(0.0, 0.0, 0.0, 0)
        p, r = self.p_sum / self.n, self.r_sum / self.n
        return PRF(p, r, fscore(p, r), self.n)


def mean_prf(items: Sequence[PRF]) -> PRF:
    """Mean of F, P and R over spaces (the AffectGPT headline over the five wheels)."""
    items = [x for x in items if x.n]
    if not items:
        return PRF(0.0, 0.0, 0.0, 0)
    k = len(items)
    return PRF(sum(x.precision for x in items) / k, sum(x.recall for x in items) / k,
               sum(x.fscore for x in items) / k, max(x.n for x in items))


@dataclass
class ClassMetrics:
    """Closed-set classification metrics; ``confusion[i][j]`` counts gold rows[i] predicted as cols[j]."""

    accuracy: float
    weighted_f1: float
    uar: float
    war: float
    n: int
    rows: list[str]
    cols: list[str]
    confusion: list[list[int]]
    per_class: dict[str, dict[str, float]]


def classification_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = ()) -> ClassMetrics:
    """Accuracy, support-weighted F1, UAR (mean recall over gold classes) and WAR (= accuracy)."""
    n = len(gold)
    rows = list(dict.fromkeys([*labels, *sorted(set(gold) - set(labels))]))
    cols = list(dict.fromkeys([*rows, *sorted(set(pred) - set(rows))]))
    ri = {c: i for i, c in enumerate(rows)}
    ci = {c: i for i, c in enumerate(cols)}
    conf = [[0] * len(cols) for _ in rows]
    for g, p in zip(gold, pred):
        conf[ri[g]][ci[p]] += 1
    correct = sum(1 for g, p in zip(gold, pred) if g == p)
    per_class: dict[str, dict[str, float]] = {}
    wf1 = 0.0
    recalls = []
    for c in rows:
        tp = conf[ri[c]][ci[c]]
        support = sum(conf[ri[c]])
        predicted = sum(conf[r][ci[c]] for r in range(len(rows)))
        prec = tp / predicted if predicted else 0.0
        rec = tp / support if support else 0.0
        f1 = fscore(prec, rec)
        per_class[c] = {"precision": prec, "recall": rec, "f1": f1, "support": support}
        if support:
            recalls.append(rec)
            wf1 += f1 * support
    acc = correct / n if n else 0.0
    return ClassMetrics(
        accuracy=acc, weighted_f1=wf1 / n if n else 0.0, uar=sum(recalls) / len(recalls) if recalls else 0.0,
        war=acc, n=n, rows=rows, cols=cols, confusion=conf, per_class=per_class)
