"""The emotion words of an answer on a wheel plot (matplotlib, no pyplot state).

Where a word sits is a *layout*'s business, so the placement can be swapped without touching
the drawing:

* ``ScorerWheel`` places words on an emotion wheel of the scorer (``affect_llm.scoring``): the
  ring of level-1 classes (happy, sad, mad, ...) and, outside it, their level-2 classes. A word
  that sits at exactly one place in the wheel goes there; any other word goes where the
  scorer's ``affect`` mode puts it (forms, synonyms, WordNet, MiniLM), so the plot agrees with
  how answers are scored.
* Without the scorer (or if it fails), ``wheel_figure`` draws a plain polar plot: one spoke per
  word, the model's words and the cue vote's words told apart.

Both show the model's words and the transparent cue vote (``cues.candidate_emotions``) side by
side, because where they disagree is exactly what a user of an explainable model wants to see.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

log = logging.getLogger(__name__)

# One colour per level-1 class, in ring order (matplotlib's tab10, which stays readable faded).
_PALETTE = ["#d62728", "#8c564b", "#1f77b4", "#ff7f0e", "#9467bd", "#2ca02c", "#7f7f7f", "#17becf",
            "#bcbd22", "#e377c2"]
_ANSWER_COLOR = "#1f3a93"
_CUE_COLOR = "#6b6b6b"


class WheelLayout(Protocol):
    """Where emotion words go: a two-level tree of classes and a word -> (level 1, level 2) map."""

    name: str

    def tree(self) -> dict[str, list[str]]:
        """Level-1 class -> its level-2 classes, in drawing order."""

    def place(self, word: str) -> tuple[str, str | None] | None:
        """The word's level-1 class and (if known) level-2 class; ``None`` when it has no place."""


class ScorerWheel:
    """A wheel of ``affect_llm.scoring`` (``wheel1`` by default, the most fine-grained one)."""

    def __init__(self, wheel: str = "wheel1"):
        from ..scoring.affect import affect_wheels
        from ..scoring.wheels import space_names

        self.wheel_name = wheel
        self._wheel = affect_wheels()[wheel]
        spaces = space_names()
        self._l1 = spaces.index(f"{wheel}-L1")
        self._l2 = spaces.index(f"{wheel}-L2")
        self._mapper: Any = None
        self.name = f"emotion wheel {wheel[-1]} of the scorer"

    def tree(self) -> dict[str, list[str]]:
        return {l1: list(l2s) for l1, l2s in self._wheel.tree.items()}

    def place(self, word: str) -> tuple[str, str | None] | None:
        word = " ".join(word.lower().split())
        positions = self._wheel.positions(word)
        if len(positions) == 1:  # unambiguous: no need to load WordNet or MiniLM
            pos = positions[0]
            return pos.level1, pos.level2 or None
        if self._mapper is None:
            from ..scoring.affect import AffectMapper

            self._mapper = AffectMapper()
        clusters = self._mapper.clusters(word)
        l1, l2 = clusters[self._l1], clusters[self._l2]
        if not l1:
            return None
        return l1, (l2 if l2 in self._wheel.tree.get(l1, {}) else None)


def default_layout() -> WheelLayout | None:
    """The scorer's wheel when ``affect_llm.scoring`` is installed and works, else ``None``
    (``wheel_figure`` then draws the plain polar plot)."""
    try:
        return ScorerWheel()
    except Exception as exc:  # noqa: BLE001 - any failure of an optional part means "plain plot"
        log.info("emotion wheel of the scorer unavailable (%s); using the plain polar plot", exc)
        return None


def _words(words: list[str] | None) -> list[str]:
    return list(dict.fromkeys(w.strip().lower() for w in (words or []) if w and w.strip()))


def wheel_figure(emotions: list[str], cue_vote: list[str], layout: WheelLayout | None = None,
                 title: str | None = None) -> Any:
    """A matplotlib ``Figure``: the answer's emotion words and the cue vote, on ``layout``'s wheel
    (or a plain polar plot when ``layout`` is ``None`` or cannot place the words)."""
    emotions, cue_vote = _words(emotions), _words(cue_vote)
    if layout is not None:
        try:
            placed = {w: layout.place(w) for w in dict.fromkeys(emotions + cue_vote)}
            return _sunburst(layout, emotions, cue_vote, placed, title)
        except Exception as exc:  # noqa: BLE001 - the plot must not cost the user the answer
            log.warning("placing %s on %s failed (%s); drawing the plain polar plot",
                        emotions + cue_vote, layout.name, exc)
    return _polar(emotions, cue_vote, title)


def _new_axes(figsize: tuple[float, float] = (6.2, 6.2)) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    ax.set_axis_off()
    return fig, ax


