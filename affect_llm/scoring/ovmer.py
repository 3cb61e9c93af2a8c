"""The published OV-MER / MER-UniBench label mapping, reproduced faithfully (``ovmer`` mode).

For a label (lower-cased and stripped, as the published code does):

* M1 (form): the alphabetically first base word the word-form table lists it under;
* M2 (synonym): the alphabetically first wheel word listing that base word as a synonym;
* wheel k at level L: every wheel word reachable through M1 then M2, sorted, and the first
  one present in wheel k decides the cluster (``Wheel.published_cluster_map``).

A label the form table does not know maps to nothing and is dropped ("neutral" is). The
quirks are kept on purpose: "fear" is listed as a form of "fearless", so it reaches "brave"
first and lands in a happy class; "surprise" and "disgust" reach nothing in wheel 5.
"""

from __future__ import annotations

import re

from .data import Tables, load_tables
from .wheels import WHEEL_NAMES, Wheel, published_wheels, space_names


def published_split(text: str) -> list[str]:
    """The published ``string_to_list`` for an emotion list given as one string."""
    text = text.strip()
    text = text.removeprefix("[")
    text = text.removesuffix("]")
    return [item.strip() for item in re.split("['\",]", text) if item.strip() not in ("", ",")]


class OvmerMapper:
    """Label -> cluster in every scoring space, exactly as the published metric does it."""

    mode = "ovmer"

    def __init__(self, tables: Tables | None = None, wheels: dict[str, Wheel] | None = None) -> None:
        self.tables = tables or load_tables()
        self.wheels = wheels or published_wheels()
        self.spaces = space_names()
        self._maps = [self.wheels[w].published_cluster_map(lv) for w in WHEEL_NAMES for lv in (1, 2)]
        self._memo: dict[str, tuple[str | None, ...]] = {}

    # The published functions, one by one -------------------------------------------------
    def m1(self, label: str) -> str | None:
        bases = self.tables.forms.get(label)
        return min(bases) if bases else None

    def m2(self, label: str) -> str | None:
        base = self.m1(label)
        if base is None:
            return None
        wheel_words = self.tables.synonyms.get(base, ())
        return min(wheel_words) if wheel_words else None

    def reachable(self, label: str) -> list[str]:
        """Every wheel word reachable from ``label`` through M1 then M2, sorted."""
        words = [w for base in self.tables.forms.get(label, ()) for w in self.tables.synonyms.get(base, ())]
        return sorted(words)

    def cluster(self, label: str, wheel: str, level: int) -> str | None:
        mapping = self.wheels[wheel].published_cluster_map(level)
        for word in self.reachable(label):
            if word in mapping:
                return mapping[word]
        return None

    # The scorer's interface ------------------------------------------------------------------
    def clusters(self, word: str) -> tuple[str | None, ...]:
        """Cluster of ``word`` in every space of ``space_names()`` (None: dropped there)."""
        hit = self._memo.get(word)
        if hit is None:
            reach = self.reachable(word)
            per_wheel = []
            for mapping in self._maps:
                per_wheel.append(next((mapping[w] for w in reach if w in mapping), None))
            hit = (self.m1(word), self.m2(word), *per_wheel)
            self._memo[word] = hit
        return hit

    def prepare(self, words) -> None:
        """Resolve every word once ahead of the scoring loop (table look-ups only)."""
        for word in words:
            self.clusters(word)

    def label_words(self, labels: list[str] | str, extractor=None) -> list[str]:
        """An ``emotions`` list as the published code reads it: lower-cased, stripped."""
        if isinstance(labels, str):
            labels = published_split(labels)
        return [str(item).lower().strip() for item in labels if str(item).strip()]
