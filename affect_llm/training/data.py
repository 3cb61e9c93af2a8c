"""Training data: MER-Caption-style JSONL manifests, features per clip, deterministic batches.

A manifest line is ``{"id", "video", "subtitle"?, "description", "emotions"?, "faces"?, "audio"?}``
with paths relative to the manifest (``description`` or ``emotions`` may be left out, not both;
``faces`` is a release's OpenFace ``.npy`` crops and ``audio`` its ``.wav``, used instead of what
we would extract from the video: ``features.clipfiles``). Every
problem — bad JSON, a missing key, a wrong type, a duplicate id, a clip that is not there or
cannot be decoded — is reported as ``MANIFEST:LINE: reason``; ``data.on_error`` decides whether
such lines are skipped (each one logged, plus a count) or stop the run. Nothing is dropped
silently.

Order and randomness are functions of ``(seed, epoch, index)`` only: the permutation of an
epoch, the hybrid target choice and the modality dropout of a sample. A run resumed at step
``s`` therefore sees exactly the samples, targets and dropouts the uninterrupted run saw.

``data.train`` may name several manifests with sample ratios (``Mixture``): an epoch of the
mixture then holds ``round(ratio * size)`` draws from each, and which sample fills a draw is
again a function of ``(seed, epoch, slot)`` alone, so mixing keeps that property.
"""

from __future__ import annotations

import bisect
import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import AffectError, InputError
from ..features.batch import ClipFeatures, collate_features
from ..features.clipfiles import ClipFiles, clip_files

log = logging.getLogger(__name__)


@dataclass
class Sample:
    id: str
    video: Path
    subtitle: str | None
    description: str | None
    emotions: list[str] | None
    line: int
    manifest: Path
    faces: Path | None = None
    audio: Path | None = None

    @property
    def where(self) -> str:
        return f"{self.manifest}:{self.line}"

    @property
    def clip(self) -> Path | ClipFiles:
        """What the encoders read and the feature cache keys on: the video, plus its side files."""
        return clip_files(self.video, self.faces, self.audio)


@dataclass
class Problems:
    """Manifest problems found so far, each ``FILE:LINE: reason``."""

    on_error: str
    report: bool = True  # False on ranks other than 0: one copy of each warning
    items: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        msg = f"{where}: {reason}"
        self.items.append(msg)
        if self.on_error == "skip" and self.report:
            log.warning("skipping %s", msg)

    def finish(self, what: str) -> None:
        """Raise (``on_error: fail``) or log a summary (``skip``) if there were problems."""
        if not self.items:
            return
        if self.on_error == "fail":
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise InputError(f"{len(self.items)} bad entr{'y' if len(self.items) == 1 else 'ies'} in {what}: "
                             + "; ".join(self.items[:5]) + more
                             + ". Fix them, or set data.on_error: skip to leave them out")
        if self.report:
            log.warning("%s: skipped %d bad entr%s (listed above)", what, len(self.items),
                        "y" if len(self.items) == 1 else "ies")


