"""The small harness every benchmark row uses: two ways of doing the same work, interleaved.

Interleaving (A, B, A, B, ...) and taking medians keeps slow drift of a shared machine (another
process, thermal state, page cache) from favouring whichever side ran first.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work"  # generated inputs (git-ignored)


@dataclass
class Row:
    name: str
    ours_label: str
    base_label: str
    unit: str
    ours: float
    base: float | None
    ratio: float | None  # how many times better ours is (higher is better, whatever the unit's direction)
    target: str = ""
    met: bool | None = None
    repeats: int = 1
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def interleaved(ours: Callable[[], float | None], base: Callable[[], float | None],
                repeats: int) -> tuple[float, float]:
    """Run ``ours`` and ``base`` alternately; each returns its own measure or None to use wall time."""
    a, b = interleaved_many([ours, base], repeats)
    return a, b


def interleaved_many(fns: list[Callable[[], float | None]], repeats: int) -> list[float]:
    """``interleaved`` for any number of ways of doing the same work (A, B, C, A, B, C, ...)."""
    values: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, into in zip(fns, values):
            t0 = time.perf_counter()
            value = fn()
            into.append(value if value is not None else time.perf_counter() - t0)
    return [statistics.median(v) for v in values]


def peak_rss_mb(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Peak resident memory of a command, from GNU time's ``%M`` (KiB)."""
    out = subprocess.run(["/usr/bin/time", "-f", "PEAKRSS %M", *cmd], capture_output=True, text=True,
                         env=env, check=True)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("PEAKRSS ")][-1]
    return int(line.split()[1]) / 1024


def example_copies(root: Path, n: int, *, distinct: bool = False,
                   sources: tuple[str, ...] = ("cheerful", "angry")) -> list[Path]:
    """``n`` copies of the example clips (taken in turn) in ``root``. ``distinct`` appends a byte
    per copy, so content-keyed caches see ``n`` different clips."""
    out = []
    for i in range(n):
        data = (REPO / "examples" / f"{sources[i % len(sources)]}.mp4").read_bytes()
        path = root / f"clip{i:03d}.mp4"
        path.write_bytes(data + bytes([i % 256]) if distinct else data)
        out.append(path)
    return out


def make_clip(path: Path, seconds: int, width: int = 640, height: int = 480, fps: int = 25) -> Path:
    """A synthetic clip with ffmpeg (test pattern + tone), made once and reused."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
                    "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(tmp)], check=True)
    tmp.rename(path)
    return path
