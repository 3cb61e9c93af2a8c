"""Held-out emotion accuracy of a trained model, with modality ablations.

Answers are generated (greedy, batched, left padding) and mapped to one label of a closed set
with the scorer's closed-label mapping (``affect_llm.scoring``: extracted emotion words, wheel
classes, tie-breaks) when it is installed; otherwise with an exact-word fallback (the first
label, or a noun form of it, named in the answer). An ablation zeroes the named streams'
encoder features while keeping them marked present, so the model is shown the modality but
gets no information from it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..features.batch import collate_features
from ..models.textualized import NOUN_TO_ADJECTIVE

log = logging.getLogger(__name__)


def closed_label_mapper(labels: list[str]) -> tuple[Callable[[str], str | None], str]:
    """``text -> label or None`` for a fixed label set, and the name of the method used."""
    try:
        from ..scoring.closed import NONE_LABEL, LabelMapper, _mentions
        from ..scoring.pipeline import Words, default_extractor, get_mapper

        extractor = default_extractor()
        chooser = LabelMapper(list(labels), get_mapper("affect"), extractor)

        def scorer(text: str) -> str | None:
            ex = extractor.extract(text)
            label, _ = chooser.choose(_mentions(Words(list(ex.words), ex)))
            return None if label == NONE_LABEL else label

        scorer("calibration: happy")  # fail here, not in the middle of an evaluation
        return scorer, "scoring.closed"
    except Exception as exc:  # noqa: BLE001 - the scorer is another package's, being written
        log.info("closed-label mapping falls back to exact words (%s)", exc)

    forms = {lab: {lab} | {n for n, adj in NOUN_TO_ADJECTIVE.items() if adj == lab} for lab in labels}
    forms.get("surprised", set()).add("surprise")

    def exact(text: str) -> str | None:
        for word in re.findall(r"[a-z]+", text.lower()):
            for lab, fs in forms.items():
                if word in fs:
                    return lab
        return None

    return exact, "exact-word"


@dataclass
class Report:
    method: str
    labels: list[str]
    chance: float
    accuracy: dict[str, float]  # per kind, plus "all"
    counts: dict[str, int]
    conflict_recall: float | None = None
    predictions: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        parts = ", ".join(f"{k} {v:.2f} (n={self.counts[k]})" for k, v in self.accuracy.items())
        extra = f", conflict recall {self.conflict_recall:.2f}" if self.conflict_recall is not None else ""
        return f"accuracy [{self.method}]: {parts}{extra}; chance {self.chance:.2f}"


def read_kinds(manifest: str | Path) -> dict[str, dict[str, Any]]:
    """Extra fields of a synthetic manifest (``kind``, ``audio_emotion``, ``video_emotion``) by id."""
    out = {}
    for line in Path(manifest).read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            out[d["id"]] = d
    return out


def generate_answers(model: Any, samples: list[Any], features: Callable[[Any], dict[str, torch.Tensor]],
                     batch_size: int = 16, ablate: tuple[str, ...] = (), max_new_tokens: int = 40,
                     question: str = "labels") -> list[str]:
    """Greedy answers for ``samples`` to ``question`` (the emotion list by default: the question the
    ``emotions`` / ``hybrid`` targets were trained with); streams in ``ablate`` get all-zero features."""
    model.eval()
    answers: list[str] = []
    for start in range(0, len(samples), batch_size):
        chunk = samples[start:start + batch_size]
        feats = collate_features([features(s) for s in chunk], model.encoder_dims)
        for name in ablate:
            feats[name] = feats[name].zeroed()
        answers += model.describe([s.subtitle for s in chunk], feats, question=question,
                                  max_new_tokens=max_new_tokens)
    return answers


def emotion_accuracy(model: Any, samples: list[Any], features: Callable[[Any], dict[str, torch.Tensor]],
                     labels: list[str], kinds: dict[str, dict[str, Any]] | None = None,
                     ablate: tuple[str, ...] = (), batch_size: int = 16, max_new_tokens: int = 40) -> Report:
    """Accuracy per kind of clip (single-label clips: the mapped label equals the gold one) and the
    recall of both emotions on conflicting clips (``kinds[id]["kind"] == "conflict"``)."""
    mapper, method = closed_label_mapper(labels)
    answers = generate_answers(model, samples, features, batch_size, ablate, max_new_tokens)
    hits: dict[str, list[int]] = {}
    conflict: list[float] = []
    preds = []
    for s, text in zip(samples, answers):
        kind = (kinds or {}).get(s.id, {}).get("kind", "all")
        gold = s.emotions or []
        pred = mapper(text)
        preds.append({"id": s.id, "kind": kind, "gold": gold, "pred": pred, "answer": text})
        if kind == "conflict":
            named = {lab for lab in labels if re.search(rf"\b{lab}\b", text.lower())}
            conflict.append(len(named & set(gold)) / max(1, len(gold)))
            continue
        ok = int(pred is not None and len(gold) == 1 and pred == gold[0])
        hits.setdefault(kind, []).append(ok)
        if kind != "all":
            hits.setdefault("all", []).append(ok)
    accuracy = {k: sum(v) / len(v) for k, v in hits.items()}
    counts = {k: len(v) for k, v in hits.items()}
    return Report(method, list(labels), 1.0 / len(labels), accuracy, counts,
                  sum(conflict) / len(conflict) if conflict else None, preds)
