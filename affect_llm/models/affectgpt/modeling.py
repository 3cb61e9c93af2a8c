"""The AffectGPT-style model: frozen encoders -> projectors -> pre-fusion -> (LoRA) LLM.

A small composition in the spirit of transformers' ``modeling_llava.py``::

    encoder features per stream [B, T, D]         (live encoders or the feature cache: one path)
      -> projector (attention pooling / Q-Former)   K tokens per stream, [B, K, width]
      -> absent streams -> learned "absent" tokens  (no audio track, no face, modality dropout)
      -> pre-fusion (none / attention / qformer / gate)   streams + fused tokens
      -> per-stream MLP to the LLM hidden size
      -> scattered into the slots of the prompt's inputs_embeds
      -> causal LM (LoRA via peft, optionally on a 4/8-bit base: QLoRA); loss on the answer only.

That is ``variant: improved``. ``variant: reproduce`` replaces the projector / absent / fusion /
MLP steps by upstream AffectGPT's modules (``reproduce.py``: score pooling, one Linear per stream,
the raw-state gate) and the chat prompt by upstream's raw one; the rest is shared.

``forward`` takes precomputed encoder outputs (``features``: stream -> ``ModalityBatch``) the
way LLaVA's takes image features, or raw ``media`` (clip paths or ``Perception``s) which it runs
through the same ``FeatureExtractor`` that fills the cache.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...errors import ModelError
from ...features.batch import ModalityBatch, collate_features
from .config import AffectGPTConfig, LLMConfig
from .fusion import build_fusion
from .projector import build_projector
from .prompting import IGNORE_INDEX, prompt_builder
from .reproduce import ReproduceStreams, reproduce_budgets

log = logging.getLogger(__name__)


def _quiet_bitsandbytes() -> None:
    """bitsandbytes logs a WARNING on import on CPU-only machines about an optional kernels package."""
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)


def resolve_llm_spec(spec: str, base_dir: Path | None) -> Path:
    """``"smollm2"`` or a folder; a relative folder is relative to ``base_dir`` (the model folder)."""
    from ...llm import BUNDLED_LLM, resolve_llm_path

    if spec == BUNDLED_LLM:
        return resolve_llm_path(spec)
    path = Path(spec).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return resolve_llm_path(str(path))


def _attn_implementation(requested: str) -> str:
    if requested != "auto":
        return requested
    import importlib.util

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def load_base_llm(cfg: LLMConfig, base_dir: Path | None = None) -> tuple[Any, Any, Path]:
    """The causal LM and tokenizer named by ``cfg`` (quantized through bitsandbytes when asked)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_llm_spec(cfg.path, base_dir)
    dtype = getattr(torch, cfg.dtype)
    kwargs: dict[str, Any] = {"dtype": dtype, "attn_implementation": _attn_implementation(cfg.attn_implementation)}
    if cfg.quantization != "none":
        _quiet_bitsandbytes()
        try:
            import bitsandbytes  # noqa: F401
            from transformers import BitsAndBytesConfig
        except ImportError as exc:
            raise ModelError(f"llm.quantization={cfg.quantization} needs bitsandbytes ({exc}): "
                             "`pip install 'affect-llm[train]'`") from exc
        if cfg.quantization == "4bit":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=dtype)
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        llm = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except Exception as exc:
        raise ModelError(f"cannot load the LLM in {path}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    if cfg.quantization == "4bit":
        # On CPUs with AVX512-BF16, bitsandbytes repacks 4-bit weights on the first no-grad forward
        # and the repacked layout silently gives zero gradients to LoRA afterwards. Keep one layout.
        import bitsandbytes as bnb

        for module in llm.modules():
            if isinstance(module, bnb.nn.Linear4bit):
                module.support_avx512bf16_for_cpu = False
    return llm, tokenizer, path


def apply_llm_training(llm: Any, config: AffectGPTConfig, adapter_dir: Path | None = None,
                       trainable: bool = True) -> Any:
    """Freeze / LoRA-wrap / unfreeze the LLM as ``config.llm.training`` says.

    ``adapter_dir``: load a saved peft adapter instead of creating a fresh one.
    """
    mode = config.llm.training
    quantized = config.llm.quantization != "none"
    if config.llm.gradient_checkpointing and trainable:
        if hasattr(llm, "activation_checkpointing_enable"):  # transformers >= 5.x renamed it (the old name warns)
            llm.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        llm.config.use_cache = False
    if mode == "frozen":
        llm.requires_grad_(False)
        return llm
    if mode == "full":
        llm.requires_grad_(trainable)
        return llm
    _quiet_bitsandbytes()
    try:
        from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
    except ImportError as exc:
        raise ModelError(f"llm.training=lora needs peft ({exc}): `pip install 'affect-llm[train]'`") from exc
    if quantized and trainable:
        llm = prepare_model_for_kbit_training(llm, use_gradient_checkpointing=config.llm.gradient_checkpointing)
    if adapter_dir is not None:
        try:
            with _peft_reads_a_deprecated_alias():
                return PeftModel.from_pretrained(llm, adapter_dir, is_trainable=trainable)
        except Exception as exc:
            raise ModelError(f"cannot load the LoRA adapter in {adapter_dir}: {exc}") from exc
    lora = config.lora
    try:
        with _peft_reads_a_deprecated_alias():
            return get_peft_model(llm, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                  target_modules=list(lora.target_modules), task_type="CAUSAL_LM"))
    except ValueError as exc:
        names = sorted({n.rsplit(".", 1)[-1] for n, m in llm.named_modules() if isinstance(m, nn.Linear)})
        raise ModelError(f"lora.target_modules {lora.target_modules} do not fit this LLM ({exc}); its linear "
                         f"layers are named {names}") from exc


