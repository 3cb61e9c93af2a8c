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
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AffectError, InputError
from .perception import PerceiveOptions
from .results import error_record, result_record

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv"}
# Sound-only recordings are clips too (``media.clip``: no picture, the face is missing): real
# emotional speech is mostly recorded as sound alone.
SOUND_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac"}
MEDIA_SUFFIXES = VIDEO_SUFFIXES | SOUND_SUFFIXES


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


def _row_fields(row: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(id, video, subtitle)`` of a manifest row; ``ValueError`` says what is wrong with it."""
    key = "video" if row.get("video") not in (None, "") else "path"
    video = row.get(key)
    if video is None or video == "":
        raise ValueError("no 'video' field")
    if not isinstance(video, str):
        raise ValueError(f"'{key}' must be a path (a string), got {json.dumps(video)[:40]}")  # noqa: TRY004
    if "\x00" in video:
        raise ValueError(f"'{key}' contains a NUL byte")
    raw_id = row.get("id") if row.get("id") not in (None, "") else row.get("name")
    if raw_id in (None, ""):
        clip_id = Path(video).stem
    elif isinstance(raw_id, str) or (isinstance(raw_id, int) and not isinstance(raw_id, bool)):
        clip_id = str(raw_id)
    else:
        raise ValueError(f"'id' must be a string or an integer, got {json.dumps(raw_id)[:40]}")
    subtitle = row.get("subtitle")
    if subtitle is not None and not isinstance(subtitle, str):
        raise ValueError(f"'subtitle' must be text, got {json.dumps(subtitle)[:40]}")
    return clip_id, video, subtitle or None


def _items_from_rows(path: Path, rows: Iterable[tuple[int, dict[str, Any] | None, str | None]]) -> list[InputItem]:
    items: list[InputItem] = []
    first_line: dict[str, int] = {}
    for line, row, parse_error in rows:
        if parse_error:
            items.append(_manifest_error(path, line, parse_error))
            continue
        assert row is not None
        try:
            clip_id, video, subtitle = _row_fields(row)
        except ValueError as exc:
            items.append(_manifest_error(path, line, str(exc)))
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
        items.append(InputItem(id=clip_id, video=video_path, subtitle=subtitle, line=line))
    return items


def _read_manifest_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read manifest {path} ({exc.strerror or exc}): check the file") from exc


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Rows of a JSONL manifest; a line that is not UTF-8 or not a JSON object is reported as such.

    Split on ``\\n`` only (as every JSONL writer ends its lines): ``str.splitlines`` would also
    split inside a line at U+2028 or a form feed and shift every later line number."""
    data = _read_manifest_bytes(path)
    for n, raw in enumerate(data.split(b"\n"), 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield n, None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the manifest as UTF-8"
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield n, None, f"not valid JSON ({exc.msg})"
            continue
        except RecursionError:
            yield n, None, "not valid JSON (nested too deeply)"
            continue
        yield (n, row, None) if isinstance(row, dict) else (n, None, "not a JSON object")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Rows of a CSV manifest. Bytes that are not UTF-8 survive decoding as lone surrogates, so
    only the rows that hold them are reported, not the whole file."""
    text = _read_manifest_bytes(path).decode("utf-8", errors="surrogateescape")
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            n = reader.line_num  # the row's last physical line (line 1 is the header)
            if any(_undecodable(v) for kv in row.items() for v in kv if isinstance(v, str)):
                yield n, None, "not UTF-8 text; save the manifest as UTF-8"
                continue
            yield n, {k.strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()
                      if isinstance(k, str) and k}, None
    except csv.Error as exc:
        yield reader.line_num, None, f"not valid CSV ({exc}); the rest of the file is skipped"


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def folder_items(folder: Path) -> list[InputItem]:
    """Every video or sound file in ``folder``, sorted; its id is the file name without suffix, or
    with it when two files share a stem (``dup.mp4``, ``dup.wav``), so ids stay unique and a
    resume never takes one clip's answer for another's."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES and _is_file(p))
    ids = {p: p.stem for p in files}
    while True:
        seen: dict[str, int] = {}
        for ident in ids.values():
            seen[ident] = seen.get(ident, 0) + 1
        clashes = [p for p, ident in ids.items() if seen[ident] > 1 and ident != p.name]
        if not clashes:
            break
        for p in clashes:  # names are unique in a folder, so this ends
            ids[p] = p.name
    return [InputItem(id=ids[p], video=p) for p in files]


# Files a folder of clips holds beside them on purpose: sidecar subtitles (``media.subtitle``),
# manifests, gold files and notes. Anything else that is not a clip is worth a word to the user.
COMPANION_SUFFIXES = {".srt", ".txt", ".jsonl", ".json", ".csv", ".md", ".log"}


def skipped_files(folder: Path) -> list[Path]:
    """Files of ``folder`` that ``folder_items`` leaves out and a user may have meant as clips
    (a photo, a ``.3gp`` video): not media, not a companion file, not hidden. Why: a folder run
    that silently drops ``face.jpg`` reads as if every file had an answer."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() not in MEDIA_SUFFIXES | COMPANION_SUFFIXES
                  and not p.name.startswith(".") and _is_file(p))


def _is_file(path: Path) -> bool:
    """A regular file (or a symlink to one); a FIFO named ``x.mp4`` is left to the decoder's refusal."""
    try:
        return path.is_file() or (path.exists() and not path.is_dir())
    except OSError:
        return False


def collect_inputs(source: str | Path) -> list[InputItem]:
    """A folder (every video or sound file in it, sorted), a ``.jsonl`` or a ``.csv`` manifest."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source} does not exist: give a folder of clips or a .jsonl/.csv manifest")
    if source.is_dir():
        items = folder_items(source)
        if not items:
            raise InputError(f"{source} holds no video or sound files ({', '.join(sorted(MEDIA_SUFFIXES))})")
        return items
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
    question: str = "description"  # or "labels" (models.questions): what each clip is asked


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
    except Exception as exc:
        log.exception("perception failed on %s", item.video)
        return item, None, error_record(item.id, f"{type(exc).__name__}: {exc}", "perceive",
                                        video=str(item.video))


def worker_died_record(item: InputItem, cause: str, signal_name: str | None) -> dict[str, Any]:
    """The record of a clip on which perception workers kept dying (see ``perception_pool``)."""
    extra = {"signal": signal_name} if signal_name else {}
    return error_record(item.id, cause, "perception", video=str(item.video), **extra)


def _perceived(items: list[InputItem], options: InferOptions) -> Iterator[tuple[InputItem, Any, dict | None]]:
    """Perception results in input order, with a bounded number of clips decoded ahead. Workers
    that die are replaced, and their clips retried once or recorded (``perception_pool``)."""
    if options.workers <= 0:
        for item in items:
            yield perceive_item(item, options.perceive)
        return
    from .perception_pool import PerceptionPool

    ahead = options.max_in_flight or max(2 * options.batch_size, 2 * options.workers)
    pool = PerceptionPool(options.workers, perceive_item, initializer=_init_worker, initargs=(options.perceive,),
                          failed=worker_died_record)
    yield from pool.imap(items, ahead)


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
    from .models.questions import ask, check_question

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
    if model is not None:
        check_question(model, options.question)  # before any clip is perceived
    batch: list[Any] = []

    def flush(batch: list[Any], errors: list[dict[str, Any]]) -> None:
        records = list(errors)
        if batch:
            t0 = time.perf_counter()
            try:
                answers = ask(model, batch, options.question)
            except Exception as exc:
                log.exception("generation failed for a batch of %d", len(batch))
                answers = None
                for p in batch:
                    records.append(error_record(p.clip_id, f"{type(exc).__name__}: {exc}", "generate",
                                                video=str(p.path)))
            gen_s = (time.perf_counter() - t0) / len(batch)
            for p, a in zip(batch, answers or []):
                record = result_record(p, a, model.name, dict(p.timings, generate_s=round(gen_s, 4)))
                record["video"] = str(p.path)  # which file, also when ids are file names
                records.append(record)
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
