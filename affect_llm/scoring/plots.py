"""PNG figures for ``--plot DIR``: per-wheel bars, a confusion matrix, and a sunburst of the
predicted emotions on wheel 1. matplotlib is imported here only (Agg backend, no display)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from ..errors import InputError

log = logging.getLogger(__name__)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _outdir(path: str | Path) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create plot folder {out}: {exc.strerror or exc}") from exc
    return out


def per_wheel_bars(result: dict, path: Path) -> Path:
    """OV-MER: F/P/R per wheel and level; basic: hit rate per wheel."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    if result["task"] == "ovmer":
        spaces = [s for s in result["full"] if s != "mean"]
        x = range(len(spaces))
        width = 0.27
        for k, key in enumerate(("fs", "precision", "recall")):
            ax.bar([i + (k - 1) * width for i in x], [100 * result["full"][s][key] for s in spaces], width,
                   label={"fs": "F-score", "precision": "precision", "recall": "recall"}[key])
        ax.set_xticks(list(x), spaces, rotation=45, ha="right")
        ax.set_title(f"OV-MER per space ({result['mode']} mode): headline F {100 * result['fs']:.1f}")
        ax.legend()
    else:
        wheels = list(result["hit_rate_per_wheel"])
        ax.bar(wheels, [100 * result["hit_rate_per_wheel"][w]["hit_rate"] for w in wheels], color="tab:green")
        ax.set_title(f"hit rate per wheel ({result['mode']} mode): mean {100 * result['hit_rate']:.1f}")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def confusion(conf: dict, path: Path, title: str) -> Path:
    import numpy as np

    plt = _plt()
    m = np.array(conf["matrix"], dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(conf["cols"]), 1.0 + 0.6 * len(conf["rows"])))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(conf["cols"])), conf["cols"], rotation=45, ha="right")
    ax.set_yticks(range(len(conf["rows"])), conf["rows"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, int(m[i, j]), ha="center", va="center",
                    color="white" if m[i, j] > m.max() / 2 else "black", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sunburst(words: list[list[str]], mapper, path: Path, wheel: str = "wheel1") -> Path:
    """Two rings: inner the level-1 classes of the predicted words on ``wheel``, outer their
    level-2 classes, sized by how many predicted words landed there."""
    plt = _plt()
    spaces = mapper.spaces
    i1, i2 = spaces.index(f"{wheel}-L1"), spaces.index(f"{wheel}-L2")
    pairs: Counter = Counter()
    for ws in words:
        for w in ws:
            c = mapper.clusters(w)
            if c[i1] is not None:
                pairs[(c[i1], c[i2] or c[i1])] += 1
    fig, ax = plt.subplots(figsize=(7, 7))
    if not pairs:
        ax.text(0.5, 0.5, "no predicted emotion maps to this wheel", ha="center", va="center")
        ax.axis("off")
    else:
        inner: Counter = Counter()
        for (l1, _), n in pairs.items():
            inner[l1] += n
        l1s = [k for k, _ in inner.most_common()]
        cmap = plt.get_cmap("tab10")
        colors = {l1: cmap(k % 10) for k, l1 in enumerate(l1s)}
        outer = [(l1, l2, pairs[(l1, l2)]) for l1 in l1s for (a, l2) in sorted(pairs) if a == l1]
        ax.pie([inner[lab] for lab in l1s], radius=0.65, labels=l1s, labeldistance=0.45,
               colors=[colors[lab] for lab in l1s], wedgeprops={"width": 0.35, "edgecolor": "white"}, textprops={"fontsize": 9})
        ax.pie([n for _, _, n in outer], radius=1.0, labels=[l2 for _, l2, _ in outer], labeldistance=1.05,
               colors=[(*colors[l1][:3], 0.55) for l1, _, _ in outer],
               wedgeprops={"width": 0.35, "edgecolor": "white"}, textprops={"fontsize": 7})
        ax.set(aspect="equal")
    ax.set_title(f"predicted emotions on {wheel} (inner: level 1, outer: level 2)")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def write_plots(result: dict, predicted_words: list[list[str]], mapper, folder: str | Path) -> list[Path]:
    """Every figure that fits the task; returns the files written."""
    out = _outdir(folder)
    written = []
    if result["task"] in ("ovmer", "basic"):
        written.append(per_wheel_bars(result, out / "per_wheel.png"))
    if result["task"] in ("basic", "sentiment"):
        written.append(confusion(result["confusion"], out / "confusion.png", f"{result['task']} ({result['mode']})"))
    written.append(sunburst(predicted_words, mapper, out / "sunburst_wheel1.png"))
    log.info("plots written: %s", ", ".join(str(p) for p in written))
    return written
