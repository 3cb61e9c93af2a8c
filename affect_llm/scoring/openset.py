"""Open-vocabulary scoring (OV-MER / OV-MERD+): set P/R/F of emotion clusters per wheel.

The headline is AffectGPT's: mean of F, P and R over the five wheels at level 1. The full
OV-MER report adds M1 (forms only), M2 (synonyms) and level 2 of every wheel, plus the mean
of those twelve. A gold id missing from the predictions is reported and scored as an empty
prediction (P = R = 0); a gold sample whose words map to nothing in a space is skipped
there, as in the published code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import SCORER_VERSION
from .extract import Extractor
from .metrics import PRF, SetAccumulator, mean_prf
from .pipeline import default_extractor, get_mapper, paused_gc, persist, records_to_words
from .records import Record
from .wheels import WHEEL_NAMES, headline_spaces, space_names


@dataclass
class OpenSetReport:
    mode: str
    extractor: str
    n: int  # gold samples scored in at least one level-1 wheel
    n_gold: int
    headline: PRF
    per_wheel: dict[str, PRF]
    full: dict[str, PRF]
    full_mean: PRF
    missing_ids: list[str]
    extra_ids: list[str]
    samples: list[dict] = field(default_factory=list)
    predicted_words: list[list[str]] = field(default_factory=list)
    dataset: str = ""

    def to_dict(self) -> dict:
        def prf(x: PRF) -> dict:
            return {"fs": x.fscore, "precision": x.precision, "recall": x.recall, "n": x.n}

        return {
            "task": "ovmer", "dataset": self.dataset, "mode": self.mode, "scorer_version": SCORER_VERSION,
            "extractor": self.extractor,
            "fs": self.headline.fscore, "precision": self.headline.precision, "recall": self.headline.recall,
            "n": self.n, "n_gold": self.n_gold, "skipped": self.n_gold - self.n,
            "per_wheel": {w: prf(x) for w, x in self.per_wheel.items()},
            "full": {**{s: prf(x) for s, x in self.full.items()}, "mean": prf(self.full_mean)},
            "missing_ids": self.missing_ids, "extra_ids": self.extra_ids,
        }


@paused_gc()
def score_openset(preds: dict[str, Record], golds: dict[str, Record], mode: str = "affect",
                  extractor: Extractor | None = None, keep_samples: bool = False) -> OpenSetReport:
    mapper = get_mapper(mode)
    extractor = extractor or default_extractor()
    spaces = space_names()
    gold_words = records_to_words(golds.values(), mapper, extractor)
    pred_words = records_to_words([preds[i] for i in golds if i in preds], mapper, extractor)
    missing = [i for i in golds if i not in preds]
    extra = [i for i in preds if i not in golds]
    mapper.prepare([w for ws in (*gold_words.values(), *pred_words.values()) for w in ws.words])
    clusters = mapper.clusters
    accs = [SetAccumulator() for _ in spaces]
    head_idx = [spaces.index(s) for s in headline_spaces()]
    n_scored = 0
    samples: list[dict] = []
    predicted: list[list[str]] = []
    empty: list[str] = []
    for rid in golds:
        gw = [clusters(w) for w in gold_words[rid].words]
        pwords = pred_words[rid].words if rid in pred_words else empty
        pw = [clusters(w) for w in pwords]
        predicted.append(pwords)
        scored = False
        per: dict[str, dict] = {}
        for s, acc in enumerate(accs):
            gold = {t[s] for t in gw}
            gold.discard(None)
            pred = {t[s] for t in pw}
            pred.discard(None)
            res = acc.add(gold, pred)
            if res is not None and s in head_idx:
                scored = True
            if keep_samples:
                per[spaces[s]] = {"gold": sorted(gold), "pred": sorted(pred),
                                  "precision": None if res is None else res[0],
                                  "recall": None if res is None else res[1]}
        n_scored += scored
        if keep_samples:
            samples.append({"id": rid, "gold_words": gold_words[rid].words, "pred_words": pwords,
                            "missing_pred": rid not in preds, "skipped": not scored, "spaces": per})
    persist(mapper, extractor)
    full = {s: acc.result() for s, acc in zip(spaces, accs)}
    per_wheel = {w: full[f"{w}-L1"] for w in WHEEL_NAMES}
    return OpenSetReport(
        mode=mode, extractor=extractor.name, n=n_scored, n_gold=len(golds),
        headline=mean_prf(list(per_wheel.values())), per_wheel=per_wheel, full=full,
        full_mean=mean_prf(list(full.values())), missing_ids=missing, extra_ids=extra,
        samples=samples, predicted_words=predicted)
