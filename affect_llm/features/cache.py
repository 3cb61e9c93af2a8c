"""Feature cache: run the frozen encoders once per clip, train from safetensors shards afterwards.

Layout (one folder per extractor spec, so encoders or sampling settings never mix)::

    ROOT/<spec_id>/spec.json                  the human-readable spec (encoder ids, sampling)
    ROOT/<spec_id>/shard-<uuid>.safetensors   tensors "<clip digest>/<stream>" for up to N clips
    ROOT/<spec_id>/shard-<uuid>.json          sidecar: per clip, its streams and a checksum

A clip is keyed by the SHA-256 of its bytes, so an edited or replaced file is a cache miss,
never a stale hit; a change of encoder weights or preprocessing changes ``spec_id``. A shard is
written to a temporary name and renamed, then its sidecar likewise: a shard without a sidecar
(a killed writer) is ignored. Every read checks the entry's checksum; a shard that cannot be
read or does not match is deleted with a warning and its clips are rebuilt on the next
``ensure`` (or on the spot by the training data loader when the encoders are available).
There is no shared index file, so concurrent writers (several ranks, several jobs) never
overwrite each other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from ..assets import cache_dir, file_digest
from ..errors import AffectError
from .batch import ClipFeatures
from .clipfiles import ClipFiles

log = logging.getLogger(__name__)

_DIGESTS: dict[tuple[str, int, int], str] = {}


def clip_digest(path: str | os.PathLike | ClipFiles) -> str:
    """SHA-256 of a clip's bytes (memoised per process on path, size and mtime); for a
    ``ClipFiles``, of the digests of its video and side files, each labelled by its role."""
    if isinstance(path, ClipFiles):
        parts = [f"{role}:{clip_digest(p)}" for role, p in
                 (("video", path.video), ("faces", path.faces), ("audio", path.audio)) if p is not None]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
    st = os.stat(path)
    key = (os.fspath(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = file_digest(path)
    return _DIGESTS[key]


def features_checksum(features: ClipFeatures) -> str:
    """Checksum of an entry: stream names, dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for name in sorted(features):
        t = features[name].detach().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:32]


def default_cache_root() -> Path:
    return cache_dir("features")


