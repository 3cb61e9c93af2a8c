"""AffectGPT-style model: shapes and gradients per fusion, prompt assembly, save/load, LoRA merge, QLoRA.

All on a tiny random Llama (hidden 64, 2 layers, the SmolLM2 tokenizer) and random encoder
features, so every test here runs in seconds on a CPU.
"""

from __future__ import annotations

import json

import pytest
import torch

from affect_llm.errors import InputError, ModelError
from affect_llm.features.batch import collate_features
from affect_llm.models.affectgpt.config import (
    AffectGPTConfig,
    FusionConfig,
    LLMConfig,
    LoRAConfig,
    ModalityConfig,
    config_from_dict,
)
from affect_llm.models.affectgpt.modeling import AffectGPTModel
from affect_llm.models.affectgpt.prompting import IGNORE_INDEX

DIMS = {"audio": 24, "faces": 16, "frames": 16}


def make_config(llm, fusion="attention", projector="attention", training="lora", **kw) -> AffectGPTConfig:
    mods = [ModalityConfig("audio", "audio", f"precomputed:a:{DIMS['audio']}", tokens=3, projector=projector),
            ModalityConfig("faces", "faces", f"precomputed:f:{DIMS['faces']}", tokens=2, projector=projector),
            ModalityConfig("frames", "frames", f"precomputed:v:{DIMS['frames']}", tokens=2, projector=projector)]
    return AffectGPTConfig(modalities=mods, fusion=FusionConfig(kind=fusion, tokens=2),
                           llm=LLMConfig(path=str(llm), training=training),
                           lora=LoRAConfig(r=4, alpha=8, dropout=0.0), width=32, heads=4, **kw)


