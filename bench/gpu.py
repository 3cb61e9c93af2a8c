"""GPU path: a LoRA training step of a 7B-shaped LLM (random weights, bf16) and batched generation.

Runs only where CUDA is available (a machine lent through the ``device`` tool); elsewhere the
row says it was skipped. The shape is Qwen2.5-7B's (hidden 3584, 28 layers, 28 query / 4 KV
heads, MLP 18944, vocab 152064: 7.6 B parameters) on a Llama skeleton: what is measured is the
cost of the shape, so random weights do. Reported:

* training: tokens/s of forward + backward + AdamW step with LoRA r=16 on every projection
  (gradient checkpointing on, as in ``train/configs/qwen7b_*.yaml``), MFU, peak GPU memory.
  MFU counts 8 N FLOPs per token (N = base parameters): forward 2N, recomputed forward 2N,
  backward to the activations 4N. The frozen base gets no weight gradients, so the usual 6N
  (or 8N) of full fine-tuning would overstate the work;
* generation: new tokens/s of ``affect_llm.decoding.greedy_generate`` (our path) against
  ``transformers.generate``, 32 prompts of 128 tokens, 128 new tokens each (random weights
  never stop early, so this measures the kernels, not the finished-row savings).

``python -m bench.gpu --shape tiny --device cpu`` runs the same code on a toy shape (the test
suite does this, so the row cannot rot while no GPU is around).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from .common import Row

# bf16 dense tensor-core peak (FLOP/s) of the GPUs we are lent; others get no MFU.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}

SHAPES = {
    "7b": {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
           "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064},
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512},
}


def _model(shape: str, device: str, dtype: Any) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**SHAPES[shape], max_position_embeddings=4096, attn_implementation="sdpa",
                         pad_token_id=0, eos_token_id=1, bos_token_id=2)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    return model


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_step_figures(shape: str, device: str, batch: int, seq: int, steps: int) -> dict[str, float]:
    import torch
    from peft import LoraConfig, get_peft_model

    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    base = _model(shape, device, dtype)
    n_params = sum(p.numel() for p in base.parameters())
    (getattr(base, "activation_checkpointing_enable", None) or base.gradient_checkpointing_enable)()
    base.config.use_cache = False
    model = get_peft_model(base, LoraConfig(r=16, lora_alpha=32, target_modules=[
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    model.enable_input_require_grads()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(3, base.config.vocab_size, (batch, seq), device=device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(steps + 2):  # two warm-up steps
        _sync(device)
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(device)
        if step >= 2:
            times.append(time.perf_counter() - t0)
    step_s = sorted(times)[len(times) // 2]
    tokens_s = batch * seq / step_s
    out = {"params": n_params, "tokens_per_s": tokens_s, "step_s": step_s, "flops_per_token": 8 * n_params}
    if device.startswith("cuda"):
        out["peak_mem_gb"] = torch.cuda.max_memory_allocated() / 2**30
        name = torch.cuda.get_device_name()
        peak = next((v for k, v in PEAK_BF16.items() if k in name), None)
        if peak:
            out["mfu"] = tokens_s * out["flops_per_token"] / peak
    del model, base, opt
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return out


def generation_figures(shape: str, device: str, batch: int, prompt_len: int, new_tokens: int) -> dict[str, float]:
    from types import SimpleNamespace

    import torch

    from affect_llm.decoding import greedy_generate

    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    model = _model(shape, device, dtype).eval()
    # No EOS: every row runs to the end (random weights would otherwise stop at random).
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    tok = SimpleNamespace(pad_token_id=0, eos_token_id=None)
    g = torch.Generator().manual_seed(0)
    prompts = torch.randint(3, model.config.vocab_size, (batch, prompt_len), generator=g)

    def ours() -> float:
        _sync(device)
        t0 = time.perf_counter()
        greedy_generate(model, tok, prompts.tolist(), max_new_tokens=new_tokens)
        _sync(device)
        return time.perf_counter() - t0

    def theirs() -> float:
        _sync(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.generate(input_ids=prompts.to(device), attention_mask=torch.ones_like(prompts).to(device),
                           max_new_tokens=new_tokens, do_sample=False)
        _sync(device)
        return time.perf_counter() - t0

    ours(), theirs()  # warm-up
    a = sorted(ours() for _ in range(3))[1]
    b = sorted(theirs() for _ in range(3))[1]
    return {"ours_tokens_per_s": batch * new_tokens / a, "hf_tokens_per_s": batch * new_tokens / b}


def measure(shape: str, device: str, quick: bool) -> dict[str, Any]:
    small = quick or shape == "tiny"
    train = train_step_figures(shape, device, batch=2 if small else 4, seq=512 if small else 2048,
                               steps=2 if small else 5)
    gen = generation_figures(shape, device, batch=4 if small else 32, prompt_len=32 if small else 128,
                             new_tokens=16 if small else 128)
    return {"shape": shape, "device": device, "train": train, "generate": gen}


def run(quick: bool = False) -> list[Row]:
    import datetime as dt

    import torch

    if not torch.cuda.is_available():
        return [Row(name="GPU: 7B-shaped LoRA step / batched generation", ours_label="-", base_label="-",
                    unit="-", ours=0.0, base=None, ratio=None,
                    note="skipped: no GPU on this machine (`python -m bench --only gpu` on a GPU machine)")]
    r = measure("7b", "cuda", quick)
    name = f"{torch.cuda.get_device_name()}, {dt.date.today().isoformat()}"
    t, g = r["train"], r["generate"]
    mfu = f"MFU {t['mfu']:.1%}, " if "mfu" in t else ""
    return [
        Row(name=f"GPU LoRA step, 7B-shaped bf16 ({name})", ours_label="LoRA r=16, grad. checkpointing",
            base_label="-", unit="tokens/s", ours=round(t["tokens_per_s"]), base=None, ratio=None,
            note=f"{mfu}peak {t['peak_mem_gb']:.1f} GiB, {t['step_s']:.2f} s/step"),
        Row(name=f"GPU batched generation, 7B-shaped bf16 ({name})", ours_label="greedy_generate",
            base_label="transformers.generate", unit="new tokens/s", ours=round(g["ours_tokens_per_s"]),
            base=round(g["hf_tokens_per_s"]), ratio=round(g["ours_tokens_per_s"] / g["hf_tokens_per_s"], 2)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="7b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.shape, args.device, args.quick), indent=1))


if __name__ == "__main__":
    main()
