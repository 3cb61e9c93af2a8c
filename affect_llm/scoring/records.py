"""Reading prediction and gold files (JSON Lines), with errors a user can act on.

Each line is one object with an ``id`` and, depending on the task, ``text`` (free text),
``emotions`` (a list of emotion words, or one comma-separated string as in the published
CSVs), ``label`` (one class name) or ``score`` (a sentiment value). Every problem names the
file and the line: malformed JSON, a missing or duplicate id, a missing field, an empty file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

TEXT_FIELDS = ("text", "emotions")


@dataclass(frozen=True)
class Record:
    """One line of a prediction or gold file."""

    id: str
    text: str | None = None
    emotions: tuple[str, ...] | str | None = None
    label: str | None = None
    score: float | None = None
    line: int = 0

    @property
    def has_words(self) -> bool:
        return self.text is not None or self.emotions is not None


def _field_error(path: Path, lineno: int, msg: str) -> InputError:
    return InputError(f"{path}:{lineno}: {msg}")


def _parse(obj: object, path: Path, lineno: int) -> Record:
    if not isinstance(obj, dict):
        raise _field_error(path, lineno, f"expected a JSON object, got {type(obj).__name__}")
    if "id" not in obj or obj["id"] is None or obj["id"] == "":
        raise _field_error(path, lineno, 'missing "id"')
    rid = obj["id"]
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise _field_error(path, lineno, f'"id" must be a string or an integer, got {json.dumps(rid)[:40]}')
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise _field_error(path, lineno, f'"text" must be a string, got {type(text).__name__}')
    emotions = obj.get("emotions")
    if emotions is not None:
        if isinstance(emotions, list):
            if not all(isinstance(e, str) for e in emotions):
                raise _field_error(path, lineno, '"emotions" must be a list of strings')
            emotions = tuple(emotions)
        elif not isinstance(emotions, str):
            raise _field_error(path, lineno, '"emotions" must be a list of strings or one comma-separated string')
    label = obj.get("label")
    score = obj.get("score")
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        score, label = (label if score is None else score), None
    if label is not None and not isinstance(label, str):
        raise _field_error(path, lineno, f'"label" must be a string, got {type(label).__name__}')
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise _field_error(path, lineno, f'"score" must be a finite number, got {json.dumps(score)[:40]}')
        score = float(score)
    return Record(str(rid), text, emotions, label, score, lineno)


def jsonl_objects(path: str | Path, role: str = "input") -> Iterator[tuple[int, Any]]:
    """``(line number, parsed JSON)`` of every non-blank line of a JSONL file (a UTF-8 BOM is
    allowed). ``InputError`` names the file, and the line, for a missing or unreadable file, bytes
    that are not UTF-8 and malformed JSON. The one JSONL reader of the scorer and the checker."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist")
    if path.is_dir():
        raise InputError(f"{role} file {path} is a folder: give a .jsonl file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {role} file {path}: {exc.strerror or exc}") from exc
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _field_error(path, lineno, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        try:
            yield lineno, json.loads(text)
        except json.JSONDecodeError as exc:
            raise _field_error(path, lineno, f"malformed JSON ({exc.msg}, column {exc.colno})") from exc


def read_jsonl(path: str | Path, role: str = "input") -> dict[str, Record]:
    """Records by id, in file order. Raises ``InputError`` naming the file (and line)."""
    path = Path(path)
    records: dict[str, Record] = {}
    for lineno, obj in jsonl_objects(path, role):
        record = _parse(obj, path, lineno)
        if record.id in records:
            raise _field_error(path, lineno, f"duplicate id {record.id!r} (first on line {records[record.id].line})")
        records[record.id] = record
    if not records:
        raise InputError(f"{role} file {path} is empty: expected one JSON object per line, "
                         'e.g. {"id": "clip1", "text": "She looks happy."}')
    return records


def require(records: dict[str, Record], path: str | Path, fields: tuple[str, ...], what: str) -> None:
    """Every record has at least one of ``fields`` (else an error naming the first bad line)."""
    for rec in records.values():
        if not any(getattr(rec, f) is not None for f in fields):
            names = " or ".join(f'"{f}"' for f in fields)
            raise InputError(f"{path}:{rec.line}: id {rec.id!r} has no {names} ({what})")