class FeatureCache:
    """Sharded safetensors store of ``ClipFeatures`` for one extractor spec."""

    def __init__(self, root: str | os.PathLike | None, spec: dict[str, Any], spec_id: str, shard_size: int = 256):
        self.root = Path(root) if root is not None else default_cache_root()
        self.dir = self.root / spec_id
        self.spec = spec
        self.spec_id = spec_id
        self.shard_size = max(1, shard_size)
        self.storage_dtype = getattr(torch, spec.get("feature_dtype", "float32"))
        self.dir.mkdir(parents=True, exist_ok=True)
        spec_file = self.dir / "spec.json"
        if not spec_file.exists():
            tmp = spec_file.with_suffix(f".{uuid.uuid4().hex}.tmp")
            tmp.write_text(json.dumps(spec, indent=1, sort_keys=True))
            tmp.replace(spec_file)
        self._index: dict[str, tuple[str, dict[str, Any]]] = {}
        self.reload()

    @classmethod
    def for_extractor(cls, extractor: Any, root: str | os.PathLike | None = None, shard_size: int = 256) -> FeatureCache:
        return cls(root, extractor.spec, extractor.spec_id, shard_size)

    # ------------------------------------------------------------------------------ index
    def reload(self) -> None:
        """Re-read the sidecars (other processes may have added shards)."""
        index: dict[str, tuple[str, dict[str, Any]]] = {}
        for sidecar in sorted(self.dir.glob("shard-*.json")):
            shard = sidecar.with_suffix(".safetensors")
            try:
                meta = json.loads(sidecar.read_text())
                if meta.get("spec_id") != self.spec_id:
                    raise ValueError(f"written for spec {meta.get('spec_id')}, not {self.spec_id}")
                entries = meta["entries"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("feature cache: dropping unreadable sidecar %s (%s); its clips will be rebuilt",
                            sidecar, exc)
                self._remove_shard(shard)
                continue
            if not shard.exists():
                log.warning("feature cache: %s has no shard file; its clips will be rebuilt", sidecar)
                self._remove_shard(shard)
                continue
            for digest, entry in entries.items():
                index[digest] = (shard.name, entry)
        self._index = index

    def __contains__(self, digest: str) -> bool:
        return digest in self._index

    def __len__(self) -> int:
        return len(self._index)

    def _remove_shard(self, shard: Path) -> None:
        for p in (shard, shard.with_suffix(".json")):
            p.unlink(missing_ok=True)
        self._index = {d: v for d, v in self._index.items() if v[0] != shard.name}

    # ------------------------------------------------------------------------------ read
    def get(self, digest: str) -> ClipFeatures | None:
        """The clip's features, or None (a miss, or a corrupt entry, which is dropped with a warning)."""
        hit = self._index.get(digest)
        if hit is None:
            return None
        shard_name, entry = hit
        shard = self.dir / shard_name
        try:
            from safetensors import safe_open

            with safe_open(str(shard), framework="pt") as f:
                feats = {name: f.get_tensor(f"{digest}/{name}") for name in entry["streams"]}
            if features_checksum(feats) != entry["checksum"]:
                raise ValueError("checksum mismatch")
        except Exception as exc:  # noqa: BLE001 - safetensors raises several private error types
            log.warning("feature cache: shard %s is corrupt (%s): deleting it; its %d clip(s) will be rebuilt",
                        shard, exc, sum(1 for v in self._index.values() if v[0] == shard_name))
            self._remove_shard(shard)
            return None
        return {name: t.float() for name, t in feats.items()}

    # ------------------------------------------------------------------------------ write
    def put(self, entries: dict[str, ClipFeatures]) -> None:
        """Store clips' features in new shards of up to ``shard_size`` clips each."""
        items = list(entries.items())
        for start in range(0, len(items), self.shard_size):
            self._write_shard(dict(items[start:start + self.shard_size]))

    def _write_shard(self, entries: dict[str, ClipFeatures]) -> None:
        from safetensors.torch import save_file

        name = f"shard-{uuid.uuid4().hex[:16]}"
        shard = self.dir / f"{name}.safetensors"
        tensors: dict[str, torch.Tensor] = {}
        meta: dict[str, Any] = {}
        for digest, feats in entries.items():
            stored = {k: v.detach().to(self.storage_dtype).contiguous() for k, v in feats.items()}
            for k, v in stored.items():
                tensors[f"{digest}/{k}"] = v
            meta[digest] = {"streams": sorted(stored), "checksum": features_checksum(stored)}
        tmp = shard.with_suffix(".safetensors.tmp")
        if tensors:
            save_file(tensors, str(tmp))
        else:  # clips with no stream at all still get an entry (and are not re-encoded every run)
            tmp.write_bytes(_EMPTY_SAFETENSORS)
        tmp.replace(shard)
        sidecar = shard.with_suffix(".json")
        tmp_json = sidecar.with_suffix(".json.tmp")
        tmp_json.write_text(json.dumps({"spec_id": self.spec_id, "entries": meta}))
        tmp_json.replace(sidecar)
        for digest, entry in meta.items():
            self._index[digest] = (shard.name, entry)

    def ensure(self, paths: Iterable[Path], extract: Callable[[Path], ClipFeatures],
               on_error: Callable[[Path, AffectError], None], progress: bool = True) -> dict[Path, str]:
        """Make sure every clip in ``paths`` is cached; returns ``{path: digest}`` for the clips that are.

        ``extract`` computes a missing clip's features; a clip it cannot read (``AffectError``) is
        passed to ``on_error`` (which reports it, and raises to stop or returns to skip).
        """
        from tqdm import tqdm

        self.reload()
        digests: dict[Path, str] = {}
        todo: list[Path] = []
        for p in dict.fromkeys(paths):
            d = clip_digest(p)
            digests[p] = d
            if d not in self._index:
                todo.append(p)
        pending: dict[str, ClipFeatures] = {}
        failed: list[Path] = []
        for p in tqdm(todo, desc="encoding clips", unit="clip", disable=not progress or not todo
                      or os.environ.get("TQDM_DISABLE", "") not in ("", "0")):
            try:
                pending[digests[p]] = extract(p)
            except AffectError as exc:
                on_error(p, exc)
                failed.append(p)
                continue
            if len(pending) >= self.shard_size:
                self.put(pending)
                pending = {}
        if pending:
            self.put(pending)
        if todo:
            log.info("feature cache %s: %d clip(s) encoded, %d failed, %d already cached",
                     self.dir, len(todo) - len(failed), len(failed), len(digests) - len(todo))
        return {p: d for p, d in digests.items() if p not in failed}


# A valid safetensors file with no tensors: 8-byte header length + "{}" padded to 8 bytes.
_EMPTY_SAFETENSORS = (8).to_bytes(8, "little") + b"{}      "