def _check_str(entry: dict[str, Any], key: str, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ValueError(f"missing key {key!r}")
        return None
    if not isinstance(value, str):  # ValueError: every line problem is reported the same way
        raise ValueError(f"{key!r} must be a string, got {type(value).__name__}")  # noqa: TRY004
    return value


def read_manifest(path: str | Path, problems: Problems) -> list[Sample]:
    """Parse a JSONL manifest; bad lines go to ``problems`` (call ``problems.finish`` after)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read manifest {path}: {exc.strerror}") from exc
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    # Lines are split on b"\n" and decoded one by one: a stray non-UTF-8 byte is that line's
    # problem, not the whole manifest's.
    for lineno, raw_bytes in enumerate(data.split(b"\n"), start=1):
        if lineno == 1 and raw_bytes.startswith(b"\xef\xbb\xbf"):
            raw_bytes = raw_bytes[3:]  # a UTF-8 byte-order mark
        if not raw_bytes.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(where, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the manifest as UTF-8")
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.add(where, f"not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.add(where, "not valid JSON (nested too deeply)")
            continue
        try:
            if not isinstance(entry, dict):
                raise ValueError("a line must be a JSON object")  # noqa: TRY004 - reported per line
            ident = _check_str(entry, "id", True)
            video = _check_str(entry, "video", True)
            subtitle = _check_str(entry, "subtitle", False)
            description = _check_str(entry, "description", False)
            emotions = entry.get("emotions")
            if emotions is not None:
                if isinstance(emotions, str):
                    emotions = [e.strip() for e in emotions.strip("[]").split(",") if e.strip()]
                if not isinstance(emotions, list) or not all(isinstance(e, str) for e in emotions):
                    raise ValueError("'emotions' must be a list of strings")
                emotions = [e.strip() for e in emotions if e.strip()] or None
            if not (description and description.strip()) and not emotions:
                raise ValueError("needs a non-empty 'description' or 'emotions'")
        except ValueError as exc:
            problems.add(where, str(exc))
            continue
        if ident in seen:
            problems.add(where, f"duplicate id {ident!r} (first on line {seen[ident]})")
            continue
        if "\x00" in video:
            problems.add(where, "'video' contains a NUL byte")
            continue
        files: dict[str, Path | None] = {}
        for key, what in (("video", "clip"), ("faces", "faces file"), ("audio", "audio file")):
            value = video if key == "video" else entry.get(key)
            if value is None:
                files[key] = None
                continue
            if not isinstance(value, str) or "\x00" in value:
                problems.add(where, f"{key!r} must be a path string")
                break
            file = Path(value).expanduser()
            file = file if file.is_absolute() else (path.parent / file)
            if not file.is_file():
                problems.add(where, f"{what} {file} " + ("is not a regular file" if file.exists() else "does not exist"))
                break
            files[key] = file
        else:
            seen[ident] = lineno
            samples.append(Sample(ident, files["video"], subtitle, description, emotions, lineno, path,  # type: ignore[arg-type]
                                  files["faces"], files["audio"]))
    return samples


def load_manifest(path: str | Path, on_error: str) -> list[Sample]:
    problems = Problems(on_error)
    samples = read_manifest(path, problems)
    problems.finish(str(path))
    if not samples:
        raise InputError(f"{path} has no usable samples")
    return samples


@dataclass
class Source:
    """One training manifest of ``data.train`` and its share of the mixture."""

    path: str
    ratio: float
    samples: list[Sample] = field(default_factory=list)


def train_sources(train: Any) -> list[tuple[str, float]]:
    """``data.train`` as ``[(path, ratio)]``: a plain path is one source at ratio 1."""
    if isinstance(train, (str, Path)):
        return [(str(train), 1.0)]
    return [(str(src.path), float(src.ratio)) for src in train]


def read_sources(train: Any, problems: Problems) -> list[Source]:
    """Parse every manifest of ``data.train`` (bad lines go to ``problems``)."""
    return [Source(path, ratio, read_manifest(path, problems)) for path, ratio in train_sources(train)]


class Mixture:
    """Which sample fills each slot of a mixture epoch; the identity for one source at ratio 1.

    Why these semantics: ``ratio`` is how many times a source's samples are drawn per epoch,
    relative to its size (0.5: half of them, a different half the next epoch; 2: each one twice,
    with independent target and dropout draws). This is upstream AffectGPT's per-dataset
    ``ratio`` (a subset of a dataset) extended to up-sampling, and it equals its loader weights
    (``MultiIterLoader``'s ``sample_ratio``, the chance that a batch comes from a dataset) when
    ``ratio_i * size_i`` is set proportional to them. Upstream draws a fixed random subset once
    and picks a dataset per batch; here the mix is per sample and a down-sampled source rotates
    through all its samples across epochs.

    Slots ``[0, count_0)`` belong to source 0, the next ``count_1`` to source 1, and so on; the
    ``StepSampler`` shuffles slots within an epoch. Epoch ``e``'s ``count_i`` slots of source
    ``i`` take positions ``e * count_i + k`` of that source's own endless stream of seeded
    permutations. When ``count_i`` equals the source's size, the slot is the sample itself, so a
    single plain manifest behaves exactly as before mixing existed.
    """

    def __init__(self, sizes: list[int], ratios: list[float], seed: int):
        if len(sizes) != len(ratios) or not sizes:
            raise ValueError("one ratio per source, at least one source")
        self.sizes = list(sizes)
        self.counts = [max(1, round(r * n)) for n, r in zip(sizes, ratios)]
        self.offsets = [0]  # first sample index of each source in the concatenated list
        self.slot_starts = [0]  # first slot of each source in an epoch
        for n, c in zip(sizes, self.counts):
            self.offsets.append(self.offsets[-1] + n)
            self.slot_starts.append(self.slot_starts[-1] + c)
        self.seed = seed
        self._perms: dict[tuple[int, int], list[int]] = {}

    def __len__(self) -> int:
        return self.slot_starts[-1]

    def _perm(self, source: int, epoch: int) -> list[int]:
        key = (source, epoch)
        if key not in self._perms:
            g = torch.Generator().manual_seed(int.from_bytes(
                random.Random(f"{self.seed}/mix/{source}/{epoch}").randbytes(7), "little"))
            self._perms = {k: v for k, v in self._perms.items() if k[0] != source}  # one per source
            self._perms[key] = torch.randperm(self.sizes[source], generator=g).tolist()
        return self._perms[key]

    def locate(self, epoch: int, slot: int) -> tuple[int, int]:
        """``(sample epoch, sample index)`` for a slot: the epoch feeds the sample's own randomness."""
        i = bisect.bisect_right(self.slot_starts, slot) - 1
        k = slot - self.slot_starts[i]
        n, c = self.sizes[i], self.counts[i]
        if c == n:
            return epoch, self.offsets[i] + k
        src_epoch, j = divmod(epoch * c + k, n)
        return src_epoch, self.offsets[i] + self._perm(i, src_epoch)[j]


def mix(sources: list[Source], seed: int) -> tuple[list[Sample], Mixture]:
    """The concatenated samples and their ``Mixture``; a source left without samples is an error."""
    for i, src in enumerate(sources):
        if not src.samples:
            which = f"data.train[{i}] " if len(sources) > 1 else ""
            raise InputError(f"{which}{src.path} has no usable samples")
    return ([s for src in sources for s in src.samples],
            Mixture([len(src.samples) for src in sources], [src.ratio for src in sources], seed))


# ---------------------------------------------------------------------------------- features
class CachedFeatures:
    """Features from the cache; a miss (e.g. a shard found corrupt) is re-encoded on the spot when
    the encoders can run, else it is an error naming the clip and its manifest line."""

    def __init__(self, cache: Any, digests: dict[Path | ClipFiles, str], extractor: Any | None):
        self.cache = cache
        self.digests = digests
        self.extractor = extractor

    def __call__(self, sample: Sample) -> ClipFeatures:
        digest = self.digests[sample.clip]
        feats = self.cache.get(digest)
        if feats is None:
            if self.extractor is None or not self.extractor.live:
                raise InputError(f"{sample.where}: features of {sample.clip} are not in the cache {self.cache.dir} "
                                 "and the encoders are precomputed-only: rebuild the cache")
            log.warning("%s: re-encoding %s (not in the cache)", sample.where, sample.clip)
            feats = self.extractor.from_clip(sample.clip)
            self.cache.put({digest: feats})
        return feats


class LiveFeatures:
    """Features from the frozen encoders at every step (no cache)."""

    def __init__(self, extractor: Any):
        self.extractor = extractor

    def __call__(self, sample: Sample) -> ClipFeatures:
        try:
            return self.extractor.from_clip(sample.clip)
        except AffectError as exc:
            raise InputError(f"{sample.where}: {exc} (with data.features: live a clip is read at "
                             "training time; use the cache to find bad clips before training)") from exc


# ---------------------------------------------------------------------------------- dataset
def sample_rng(seed: int, epoch: int, index: int, purpose: str) -> random.Random:
    """A random stream that depends only on its arguments (str seeds hash the same in every process)."""
    return random.Random(f"{seed}/{epoch}/{index}/{purpose}")


@dataclass
class Item:
    encoded: Any  # EncodedPrompt
    features: ClipFeatures
    dropped: set[str]


class CaptionDataset(torch.utils.data.Dataset):
    """Indexable by ``(epoch, index)``: the epoch feeds the per-sample randomness."""

    def __init__(self, samples: list[Sample], prompt: Any, features: Any, target: str, seed: int,
                 modality_dropout: float, stream_names: list[str], mixture: Mixture | None = None):
        self.samples = samples
        self.mixture = mixture  # None: the keys index ``samples`` directly
        self.prompt = prompt
        self.features = features
        self.target = target
        self.seed = seed
        self.modality_dropout = modality_dropout
        self.stream_names = stream_names

    def __len__(self) -> int:
        """Samples (or mixture slots) per epoch."""
        return len(self.mixture) if self.mixture is not None else len(self.samples)

    def __getitem__(self, key: tuple[int, int]) -> Item:
        epoch, index = self.mixture.locate(*key) if self.mixture is not None else key
        s = self.samples[index]
        question, answer = self.prompt.target(s.description, s.emotions, self.target,
                                              sample_rng(self.seed, epoch, index, "target"))
        feats = self.features(s)
        dropped: set[str] = set()
        if self.modality_dropout > 0:
            rng = sample_rng(self.seed, epoch, index, "dropout")
            present = [n for n in self.stream_names if n in feats]
            dropped = {n for n in present if rng.random() < self.modality_dropout}
            if present and dropped == set(present):  # keep at least one stream the clip has
                dropped.discard(present[rng.randrange(len(present))])
        return Item(self.prompt.encode(s.subtitle, answer, question), feats, dropped)


class Collator:
    """Items -> the keyword arguments of ``AffectGPTModel.forward`` (left padded, as in generation, so the
    answers share the right edge and the model computes logits for the answer region only)."""

    def __init__(self, prompt: Any, dims: dict[str, int]):
        self.prompt = prompt
        self.dims = dims

    def __call__(self, items: list[Item]) -> dict[str, Any]:
        batch: dict[str, Any] = self.prompt.collate([it.encoded for it in items], padding_side="left")
        batch["features"] = collate_features([it.features for it in items], self.dims,
                                             dropped=[it.dropped for it in items])
        return batch


class StepSampler(torch.utils.data.Sampler):
    """This rank's micro-batches for optimizer steps ``start_step .. max_steps - 1``.

    The data is one endless stream of epochs, each a seeded permutation. Micro-batch ``m`` of
    step ``s`` on rank ``r`` takes stream positions ``((s * accum + m) * world + r) * micro + j``,
    so resuming at step ``s`` is just starting the stream there.
    """

    def __init__(self, num_samples: int, micro_batch_size: int, accumulation: int, world_size: int, rank: int,
                 seed: int, start_step: int, max_steps: int):
        self.n = num_samples
        self.micro = micro_batch_size
        self.accum = accumulation
        self.world = world_size
        self.rank = rank
        self.seed = seed
        self.start_step = start_step
        self.max_steps = max_steps
        self._perms: dict[int, list[int]] = {}

    def key(self, position: int) -> tuple[int, int]:
        epoch, i = divmod(position, self.n)
        if epoch not in self._perms:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perms = {epoch: torch.randperm(self.n, generator=g).tolist()}
        return epoch, self._perms[epoch][i]

    def position(self, step: int, micro_index: int = 0) -> int:
        return ((step * self.accum + micro_index) * self.world + self.rank) * self.micro

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start_step, self.max_steps):
            for m in range(self.accum):
                base = self.position(step, m)
                yield [self.key(base + j) for j in range(self.micro)]

    def __len__(self) -> int:
        return max(0, self.max_steps - self.start_step) * self.accum


def eval_batches(num_samples: int, batch_size: int, world_size: int, rank: int) -> list[list[tuple[int, int]]]:
    """This rank's share of a held-out set, in order (epoch 0, no shuffling)."""
    mine = list(range(rank, num_samples, world_size))
    return [[(0, i) for i in mine[k:k + batch_size]] for k in range(0, len(mine), batch_size)]
