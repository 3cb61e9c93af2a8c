"""Emotion wheels: the three-level trees and the word -> cluster maps at level 1 and 2.

``published_cluster_map`` reproduces the published ``func_get_wheel_cluster`` exactly,
including its side effects: a word listed twice in a wheel keeps the position written *last*
(later rows overwrite earlier ones), and at level 2 a level-1 word maps to its alphabetically
first level-2 child. The affect mode reads the same trees through ``Wheel.positions`` and
decides between several positions itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

from .data import load_tables

WHEEL_NAMES = ("wheel1", "wheel2", "wheel3", "wheel4", "wheel5")
LEVELS = (1, 2)
NEUTRAL = "neutral"

# Valence of every level-1 class of the five wheels (plus the affect mode's added classes):
# used for sentiment and to stop embedding neighbours from crossing polarity.
L1_VALENCE = {
    "mad": -1, "angry": -1, "anger": -1, "disgusted": -1, "disgust": -1, "sad": -1,
    "scared": -1, "fearful": -1, "fear": -1,
    "happy": 1, "joyful": 1, "joy": 1, "peaceful": 1, "powerful": 1, "genius": 1,
    "surprised": 0, NEUTRAL: 0,
}


@dataclass(frozen=True)
class Position:
    """Where a word sits in one wheel: its level-1 class, level-2 class and depth (1-3)."""

    level1: str
    level2: str
    depth: int


@dataclass(frozen=True)
class Wheel:
    name: str
    rows: tuple[tuple[str, str, str], ...]

    @cached_property
    def tree(self) -> dict[str, dict[str, list[str]]]:
        """level1 -> level2 -> [level3...], in first-seen order, as the published reader builds it."""
        tree: dict[str, dict[str, list[str]]] = {}
        for l1, l2, l3 in self.rows:
            tree.setdefault(l1, {}).setdefault(l2, []).append(l3)
        return tree

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(w for row in self.rows for w in row)

    def level1_classes(self) -> list[str]:
        return list(self.tree)

    def level2_classes(self) -> list[str]:
        seen: dict[str, None] = {}
        for l2s in self.tree.values():
            for l2 in l2s:
                seen.setdefault(l2, None)
        return list(seen)

    def classes(self, level: int) -> list[str]:
        return self.level1_classes() if level == 1 else self.level2_classes()

    def parent(self, level2: str) -> str | None:
        for l1, l2s in self.tree.items():
            if level2 in l2s:
                return l1
        return None

    @cached_property
    def _positions(self) -> dict[str, tuple[Position, ...]]:
        pos: dict[str, list[Position]] = {}
        for l1, l2s in self.tree.items():
            pos.setdefault(l1, []).append(Position(l1, "", 1))
            for l2, l3s in l2s.items():
                pos.setdefault(l2, []).append(Position(l1, l2, 2))
                for l3 in l3s:
                    pos.setdefault(l3, []).append(Position(l1, l2, 3))
        return {w: tuple(dict.fromkeys(p)) for w, p in pos.items()}

    def positions(self, word: str) -> tuple[Position, ...]:
        """Every place ``word`` occupies (a level-1 position has ``level2 == ""``)."""
        return self._positions.get(word, ())

    def published_cluster_map(self, level: int) -> dict[str, str]:
        """The published ``func_get_wheel_cluster(wheel, level)`` (overwrite order kept)."""
        return self._published_maps[level]

    @cached_property
    def _published_maps(self) -> dict[int, dict[str, str]]:
        return {level: self._build_published_map(level) for level in LEVELS}

    def _build_published_map(self, level: int) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for l1, l2s in self.tree.items():
            if level == 1:
                mapping[l1] = l1
                for l2, l3s in l2s.items():
                    mapping[l2] = l1
                    for l3 in l3s:
                        mapping[l3] = l1
            else:
                mapping[l1] = min(l2s)  # the alphabetically first child
                for l2, l3s in l2s.items():
                    mapping[l2] = l2
                    for l3 in l3s:
                        mapping[l3] = l2
        return mapping

    def with_rows(self, extra: list[tuple[str, str, str]]) -> Wheel:
        return Wheel(self.name, self.rows + tuple(extra))


@functools.lru_cache(maxsize=1)
def published_wheels() -> dict[str, Wheel]:
    """The five wheels exactly as published."""
    tables = load_tables()
    return {name: Wheel(name, tables.wheels[name]) for name in WHEEL_NAMES}


def space_names() -> list[str]:
    """The scoring spaces of the full OV-MER report, in report order."""
    return ["M1", "M2"] + [f"{w}-L{lv}" for w in WHEEL_NAMES for lv in LEVELS]


def headline_spaces() -> list[str]:
    """The five level-1 spaces averaged by the AffectGPT headline score."""
    return [f"{w}-L1" for w in WHEEL_NAMES]
