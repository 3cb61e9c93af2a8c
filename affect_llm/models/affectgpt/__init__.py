"""AffectGPT-style model: frozen encoders, per-stream projectors, pre-fusion, LoRA LLM.

* ``config``    — typed dataclass configuration (``AffectGPTConfig``), strict YAML/JSON reader
* ``projector`` — attention pooling / Q-Former down to K tokens per stream
* ``fusion``    — pre-fusion: none / attention / qformer / gate (after AffectGPT's, not the same)
* ``reproduce`` — upstream AffectGPT's exact modules (``variant: reproduce``; see README.md here)
* ``prompting`` — prompt assembly (chat template / upstream's raw prompt), two questions, answer-only labels
* ``modeling``  — ``AffectGPTModel`` (forward with precomputed features or media; generate)
* ``io``        — save / load one folder (config.json + adapter.safetensors + peft adapter)
* ``convert``   — upstream ``.pth`` checkpoints -> a reproduce folder (``affect-llm convert affectgpt``)
* ``inference`` — ``AffectGPT``: the ``answer(perceptions)`` interface ``describe`` uses
* ``tiny``      — a tiny random Llama folder for CPU proofs and tests
"""

from .config import (
           AffectGPTConfig,
           FusionConfig,
           LLMConfig,
           LoRAConfig,
           ModalityConfig,
           SamplingConfig,
           config_from_dict,
)

__all__ = ["AffectGPTConfig", "FusionConfig", "LLMConfig", "LoRAConfig", "ModalityConfig", "SamplingConfig",
           "config_from_dict"]
