"""AffectGPT-style model: frozen encoders, per-stream projectors, pre-fusion, LoRA LLM.

* ``config``    — typed dataclass configuration (``AffectGPTConfig``), strict YAML/JSON reader
* ``projector`` — attention pooling / Q-Former down to K tokens per stream
* ``fusion``    — pre-fusion: none / attention / qformer / gate (AffectGPT's)
* ``prompting`` — prompt assembly from ``prompts/affectgpt.yaml``, answer-only labels
* ``modeling``  — ``AffectGPTModel`` (forward with precomputed features or media; generate)
* ``io``        — save / load one folder (config.json + adapter.safetensors + peft adapter)
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