@contextlib.contextmanager
def _peft_reads_a_deprecated_alias() -> Iterator[None]:
    """Wrapping an LLM, peft (0.21) reads ``model.is_gradient_checkpointing``, which transformers 5
    deprecated for ``is_activation_checkpointing``: a FutureWarning on every load that is peft's to
    fix and says nothing a user can act on. Only that message is dropped, only around peft's call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


def _new_tokens_no_repeat(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``no_repeat_ngram_size`` as the logits processor it becomes. Generating from
    ``inputs_embeds``, the processors see only the new tokens, so the ban covers the answer and
    not the prompt (the answer may quote the subtitle): what we want, and what ``generate`` warns
    about on every call when it is asked through the setting rather than the processor."""
    size = kwargs.pop("no_repeat_ngram_size", 0) or 0
    if size > 0:
        from transformers import LogitsProcessorList, NoRepeatNGramLogitsProcessor

        kwargs["logits_processor"] = LogitsProcessorList([NoRepeatNGramLogitsProcessor(size),
                                                          *(kwargs.get("logits_processor") or [])])
    return kwargs


class AffectGPTModel(nn.Module):
    """Projectors, absent tokens, pre-fusion and output MLPs around a causal LM.

    Build with :meth:`from_config` (fresh, for training) or :func:`affect_llm.models.affectgpt.io.load`
    (a saved folder). The frozen encoders are *not* submodules: they never reach an optimizer,
    a DeepSpeed partition or a checkpoint.
    """

    def __init__(self, config: AffectGPTConfig, llm: Any, tokenizer: Any, encoder_dims: dict[str, int],
                 llm_path: Path | None = None, encoder_ids: dict[str, str] | None = None):
        super().__init__()
        self.config = config
        self.llm = llm
        self.tokenizer = tokenizer
        self.encoder_dims = dict(encoder_dims)
        self.encoder_ids = dict(encoder_ids or {})
        self.llm_path = llm_path
        self.base_dir: Path | None = None  # where relative encoder paths resolve (the model folder)
        self._extractor: Any = None
        hidden = int(self._llm_config().hidden_size)
        width = config.width
        missing = [m.name for m in config.modalities if m.name not in self.encoder_dims]
        if missing:
            raise ModelError(f"no encoder width known for stream(s) {missing}")
        self.reproduce: ReproduceStreams | None = None
        if config.variant == "reproduce":
            fused = config.fusion.tokens if config.fusion.kind == "gate" else 0
            budgets = reproduce_budgets([(m.name, m.source, m.tokens) for m in config.modalities], fused)
            try:
                self.reproduce = ReproduceStreams(budgets, {m.name: m.source for m in config.modalities},
                                                  self.encoder_dims, hidden)
            except ValueError as exc:
                raise ModelError(str(exc)) from exc
        else:
            self.projectors = nn.ModuleDict({
                m.name: build_projector(m.projector, self.encoder_dims[m.name], width, m.tokens, config.heads,
                                        m.projector_layers)
                for m in config.modalities})
            self.absent = nn.ParameterDict({
                m.name: nn.Parameter(torch.randn(m.tokens, width) * 0.02) for m in config.modalities})
            self.fusion = build_fusion(config.fusion.kind, [m.name for m in config.modalities], width,
                                       config.heads, config.fusion.tokens, config.fusion.layers)
            self.to_llm = nn.ModuleDict({
                name: nn.Sequential(nn.LayerNorm(width), nn.Linear(width, hidden), nn.GELU(),
                                    nn.Linear(hidden, hidden))
                for name in config.stream_names()})
        self.prompt = prompt_builder(config, tokenizer, self.stream_budgets())

    # ------------------------------------------------------------------------------ building
    @classmethod
    def from_config(cls, config: AffectGPTConfig, encoder_dims: dict[str, int] | None = None,
                    base_dir: Path | None = None, seed: int | None = None) -> AffectGPTModel:
        """A fresh model: the base LLM loaded (and LoRA-wrapped) and new projector/fusion weights.

        ``encoder_dims`` (stream -> feature width) avoids loading the encoders; without it they are
        loaded to ask. ``seed`` makes the new weights reproducible.
        """
        config.validate()
        extractor = None
        if encoder_dims is None:
            from ...features.extract import FeatureExtractor

            extractor = FeatureExtractor.from_config(config, base_dir)
            encoder_dims, encoder_ids = extractor.dims, extractor.encoder_ids
        else:
            encoder_ids = {}
        if seed is not None:
            torch.manual_seed(seed)
        llm, tokenizer, path = load_base_llm(config.llm, base_dir)
        llm = apply_llm_training(llm, config)
        model = cls(config, llm, tokenizer, encoder_dims, path, encoder_ids)
        model.base_dir = base_dir
        model._extractor = extractor
        return model

    def _llm_config(self) -> Any:
        return self.llm.get_base_model().config if hasattr(self.llm, "get_base_model") else self.llm.config

    def stream_budgets(self) -> list[tuple[str, int]]:
        """(stream name, token count) in prompt order."""
        if self.reproduce is not None:
            return list(self.reproduce.budgets)
        budgets = [(m.name, m.tokens) for m in self.config.modalities]
        if self.fusion.num_tokens:  # the fusion says how many tokens it adds (none: 0)
            budgets.append(("fused", int(self.fusion.num_tokens)))
        return budgets

    @property
    def extractor(self) -> Any:
        """The frozen encoders (loaded on first use) that turn clips into ``features``."""
        if self._extractor is None:
            from ...features.extract import FeatureExtractor

            self._extractor = FeatureExtractor.from_config(self.config, self.base_dir)
            for name, ident in self._extractor.encoder_ids.items():
                saved = self.encoder_ids.get(name)
                if saved and saved != ident:
                    log.warning("stream %s: the model was trained on features of %s but %s is loaded; "
                                "answers may be poor", name, saved, ident)
        return self._extractor

    def adapter_parameters(self) -> dict[str, nn.Parameter]:
        """Everything that is not the LLM: projectors, absent tokens, fusion, output MLPs."""
        return {n: p for n, p in self.named_parameters() if not n.startswith("llm.")}

    # ------------------------------------------------------------------------------ inputs
    def features_from_media(self, media: list[Any]) -> dict[str, ModalityBatch]:
        """Run the frozen encoders on clip paths or ``Perception``s (the same code the cache uses)."""
        items = []
        for m in media:
            if isinstance(m, (str, Path)):
                items.append(self.extractor.from_clip(m))
            else:
                items.append(self.extractor.from_perception(m))
        return collate_features(items, self.encoder_dims)

    def stream_embeddings(self, features: dict[str, ModalityBatch]) -> torch.Tensor:
        """All stream tokens in prompt order, in the LLM's hidden size: ``[B, sum K, hidden]``."""
        if self.reproduce is not None:
            return self.reproduce(features)
        dtype = next(self.projectors.parameters()).dtype
        streams: dict[str, torch.Tensor] = {}
        for m in self.config.modalities:
            if m.name not in features:
                raise ValueError(f"features lack stream {m.name!r} (have {sorted(features)})")
            fb = features[m.name]
            tokens = self.projectors[m.name](fb.features.to(dtype), fb.mask)
            absent = self.absent[m.name].to(tokens.dtype).unsqueeze(0).expand_as(tokens)
            streams[m.name] = torch.where(fb.present.view(-1, 1, 1), tokens, absent)
        streams, fused = self.fusion(streams)
        outs = [self.to_llm[m.name](streams[m.name]) for m in self.config.modalities]
        if fused is not None:
            outs.append(self.to_llm["fused"](fused))
        return torch.cat(outs, dim=1)

    def embed_inputs(self, input_ids: torch.Tensor, slot_mask: torch.Tensor,
                     features: dict[str, ModalityBatch]) -> torch.Tensor:
        """Token embeddings with the stream tokens scattered into the slot positions."""
        embeds = self.llm.get_input_embeddings()(input_ids)
        tokens = self.stream_embeddings(features).to(embeds.dtype)
        per_row = slot_mask.sum(dim=1)
        if not bool((per_row == tokens.shape[1]).all()):
            raise ValueError(f"prompt has {per_row.tolist()} slots per row but the streams give "
                             f"{tokens.shape[1]} tokens")
        return embeds.masked_scatter(slot_mask.unsqueeze(-1), tokens)

    # ------------------------------------------------------------------------------ forward
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, slot_mask: torch.Tensor,
                labels: torch.Tensor | None = None, features: dict[str, ModalityBatch] | None = None,
                media: list[Any] | None = None, **llm_kwargs: Any) -> Any:
        """Causal-LM output; with ``labels``, ``.loss`` is the mean cross-entropy over answer tokens.

        Give either precomputed ``features`` or ``media`` (clip paths / Perceptions). With labels,
        logits are computed only for the positions that predict answer tokens (``logits_to_keep``):
        the LM head over a 150k vocabulary on every prompt position would dominate memory and time,
        and prompts are left padded (as in generation) so the answers share the right edge.
        """
        if features is None:
            if media is None:
                raise ValueError("forward needs features or media")
            features = self.features_from_media(media)
        device = input_ids.device
        features = {k: v.to(device) for k, v in features.items()}
        embeds = self.embed_inputs(input_ids, slot_mask, features)
        position_ids = (attention_mask.long().cumsum(-1) - 1).clamp_min(0)
        if labels is None:
            return self.llm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids,
                            **llm_kwargs)
        length = labels.shape[1]
        answer = labels != IGNORE_INDEX
        first = int(answer.float().argmax(dim=1)[answer.any(dim=1)].min()) if bool(answer.any()) else length - 1
        keep = length - first + 1  # positions first-1 .. length-1 predict tokens first .. length-1 (and beyond)
        out = self.llm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=position_ids,
                       logits_to_keep=keep, **llm_kwargs)
        logits = out.logits[:, :-1]
        target = labels[:, length - keep + 1:]
        out.loss = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1),
                                               ignore_index=IGNORE_INDEX)
        return out

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, slot_mask: torch.Tensor,
                 features: dict[str, ModalityBatch], max_new_tokens: int | None = None,
                 **gen_kwargs: Any) -> list[str]:
        """Greedy (unless told otherwise) batched generation from left-padded prompts."""
        device = input_ids.device
        features = {k: v.to(device) for k, v in features.items()}
        embeds = self.embed_inputs(input_ids, slot_mask, features)
        tok = self.tokenizer
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens or self.config.max_new_tokens,
                                  "do_sample": False, "pad_token_id": self.prompt.pad_id,
                                  "eos_token_id": tok.eos_token_id, **self.prompt.generation_kwargs()}
        kwargs.update(gen_kwargs)
        out = self.llm.generate(inputs_embeds=embeds, attention_mask=attention_mask, **_new_tokens_no_repeat(kwargs))
        return [self.prompt.clean(t) for t in tok.batch_decode(out, skip_special_tokens=True)]

    def describe(self, subtitles: list[str | None], features: dict[str, ModalityBatch],
                 question: str = "description", **gen_kwargs: Any) -> list[str]:
        """Prompts for a batch of clips -> generated answers (left padding, one generate call).

        ``question``: ``description`` (the reasoning) or ``labels`` (the emotion list), the two
        questions the model was trained with."""
        batch = self.prompt.collate([self.prompt.encode(s, question=question) for s in subtitles],
                                    padding_side="left")
        device = next(self.parameters()).device
        return self.generate(batch["input_ids"].to(device), batch["attention_mask"].to(device),
                             batch["slot_mask"].to(device), features, **gen_kwargs)

    def merge_lora(self) -> None:
        """Fold the LoRA weights into the LLM (faster inference; outputs unchanged)."""
        if not hasattr(self.llm, "merge_and_unload"):
            raise ModelError("this model's LLM has no LoRA adapter to merge (llm.training is not lora)")
        if self.config.llm.quantization != "none":
            raise ModelError("merging LoRA into a 4/8-bit base would re-quantize it; keep the adapter "
                             "separate for a quantized LLM")
        self.llm = self.llm.merge_and_unload()
