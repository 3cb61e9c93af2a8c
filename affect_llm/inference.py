"""Batch inference over many clips: one pipeline, pipelined and resumable.

* Inputs are a folder of videos, a JSONL manifest or a CSV manifest (``collect_inputs``).
* Perception (decode, faces, expression, prosody, Whisper) runs in worker processes, ahead of
  the LLM, which answers in batches (left padding, KV cache) in the main process.
* Results are appended to a JSONL file and flushed (and fsync'ed) once per batch: a kill at any
  moment loses at most the batch in flight, and ``ResultStore`` repairs a torn last line, so
  every line stays valid JSON. Ids already in the output are skipped on the next run.
* A clip that fails becomes ``{"id", "error", "stage"}``; the run goes on.
* Data parallelism: under ``accelerate launch``/``torchrun`` (``WORLD_SIZE`` > 1) each rank takes
  every WORLD_SIZE-th input, writes its own part file, and rank 0 merges the parts at the end.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import AffectError, InputError
from .perception import PerceiveOptions
from .results import error_record, result_record

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv"}


@dataclass
class InputItem:
    id: str
    video: Path | None
    subtitle: str | None = None
    line: int | None = None  # manifest line (1-based) for error messages
    problem: str | None = None  # set when the manifest entry itself is unusable
    stage: str = "manifest"


def _manifest_error(path: Path, line: int, what: str) -> InputItem:
    return InputItem(id=f"{path.name}@line{line}", video=None, line=line, problem=f"{path}:{line}: {what}")


def _items_from_rows(path: Path, rows: Iterable[tuple[int, dict[str, Any] | None, str | None]]) -> list[InputItem]:
    items: list[InputItem] = []
    first_line: dict[str, int] = {}
    for line, row, parse_error in rows:
        if parse_error:
            items.append(_manifest_error(path, line, parse_error))
            continue
        assert row is not None
        video = row.get("video") or row.get("path")
        clip_id = str(row.get("id") or row.get("name") or (Path(video).stem if video else ""))
        if not video:
            items.append(_manifest_error(path, line, "no 'video' field"))
            continue
        if clip_id in first_line:
            # Its own id, so resuming never mistakes this record for the first entry's answer.
            items.append(InputItem(id=f"{clip_id}@line{line}", video=None, line=line,
                                   problem=f"{path}:{line}: duplicate id {clip_id!r} (first at line "
                                   f"{first_line[clip_id]}); this entry is skipped"))
            continue
        first_line[clip_id] = line
        video_path = Path(video)
        if not video_path.is_absolute():
            video_path = path.parent / video_path  # paths are relative to the manifest
        subtitle = row.get("subtitle")
        items.append(InputItem(id=clip_id, video=video_path, subtitle=subtitle or None, line=line))
    return items


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield n, None, f"not valid JSON ({exc.msg})"
                continue
            yield (n, row, None) if isinstance(row, dict) else (n, None, "not a JSON object")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    with open(path, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 2):  # line 1 is the header
            yield n, {k.strip(): (v or "").strip() for k, v in row.items() if k}, None


def collect_inputs(source: str | Path) -> list[InputItem]:
    """A folder (every video file in it, sorted), a ``.jsonl`` or a ``.csv`` manifest."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source} does not exist: give a folder of clips or a .jsonl/.csv manifest")
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if not files:
            raise InputError(f"{source} holds no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
        return [InputItem(id=p.stem, video=p) for p in files]
    suffix = source.suffix.lower()
    if suffix in (".jsonl", ".json"):
        items = _items_from_rows(source, _jsonl_rows(source))
    elif suffix == ".csv":
        items = _items_from_rows(source, _csv_rows(source))
    else:
        raise InputError(f"{source}: unknown input type; give a folder, a .jsonl or a .csv manifest")
    if not items:
        raise InputError(f"{source} is empty: add one line per clip, e.g. {{\"id\": \"c1\", \"video\": \"c1.mp4\"}}")
    return items


class ResultStore:
    """Append-only JSONL results that survive kills: flushed and fsync'ed once per batch."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.done: set[str] = set()
        self._repair_and_load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a", encoding="utf-8")

    def _repair_and_load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            # A kill during the last write left a partial line: cut it (its clip is redone).
            cut = data.rfind(b"\n") + 1
            log.warning("%s: removing a partial last line left by an interrupted run", self.path)
            with open(self.path, "r+b") as f:
                f.truncate(cut)
            data = data[:cut]
        for n, text in enumerate(data.decode("utf-8").splitlines(), 1):
            if not text.strip():
                continue
            try:
                self.done.add(str(json.loads(text)["id"]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{self.path}:{n} is not a result line ({exc}); move the file away "
                                 "or fix that line before resuming") from exc

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self._f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self._f.flush()
        os.fsync(self._f.fileno())
        self.done.update(str(r["id"]) for r in records)

    def close(self) -> None:
        self._f.close()


@dataclass
class InferOptions:
    model: str = "default"
    batch_size: int = 8
    workers: int = 1
    perceive: PerceiveOptions = field(default_factory=PerceiveOptions)
    max_in_flight: int = 0  # perception results held ahead of the LLM (0: 2 batches)


@dataclass
class InferSummary:
    total: int = 0
    skipped_done: int = 0
    answered: int = 0
    failed: int = 0
    failed_by_stage: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def clips_per_s(self) -> float:
        done = self.answered + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0


# ---- worker side -------------------------------------------------------------------------------

_WORKER_OPTIONS: PerceiveOptions | None = None


def _init_worker(options: PerceiveOptions) -> None:
    """Worker processes use one thread each: parallelism comes from the processes."""
    global _WORKER_OPTIONS
    _WORKER_OPTIONS = options
    import torch

    torch.set_num_threads(1)


def perceive_item(item: InputItem, options: PerceiveOptions | None = None) -> tuple[InputItem, Any, dict | None]:
    """Perceive one clip; failures come back as an error record instead of raising."""
    from dataclasses import replace

    from .perception import perceive

    options = options or _WORKER_OPTIONS or PerceiveOptions()
    if item.subtitle:
        options = replace(options, subtitle=item.subtitle)
    try:
        return item, perceive(item.video, options), None
    except InputError as exc:
        return item, None, error_record(item.id, str(exc), "decode", video=str(item.video))
    except AffectError as exc:
        return item, None, error_record(item.id, str(exc), "perceive", video=str(item.video))
    except Exception as exc:  # noqa: BLE001 - one bad clip must not stop a run of thousands
        log.exception("perception failed on %s", item.video)
        return item, None, error_record(item.id, f"{type(exc).__name__}: {exc}", "perceive",
                                        video=str(item.video))


def _perceived(items: list[InputItem], options: InferOptions) -> Iterator[tuple[InputItem, Any, dict | None]]:
    """Perception results in input order, with a bounded number of clips decoded ahead."""
    if options.workers <= 0:
        for item in items:
            yield perceive_item(item, options.perceive)
        return
    import multiprocessing as mp

    ahead = options.max_in_flight or max(2 * options.batch_size, 2 * options.workers)
    ctx = mp.get_context("spawn")  # fork after torch has started threads can deadlock
    with ctx.Pool(options.workers, initializer=_init_worker, initargs=(options.perceive,)) as pool:
        pending: deque = deque()
        queue = iter(items)
        for item in queue:
            pending.append(pool.apply_async(perceive_item, (item,)))
            if len(pending) >= ahead:
                break
        while pending:
            result = pending.popleft().get()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append(pool.apply_async(perceive_item, (nxt,)))
            yield result


# ---- main side ---------------------------------------------------------------------------------

def shard(items: list[InputItem], rank: int, world: int) -> list[InputItem]:
    return items[rank::world] if world > 1 else items


def run_inference(
    items: list[InputItem],
    store: ResultStore,
    options: InferOptions,
    progress: Callable[[int], None] | None = None,
    device: str = "cpu",
) -> InferSummary:
    """Answer every item not yet in ``store``; returns counts and timing."""
    from .models import load_model

    start = time.perf_counter()
    summary = InferSummary(total=len(items))
    todo = [it for it in items if it.id not in store.done]
    summary.skipped_done = len(items) - len(todo)
    manifest_errors = [it for it in todo if it.problem]
    clips = [it for it in todo if not it.problem]
    pending_records: list[dict[str, Any]] = []
    for it in manifest_errors:
        pending_records.append(error_record(it.id, it.problem or "", it.stage, line=it.line))
        summary.failed += 1
        summary.failed_by_stage[it.stage] = summary.failed_by_stage.get(it.stage, 0) + 1
    store.write(pending_records)
    if progress and manifest_errors:
        progress(len(manifest_errors))

    model = load_model(options.model, device=device) if clips else None
    batch: list[Any] = []

    def flush(batch: list[Any], errors: list[dict[str, Any]]) -> None:
        records = list(errors)
        if batch:
            t0 = time.perf_counter()
            try:
                answers = model.answer(batch)
            except Exception as exc:  # noqa: BLE001 - record, go on with the next batch
                log.exception("generation failed for a batch of %d", len(batch))
                answers = None
                for p in batch:
                    records.append(error_record(p.clip_id, f"{type(exc).__name__}: {exc}", "generate"))
            gen_s = (time.perf_counter() - t0) / len(batch)
            for p, a in zip(batch, answers or []):
                records.append(result_record(p, a, model.name, dict(p.timings, generate_s=round(gen_s, 4))))
        for r in records:
            if "error" in r:
                summary.failed += 1
                summary.failed_by_stage[r["stage"]] = summary.failed_by_stage.get(r["stage"], 0) + 1
            else:
                summary.answered += 1
        store.write(records)
        if progress:
            progress(len(records))

    errors: list[dict[str, Any]] = []
    for item, perception, error in _perceived(clips, options):
        if error is not None:
            errors.append(error)
        else:
            perception.clip_id = item.id
            batch.append(perception)
        if len(batch) >= options.batch_size:
            flush(batch, errors)
            batch, errors = [], []
    flush(batch, errors)
    summary.seconds = time.perf_counter() - start
    return summary


def merge_parts(output: Path, parts: list[Path]) -> int:
    """Append the lines of rank part files to ``output`` (ids already there are skipped)."""
    store = ResultStore(output)
    added = 0
    try:
        for part in parts:
            if not part.exists():
                continue
            records = []
            for text in part.read_text(encoding="utf-8").splitlines():
                if text.strip():
                    rec = json.loads(text)
                    if str(rec["id"]) not in store.done:
                        records.append(rec)
            store.write(records)
            added += len(records)
    finally:
        store.close()
    return added
