"""A tiny random-initialised Llama with the bundled SmolLM2 tokenizer, written as a normal HF folder.

Why: the CPU learnability proof and the training-mechanics tests need an LLM that trains in
seconds. Two layers of width 64 learn the answer format and the emotion word quickly, and they
exercise exactly the code the real 7B model runs (same tokenizer and chat template, same LoRA
targets ``q/k/v/o/gate/up/down_proj``). Nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch


def make_tiny_llm(folder: str | os.PathLike, hidden: int = 64, layers: int = 2, heads: int = 4,
                  kv_heads: int = 2, intermediate: int = 128, seed: int = 0, tokenizer: str = "smollm2") -> Path:
    """Write a random ``LlamaForCausalLM`` (tied embeddings) plus tokenizer to ``folder``; returns it.

    Idempotent: an existing folder with a ``config.json`` is returned as is.
    """
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from ...llm import resolve_llm_path

    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    tok = AutoTokenizer.from_pretrained(resolve_llm_path(tokenizer))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=intermediate,
                         num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    tmp = folder.with_name(folder.name + ".partial")
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    tmp.rename(folder)
    return folder
