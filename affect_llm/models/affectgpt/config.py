"""Typed configuration of the AffectGPT-style model, and a strict mapping -> dataclass reader.

The configuration is data: it is written into the model folder's ``config.json`` (section
``"affect_llm"``) and into training YAML files, and read back with :func:`from_mapping`, which
refuses unknown keys and wrong types with a message naming the file and the key. A typo such as
``fusion: {kind: atention}`` must stop a training run before it spends a GPU-hour, not silently
fall back to a default.

Every choice field is a ``Literal`` type: the reader refuses a value outside it, naming the file,
the key and the choices. ``variant`` picks the whole design: ``improved`` (the default, and what
every folder saved before the field existed reads as) or ``reproduce`` (upstream AffectGPT's
modules and raw prompt; see ``affect_llm/models/affectgpt/README.md``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from ...errors import InputError

T = TypeVar("T")

Source = Literal["audio", "faces", "frames"]
ProjectorKind = Literal["attention", "qformer"]
FusionKind = Literal["none", "attention", "qformer", "gate"]
LLMTraining = Literal["lora", "frozen", "full"]
Quantization = Literal["none", "4bit", "8bit"]
DType = Literal["float32", "bfloat16", "float16"]
Variant = Literal["reproduce", "improved"]
ImageFeatures = Literal["pooled", "projected"]

SOURCES = typing.get_args(Source)
PROJECTORS = typing.get_args(ProjectorKind)
FUSIONS = typing.get_args(FusionKind)
LLM_TRAINING = typing.get_args(LLMTraining)
QUANTIZATIONS = typing.get_args(Quantization)
DTYPES = typing.get_args(DType)
VARIANTS = typing.get_args(Variant)
IMAGE_FEATURES = typing.get_args(ImageFeatures)
#: what ``reproduce`` builds: upstream has no learned-query pooling and no transformer pre-fusion
REPRODUCE_PROJECTORS = ("attention",)
REPRODUCE_FUSIONS = ("none", "gate")
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class ModalityConfig:
    """One input stream: where its tensors come from, which frozen encoder reads them, how many
    LLM tokens it may use.

    ``name`` is the stream's name in the prompt template and in the feature cache; ``source`` is
    what the encoder reads (``audio``: the 16 kHz track, ``faces``: the face crops, ``frames``:
    the whole sampled frames). ``encoder`` is ``"bundled"`` (Whisper tiny.en) / an openai-whisper
    ``.pt`` / a HF Whisper folder / ``"logmel"`` (no network, for quick CPU work) for audio;
    ``"mobilenet_v2"`` or a CLIP/SigLIP folder for images; or ``"precomputed:ID:DIM"`` for
    features that only ever come from the feature cache.

    ``image_features`` (a CLIP folder only): ``pooled`` is the vision tower's ``pooler_output``
    (1024-d for ViT-L/14); ``projected`` is ``get_image_features``, that output through CLIP's
    visual projection (768-d), what upstream AffectGPT feeds its model.
    """

    name: str
    source: Source
    encoder: str
    tokens: int = 8
    projector: ProjectorKind = "attention"
    projector_layers: int = 2  # Q-Former only
    image_features: ImageFeatures = "pooled"


@dataclass
class FusionConfig:
    """Pre-fusion of the streams before the LLM.

    ``none``: plain concatenation (Emotion-LLaMA); ``attention``: the streams and ``tokens``
    learned fusion tokens attend to each other in ``layers`` transformer layers (the streams come
    out cross-informed, the fusion tokens are added to the prompt); ``qformer``: ``tokens`` learned
    queries cross-attend to all streams; ``gate``: one weight per stream from the time-pooled
    streams, and their weighted sum is the fused token. In ``improved`` the gate reads the
    projected streams (Linear, GELU, Linear, softmax: a convex mix); in ``reproduce`` it is
    upstream's, on the raw encoder states (per-stream Linear, Linear, Linear, no activation, no
    softmax), repeated ``tokens`` times.
    """

    kind: FusionKind = "attention"
    tokens: int = 4
    layers: int = 1


@dataclass
class LLMConfig:
    """The language model: any local ``AutoModelForCausalLM`` folder, or ``"smollm2"`` (bundled)."""

    path: str = "smollm2"
    training: LLMTraining = "lora"
    quantization: Quantization = "none"  # bitsandbytes; QLoRA with training=lora
    dtype: DType = "float32"
    attn_implementation: str = "auto"  # auto: flash_attention_2 when installed and on CUDA, else sdpa
    gradient_checkpointing: bool = False


@dataclass
class LoRAConfig:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_LORA_TARGETS))


@dataclass
class SamplingConfig:
    """How a clip becomes encoder inputs; part of the feature-cache key."""

    num_frames: int = 8
    max_side: int = 1280
    max_audio_seconds: float = 30.0
    feature_dtype: DType = "float16"  # how features are stored (and rounded in the live path too)


def default_modalities() -> list[ModalityConfig]:
    return [
        ModalityConfig(name="audio", source="audio", encoder="bundled", tokens=32),
        ModalityConfig(name="faces", source="faces", encoder="mobilenet_v2", tokens=16),
        ModalityConfig(name="frames", source="frames", encoder="mobilenet_v2", tokens=16),
    ]


@dataclass
class AffectGPTConfig:
    """The whole model. Defaults: bundled encoders, 32 audio + 32 video tokens, attention pre-fusion
    with 4 fused tokens, SmolLM2 with LoRA r=16 on all projections.

    ``variant: reproduce`` builds upstream AffectGPT's modules instead (``reproduce.py``): only
    ``projector: attention`` and ``fusion.kind: none | gate`` exist there, ``width``/``heads``
    are unused, and there is no modality dropout (upstream has none). ``template: null`` means
    the variant's own prompt file.
    """

    variant: Variant = "improved"
    modalities: list[ModalityConfig] = field(default_factory=default_modalities)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    lora: LoRAConfig = field(default_factory=LoRAConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    width: int = 256  # working width of projectors and fusion (then an MLP to the LLM's hidden size)
    heads: int = 4
    template: str | None = None  # None: affectgpt.yaml (improved) / affectgpt_reproduce.yaml (reproduce)
    modality_dropout: float = 0.1  # training only: chance a present stream is replaced by its "absent" tokens
    max_new_tokens: int = 96

    def validate(self, where: str = "config") -> AffectGPTConfig:
        """Check values that types alone cannot; raise ``InputError`` naming ``where``."""
        def bad(msg: str) -> InputError:
            return InputError(f"{where}: {msg}")

        names = [m.name for m in self.modalities]
        if len(set(names)) != len(names):
            raise bad(f"modality names must be unique, got {names}")
        if "fused" in names:
            raise bad("'fused' is reserved for the pre-fusion tokens; rename that modality")
        for m in self.modalities:
            if m.source not in SOURCES:
                raise bad(f"modality {m.name!r}: source {m.source!r} is not one of {SOURCES}")
            if m.projector not in PROJECTORS:
                raise bad(f"modality {m.name!r}: projector {m.projector!r} is not one of {PROJECTORS}")
            if m.tokens < 1:
                raise bad(f"modality {m.name!r}: tokens must be >= 1")
            if m.image_features not in IMAGE_FEATURES:
                raise bad(f"modality {m.name!r}: image_features {m.image_features!r} is not one of {IMAGE_FEATURES}")
            if m.image_features == "projected" and (m.source == "audio" or m.encoder in ("bundled", "mobilenet_v2")
                                                    or m.encoder.startswith("precomputed:")):
                raise bad(f"modality {m.name!r}: image_features: projected needs a CLIP folder as the encoder of "
                          f"a faces/frames stream, not {m.source} with {m.encoder!r}")
        if self.fusion.kind not in FUSIONS:
            raise bad(f"fusion.kind {self.fusion.kind!r} is not one of {FUSIONS}")
        if self.fusion.kind != "none" and not self.modalities:
            raise bad("fusion needs at least one modality")
        if self.llm.training not in LLM_TRAINING:
            raise bad(f"llm.training {self.llm.training!r} is not one of {LLM_TRAINING}")
        if self.llm.quantization not in QUANTIZATIONS:
            raise bad(f"llm.quantization {self.llm.quantization!r} is not one of {QUANTIZATIONS}")
        if self.llm.quantization != "none" and self.llm.training == "full":
            raise bad("a quantized LLM cannot be fully fine-tuned: use llm.training: lora (QLoRA)")
        for key in ("dtype",):
            if getattr(self.llm, key) not in DTYPES:
                raise bad(f"llm.{key} {getattr(self.llm, key)!r} is not one of {DTYPES}")
        if self.sampling.feature_dtype not in DTYPES:
            raise bad(f"sampling.feature_dtype {self.sampling.feature_dtype!r} is not one of {DTYPES}")
        if self.width % self.heads:
            raise bad(f"width {self.width} must be a multiple of heads {self.heads}")
        if not 0.0 <= self.modality_dropout < 1.0:
            raise bad("modality_dropout must be in [0, 1)")
        if self.variant not in VARIANTS:
            raise bad(f"variant {self.variant!r} is not one of {VARIANTS}")
        if self.variant == "reproduce":
            self._validate_reproduce(bad)
        return self

    def _validate_reproduce(self, bad: Any) -> None:
        """What upstream's modules can express; each refusal says what to write instead."""
        for m in self.modalities:
            if m.projector not in REPRODUCE_PROJECTORS:
                raise bad(f"variant reproduce: modality {m.name!r} projector {m.projector!r}: upstream's "
                          f"pooling is a Linear(d, 1) score ({REPRODUCE_PROJECTORS}); use variant: improved "
                          "for the Q-Former")
        sources = [m.source for m in self.modalities]
        twice = sorted({s for s in sources if sources.count(s) > 1})
        if twice:
            raise bad(f"variant reproduce: upstream has one stream per source, {twice} appear twice")
        if self.fusion.kind not in REPRODUCE_FUSIONS:
            raise bad(f"variant reproduce: fusion.kind {self.fusion.kind!r} is not one of {REPRODUCE_FUSIONS} "
                      "(upstream's pre-fusion is the gate; its BERT Q-Former pre-fusion is not reproduced)")
        if self.fusion.kind == "gate" and not ("audio" in sources and ({"faces", "frames"} & set(sources))):
            raise bad("variant reproduce: the gate mixes one visual stream (faces, else frames) with the audio "
                      f"stream, but the modalities are {sources}")
        if self.fusion.tokens < 1:
            raise bad("fusion.tokens must be >= 1")
        if self.modality_dropout:
            raise bad("variant reproduce: set modality_dropout: 0 (upstream has no modality dropout)")

    @property
    def openface_bgr(self) -> bool:
        """Whether the release's OpenFace face crops are fed as stored (BGR), as upstream does
        (``reproduce``); ``improved`` converts them to RGB, what the image encoders were trained on."""
        return self.variant == "reproduce"

    def template_name(self) -> str:
        """The prompt file: ``template`` when set, else the variant's own."""
        if self.template:
            return self.template
        return "affectgpt_reproduce.yaml" if self.variant == "reproduce" else "affectgpt.yaml"

    def stream_names(self) -> list[str]:
        """Token streams in prompt order: each modality, then the fused tokens (if any)."""
        names = [m.name for m in self.modalities]
        return names + (["fused"] if self.fusion.kind != "none" else [])

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ------------------------------------------------------------------------------ mapping reader
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, key: str, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Literal:
        choices = typing.get_args(tp)
        if value not in choices or isinstance(value, bool):
            raise InputError(f"{where}: {key} {value!r} is not one of {choices}")
        return value
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, key, where)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0] if errors else f"{where}: {key} cannot be {value!r}")
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, where, prefix=f"{key}.")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{where}: {key} must be a list, got {value!r}")
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        return [_convert(v, item_tp, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: {key} must be a mapping, got {value!r}")
        return dict(value)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):
        with contextlib.suppress(ValueError):  # YAML 1.1 reads "1e-5" (no dot) as a string
            return float(value)
    if tp is str and isinstance(value, Path):
        return str(value)
    if isinstance(tp, type) and not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise InputError(f"{where}: {key} must be {_type_name(tp)}, got {value!r}")
    return value


def from_mapping(cls: type[T], data: Any, where: str, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, refusing unknown keys and mistyped values.

    ``where`` (a file name) and the dotted key appear in every error, so a user can fix the
    config without reading code.
    """
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise InputError(f"{where}: {prefix.rstrip('.') or 'the config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(prefix + k for k in unknown)} "
                         f"(known: {', '.join(prefix + k for k in fields)})")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], prefix + name, where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(f"{where}: required key {prefix + name} is missing")
    return cls(**kwargs)


def config_from_dict(data: dict[str, Any], where: str = "config") -> AffectGPTConfig:
    """An ``AffectGPTConfig`` from a plain mapping (the ``affect_llm`` section, or a YAML block)."""
    return from_mapping(AffectGPTConfig, data, where).validate(where)