def _legend(fig: Any, extra: str = "") -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=_ANSWER_COLOR, ms=9, label="model's answer"),
               Line2D([], [], marker="D", ls="", mfc="white", mec=_CUE_COLOR, ms=7, label="cue vote")]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=9)
    if extra:
        fig.text(0.5, 0.065, extra, ha="center", fontsize=8, color="#555555")


def _sunburst(layout: WheelLayout, emotions: list[str], cue_vote: list[str],
              placed: dict[str, tuple[str, str | None] | None], title: str | None) -> Any:
    tree = layout.tree()
    fig, ax = _new_axes()
    n1 = len(tree)
    width1 = 2 * math.pi / n1
    hit1 = {p[0] for p in placed.values() if p}
    hit2 = {p for p in placed.values() if p and p[1]}
    anchor: dict[tuple[str, str | None], float] = {}
    for i, (l1, l2s) in enumerate(tree.items()):
        color = _PALETTE[i % len(_PALETTE)]
        start = i * width1
        on = l1 in hit1
        ax.bar(start + width1 / 2, 0.75, width=width1, bottom=0.3, color=color, alpha=0.95 if on else 0.28,
               edgecolor="white", linewidth=1.5)
        ax.text(start + width1 / 2, 0.68, l1, ha="center", va="center", fontsize=10,
                fontweight="bold" if on else "normal", color="white" if on else "#333333")
        anchor[(l1, None)] = start + width1 / 2
        width2 = width1 / max(1, len(l2s))
        for j, l2 in enumerate(l2s):
            theta = start + (j + 0.5) * width2
            anchor[(l1, l2)] = theta
            lit = (l1, l2) in hit2
            ax.bar(theta, 0.45, width=width2, bottom=1.08, color=color, alpha=0.9 if lit else 0.14,
                   edgecolor="white", linewidth=0.8)
    # Words outside the rings, stacked outwards when several share a level-1 class (neighbouring
    # segments are too narrow for labels side by side). A level-2 class that differs from the
    # word is named after it: "cheerful (joyful)".
    used: dict[str, int] = {}
    top = 2.2
    for word in dict.fromkeys(emotions + cue_vote):
        where = placed.get(word)
        if not where:
            continue
        key = where if where in anchor else (where[0], None)
        if key not in anchor:
            continue
        theta = anchor[key]
        k = used.get(key[0], 0)
        used[key[0]] = k + 1
        r = 1.7 + 0.34 * k
        top = max(top, r + 0.35)
        in_answer, in_vote = word in emotions, word in cue_vote
        if in_answer:
            ax.plot([theta], [r], marker="o", ms=9, color=_ANSWER_COLOR, zorder=5)
        if in_vote:
            ax.plot([theta], [r], marker="D", ms=12 if in_answer else 7, mfc="none" if in_answer else "white",
                    mec=_CUE_COLOR, mew=1.4, zorder=6)
        label = word if key[1] in (None, word) else f"{word} ({key[1]})"
        ax.text(theta, r + 0.17, label, ha="center", va="center", fontsize=10 if in_answer else 9,
                fontweight="bold" if in_answer else "normal",
                color=_ANSWER_COLOR if in_answer else _CUE_COLOR, zorder=7)
    ax.set_ylim(0, top)
    missing = [w for w in dict.fromkeys(emotions + cue_vote) if not placed.get(w)]
    fig.suptitle(title or f"Emotions on the {layout.name}", fontsize=11)
    _legend(fig, f"not on the wheel: {', '.join(missing)}" if missing else "")
    fig.subplots_adjust(left=0.04, right=0.96, top=0.92, bottom=0.1)
    return fig


def _polar(emotions: list[str], cue_vote: list[str], title: str | None) -> Any:
    fig, ax = _new_axes()
    words = list(dict.fromkeys(emotions + cue_vote))
    if not words:
        ax.text(0, 0, "no emotion words", ha="center", va="center", fontsize=12, color="#555555")
    n = max(1, len(words))
    for i, word in enumerate(words):
        theta = 2 * math.pi * i / n
        in_answer, in_vote = word in emotions, word in cue_vote
        height = 1.0 if in_answer else 0.6
        ax.bar(theta, height, width=2 * math.pi / n * 0.7, bottom=0.15,
               color=_ANSWER_COLOR if in_answer else "#bbbbbb", alpha=0.85, edgecolor="white")
        if in_vote:
            ax.plot([theta], [height + 0.15], marker="D", ms=9, mfc="white", mec=_CUE_COLOR, mew=1.4)
        ax.text(theta, height + 0.42, word, ha="center", va="center", fontsize=11,
                fontweight="bold" if in_answer else "normal",
                color=_ANSWER_COLOR if in_answer else _CUE_COLOR)
    ax.set_ylim(0, 1.7)
    fig.suptitle(title or "Emotion words", fontsize=11)
    _legend(fig)
    fig.subplots_adjust(left=0.04, right=0.96, top=0.92, bottom=0.1)
    return fig
