"""Training metrics: ``metrics.csv`` (+ TensorBoard), one row per logged step, and the loss-curve PNG.

Only rank 0 writes. On resume the rows logged after the checkpoint are dropped, so the file of a
killed-and-resumed run reads like the uninterrupted one.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

METRIC_FIELDS = ("step", "epoch", "loss", "lr", "grad_norm", "val_loss", "samples", "elapsed_s")


class Metrics:
    """metrics.csv (+ TensorBoard when installed and enabled), rank 0 only."""

    def __init__(self, out: Path, enabled: bool, tensorboard: bool, resume_step: int):
        self.path = out / "metrics.csv"
        self.enabled = enabled
        self.tb = None
        if not enabled:
            return
        rows = []
        if resume_step > 0 and self.path.exists():  # drop rows logged after the checkpoint we resume from
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
        with open(self.path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METRIC_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(out / "tensorboard"), purge_step=resume_step + 1 if resume_step else None)
            except ImportError:
                log.info("tensorboard is not installed: logging to %s only", self.path)

    def log(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=METRIC_FIELDS).writerow({k: row.get(k, "") for k in METRIC_FIELDS})
        if self.tb is not None:
            for key in ("loss", "lr", "grad_norm", "val_loss"):
                if row.get(key) not in (None, ""):
                    self.tb.add_scalar(f"train/{key}" if key != "val_loss" else "val/loss", float(row[key]), row["step"])
            self.tb.flush()

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_loss(metrics_csv: Path, png: Path) -> Path:
    """Loss per step (and held-out loss where measured) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_csv)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = [int(r["step"]) for r in rows if r["loss"]]
    ax.plot(steps, [float(r["loss"]) for r in rows if r["loss"]], label="train loss", lw=1.2)
    val = [(int(r["step"]), float(r["val_loss"])) for r in rows if r.get("val_loss")]
    if val:
        ax.plot(*zip(*val), "o-", label="held-out loss", ms=4)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (answer tokens)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return png