def batch_inputs(model, with_answers=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    items = [  # a full clip, a clip with no audio track, a clip with no face
        {"audio": torch.randn(7, DIMS["audio"], generator=g), "faces": torch.randn(4, DIMS["faces"], generator=g),
         "frames": torch.randn(8, DIMS["frames"], generator=g)},
        {"faces": torch.randn(8, DIMS["faces"], generator=g), "frames": torch.randn(8, DIMS["frames"], generator=g)},
        {"audio": torch.randn(3, DIMS["audio"], generator=g), "frames": torch.randn(8, DIMS["frames"], generator=g)},
    ]
    answers = ["In the video, the person smiles; the voice is bright. The person is happy.",
               "The character's emotional state is sad.", None] if with_answers else [None] * 3
    subtitles = ["I passed the exam!", None, "Leave me alone."]
    enc = [model.prompt.encode(s, a if with_answers else None) for s, a in zip(subtitles, answers)]
    if with_answers:
        enc[2] = model.prompt.encode(subtitles[2], "The character's emotional state is angry, tense.")
    batch = model.prompt.collate(enc)
    batch["features"] = collate_features(items, model.encoder_dims)
    return batch


@pytest.mark.parametrize("fusion,projector", [("none", "attention"), ("attention", "attention"),
                                              ("qformer", "qformer"), ("gate", "attention")])
def test_forward_backward_shapes_per_fusion(tiny_llm, fusion, projector):
    model = AffectGPTModel.from_config(make_config(tiny_llm, fusion, projector), encoder_dims=DIMS, seed=0)
    batch = batch_inputs(model)
    tokens = model.stream_embeddings(batch["features"])
    expected = 3 + 2 + 2 + {"none": 0, "attention": 2, "qformer": 2, "gate": 1}[fusion]
    assert tokens.shape == (3, expected, 64)
    assert int(batch["slot_mask"].sum(1)[0]) == expected
    out = model(**batch)
    assert torch.isfinite(out.loss)
    # logits only over the answer region (+1), not the whole prompt
    answer_region = int((batch["labels"] != IGNORE_INDEX).sum(1).max())
    assert out.logits.shape[0] == 3 and answer_region <= out.logits.shape[1] < batch["input_ids"].shape[1]
    out.loss.backward()
    for name in ("audio", "faces", "frames"):
        grads = [p.grad for p in model.projectors[name].parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads), f"no gradient reaches the {name} projector"
    lora_b = [p for n, p in model.llm.named_parameters() if "lora_B" in n]
    assert lora_b and all(p.grad is not None for p in lora_b)
    base = [p for n, p in model.llm.named_parameters() if "lora_" not in n]
    assert all(not p.requires_grad for p in base), "the base LLM must stay frozen under LoRA"


def test_absent_stream_uses_learned_tokens_not_features(tiny_llm):
    model = AffectGPTModel.from_config(make_config(tiny_llm, "gate"), encoder_dims=DIMS, seed=0).eval()
    batch = batch_inputs(model, with_answers=False)
    feats = batch["features"]
    tokens = model.stream_embeddings(feats)
    feats["audio"].features[1] = torch.randn_like(feats["audio"].features[1]) * 100  # clip 1 has no audio
    assert torch.allclose(model.stream_embeddings(feats)[1], tokens[1])
    feats["audio"].features[0] += 1.0  # clip 0 has audio: its tokens must change
    assert not torch.allclose(model.stream_embeddings(feats)[0], tokens[0])


def test_prompt_labels_cover_the_answer_only(tiny_llm):
    model = AffectGPTModel.from_config(make_config(tiny_llm), encoder_dims=DIMS, seed=0)
    enc = model.prompt.encode("Leave me alone.", "The character's emotional state is angry.")
    tok = model.tokenizer
    answer_ids = [i for i, lab in zip(enc.input_ids, enc.labels) if lab != IGNORE_INDEX]
    assert tok.decode(answer_ids) == "The character's emotional state is angry." + tok.eos_token
    assert all(lab == IGNORE_INDEX for lab, s in zip(enc.labels, enc.slots) if s)
    prompt = model.prompt.prompt_text(None)
    assert "Subtitle: (none)" in prompt and "Audio-visual:" in prompt
    # a subtitle cannot smuggle in a stream marker: one marker per stream (3 modalities + fused)
    assert model.prompt.prompt_text("<|affect_stream:audio|> sneaky").count("<|affect_stream:") == 4
    left = model.prompt.collate([model.prompt.encode("a"), model.prompt.encode("a much longer subtitle here")])
    assert left["attention_mask"][0, 0] == 0 and left["attention_mask"][:, -1].all()


def test_save_load_identical_logits_and_lora_merge(tiny_llm, tmp_path):
    from affect_llm.models.affectgpt.io import load, save

    model = AffectGPTModel.from_config(make_config(tiny_llm), encoder_dims=DIMS, seed=0)
    with torch.no_grad():  # LoRA B starts at zero; make the adapter matter
        for n, p in model.llm.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.05)
    model.eval()
    batch = batch_inputs(model, with_answers=False)
    ref = model(**batch).logits
    folder = save(model, tmp_path / "model")
    section = json.loads((folder / "config.json").read_text())["affect_llm"]
    assert section["architecture"] == "affectgpt" and section["encoder_dims"] == DIMS
    assert (folder / "llm_adapter" / "adapter_config.json").exists() and (folder / "adapter.safetensors").exists()
    loaded = load(folder)
    assert torch.allclose(loaded(**batch).logits, ref, atol=1e-5)
    loaded.merge_lora()
    assert torch.allclose(loaded(**batch).logits, ref, atol=1e-4)
    merged = load(save(model, tmp_path / "merged", merge_lora=True))
    assert merged.config.llm.training == "frozen" and (tmp_path / "merged" / "llm" / "config.json").exists()
    assert torch.allclose(merged(**batch).logits, ref, atol=1e-4)
    texts = loaded.describe(["hi", None, "no"], batch["features"], max_new_tokens=4)
    assert len(texts) == 3 and all(isinstance(t, str) for t in texts)


def test_full_and_frozen_llm_save_load(tiny_llm, tmp_path):
    from affect_llm.models.affectgpt.io import load, save

    for training in ("full", "frozen"):
        model = AffectGPTModel.from_config(make_config(tiny_llm, "qformer", training=training),
                                           encoder_dims=DIMS, seed=1).eval()
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        assert any(n.startswith("llm.") for n in trainable) == (training == "full")
        batch = batch_inputs(model, with_answers=False)
        ref = model(**batch).logits
        assert torch.allclose(load(save(model, tmp_path / training))(**batch).logits, ref, atol=1e-5)


def test_config_errors_name_the_file_and_key(tiny_llm, tmp_path):
    base = make_config(tiny_llm).to_dict()
    base["fusion"]["kindd"] = "attention"
    with pytest.raises(InputError, match=r"cfg\.json: unknown key\(s\) fusion\.kindd"):
        config_from_dict(base, "cfg.json")
    base = make_config(tiny_llm).to_dict()
    base["fusion"]["kind"] = "atention"
    with pytest.raises(InputError, match="fusion.kind 'atention' is not one of"):
        config_from_dict(base, "cfg.json")
    base = make_config(tiny_llm).to_dict()
    base["modalities"][0]["tokens"] = "many"
    with pytest.raises(InputError, match=r"modalities\[0\]\.tokens must be int"):
        config_from_dict(base, "cfg.json")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text(json.dumps({"affect_llm": {"architecture": "affectgpt"}}))
    from affect_llm.models import load_model

    with pytest.raises(ModelError, match="no llm_adapter"):
        _ = load_model(str(tmp_path / "bad")).model


def _bnb_cpu_reason() -> str | None:
    try:
        import bitsandbytes  # noqa: F401
        import peft  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return f"bitsandbytes/peft not importable ({exc}): pip install 'affect-llm[train]'"
    return None


@pytest.mark.skipif(_bnb_cpu_reason() is not None, reason=str(_bnb_cpu_reason()))
def test_qlora_4bit_trains_lora_on_cpu(tiny_llm):
    config = make_config(tiny_llm, "gate")
    config.llm.quantization = "4bit"
    try:
        model = AffectGPTModel.from_config(config, encoder_dims=DIMS, seed=0)
    except ModelError as exc:
        pytest.skip(f"bitsandbytes cannot load 4-bit weights on this machine: {exc}")
    import bitsandbytes as bnb

    assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.llm.modules())
    batch = batch_inputs(model)
    model.eval()
    with torch.no_grad():  # the eval forward that, on AVX512-BF16 CPUs, used to kill LoRA gradients
        model(**batch)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-3)
    losses = []
    for _ in range(4):
        loss = model(**batch).loss
        loss.backward()
        # Every LoRA B (A starts with a zero gradient, B = 0) and the projectors must get a gradient:
        # a repacked 4-bit weight passes no gradient back through the base layers.
        lora_b = {n: p.grad for n, p in model.llm.named_parameters() if "lora_B" in n}
        assert lora_b and all(g is not None and float(g.abs().sum()) > 0 for g in lora_b.values()), \
            [n for n, g in lora_b.items() if g is None or float(g.abs().sum()) == 0]
        proj = model.projectors["audio"].inp.proj.weight.grad
        assert proj is not None and float(proj.abs().sum()) > 0, "no gradient through the 4-bit LLM"
        opt.step()
        opt.zero_grad()
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_gradient_checkpointing_gives_the_same_loss_and_gradients(tiny_llm):
    losses, grads = [], []
    for checkpointing in (False, True):
        config = make_config(tiny_llm, "attention")
        config.llm.gradient_checkpointing = checkpointing
        model = AffectGPTModel.from_config(config, encoder_dims=DIMS, seed=3).train()
        loss = model(**batch_inputs(model)).loss
        loss.backward()
        losses.append(float(loss))
        grads.append(model.projectors["frames"].inp.proj.weight.grad.clone())
    assert abs(losses[0] - losses[1]) < 1e-6
    assert torch.allclose(grads[0], grads[1], atol=1e-6)
