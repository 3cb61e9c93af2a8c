"""``affect-llm convert affectgpt``: an upstream-shaped checkpoint becomes a folder that computes what
upstream computes.

The checkpoint is built here from a small re-statement of upstream AffectGPT's modules (its
attribute names, its peft LoRA with full per-layer target names, r=4, alpha 32) on the tiny test
LLM, with every weight random (LoRA B included, so the adapter matters). The reference logits
come from a direct re-implementation of upstream's forward: its raw prompt with ``<MultiHere>`` /
``<AudioHere>`` / ``<FaceHere>`` added as special tokens, score pooling, the gate, the splice.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from affect_llm.cli.main import main
from affect_llm.errors import ModelError

D_AUDIO, D_VIDEO = 24, 16
SUBTITLE = "I can't believe you did that."
QUESTION = "Please infer the person's emotional state and provide your reasoning process."


class Upstream(nn.Module):
    """Upstream's trainable modules for ``*_fusion_type: attention`` + ``multi_fusion_type: attention``."""

    def __init__(self, llm_dir):
        super().__init__()
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        llm = AutoModelForCausalLM.from_pretrained(llm_dir, dtype=torch.float32)
        llm.requires_grad_(False)
        layers = len(llm.model.layers)
        targets = [f"model.layers.{i}.{k}" for i in range(layers) for k in (
            "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj")]
        self.llama_model = get_peft_model(llm, LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=32,
                                                          lora_dropout=0.05, target_modules=targets))
        hidden, width = llm.config.hidden_size, max(D_AUDIO, D_VIDEO)
        self.image_llama_proj = nn.Linear(D_VIDEO, hidden)
        self.video_attention_mlp = nn.Linear(D_VIDEO, 1)
        self.affectgpt_proj = nn.Linear(D_VIDEO, hidden)
        self.audio_attention_mlp = nn.Linear(D_AUDIO, 1)
        self.audio_llama_proj = nn.Linear(D_AUDIO, hidden)
        self.multi_audio_embs = nn.Linear(D_AUDIO, width)
        self.multi_video_embs = nn.Linear(D_VIDEO, width)
        self.attention_mlp = nn.Linear(2 * width, width)
        self.fc_att = nn.Linear(width, 2)
        self.multi_llama_proj = nn.Linear(width, hidden)
        g = torch.Generator().manual_seed(7)
        with torch.no_grad():
            for p in self.parameters():
                if p.requires_grad:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.2)

    def trainable_state(self):
        return {k: v.detach().clone() for k, v in self.named_parameters() if v.requires_grad}

    @torch.no_grad()
    def logits(self, tokenizer, face, audio):
        """Upstream's inference forward for ``multiface_audio_face_text`` (no bos, as answer_sample)."""
        def pool(scorer, h):
            return torch.matmul(h.transpose(1, 2), scorer(h)).squeeze(2)

        face_llm = self.affectgpt_proj(pool(self.video_attention_mlp, face))
        audio_llm = self.audio_llama_proj(pool(self.audio_attention_mlp, audio))
        v, a = self.multi_video_embs(face.mean(1)), self.multi_audio_embs(audio.mean(1))
        att = self.fc_att(self.attention_mlp(torch.cat([v, a], dim=1))).unsqueeze(2)
        multi_llm = self.multi_llama_proj(torch.matmul(torch.stack([v, a], dim=2), att).squeeze(2))
        prompt = ("###Human: The audio and video merged info is: <Multi><MultiHere></Multi>. "
                  "The audio content is as follows: <Audio><AudioHere></Audio>. "
                  "Meanwhile, we uniformly sample raw frames from the video and extract faces from these "
                  "frames: <Video><FaceHere></Video>. "
                  f"The subtitle of this video is: <Subtitle>{SUBTITLE}</Subtitle>. "
                  "Now, please answer my question based on all the provided information. "
                  f"{QUESTION} ###Assistant: ")
        ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids[0]
        slots = {tokenizer.convert_tokens_to_ids(t): e for t, e in
                 (("<MultiHere>", multi_llm), ("<AudioHere>", audio_llm), ("<FaceHere>", face_llm))}
        embed = self.llama_model.model.model.embed_tokens
        rows = []
        for i in ids.tolist():
            rows.append(slots[i][0] if i in slots else embed(torch.tensor([i]))[0])
        return self.llama_model(inputs_embeds=torch.stack(rows)[None]).logits[0], len(ids)


@pytest.fixture(scope="module")
def upstream(tiny_llm):
    torch.manual_seed(0)
    return Upstream(tiny_llm).eval()  # no LoRA dropout


def test_converted_checkpoint_gives_upstreams_logits(upstream, tiny_llm, tmp_path):
    from transformers import AutoTokenizer

    from affect_llm.features.batch import collate_features
    from affect_llm.models import load_model

    state = upstream.trainable_state()
    assert "llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight" in state
    assert {"fc_att.weight", "multi_llama_proj.bias", "affectgpt_proj.weight"} <= set(state)
    ckpt = tmp_path / "checkpoint_59.pth"
    torch.save({"model": state, "optimizer": {}, "epoch": 59}, ckpt)
    out = tmp_path / "converted"
    rc = main(["convert", "affectgpt", str(ckpt), "--llm", str(tiny_llm), "--out", str(out), "--dtype", "float32"])
    assert rc == 0 and (out / "llm_adapter" / "adapter_config.json").is_file()

    model = load_model(str(out)).model
    assert model.config.variant == "reproduce" and model.config.lora.r == 4 and model.config.lora.alpha == 32
    g = torch.Generator().manual_seed(3)
    face, audio = torch.randn(1, 8, D_VIDEO, generator=g), torch.randn(1, 5, D_AUDIO, generator=g)

    tok = AutoTokenizer.from_pretrained(tiny_llm)
    tok.add_tokens(["<MultiHere>", "<AudioHere>", "<FaceHere>"], special_tokens=True)
    want, length = upstream.logits(tok, face, audio)

    batch = model.prompt.collate([model.prompt.encode(SUBTITLE, None, "description")])
    assert batch["input_ids"].shape[1] == length  # same tokens around the slots, no bos at inference
    feats = collate_features([{"faces": face[0], "audio": audio[0]}], model.encoder_dims)
    with torch.no_grad():
        got = model(batch["input_ids"], batch["attention_mask"], batch["slot_mask"], features=feats).logits[0]
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4), (got - want).abs().max()


def test_unknown_missing_and_misshapen_keys_are_listed(upstream, tiny_llm, tmp_path):
    state = upstream.trainable_state()
    state["au_llama_proj.weight"] = torch.zeros(64, 512)
    del state["fc_att.bias"]
    del state["llama_model.base_model.model.model.layers.1.mlp.up_proj.lora_B.default.weight"]
    ckpt = tmp_path / "bad.pth"
    torch.save({"model": state}, ckpt)
    from affect_llm.models.affectgpt.convert import ConvertOptions, convert_checkpoint

    with pytest.raises(ModelError) as err:
        convert_checkpoint(ckpt, tmp_path / "out", ConvertOptions(llm=str(tiny_llm), dtype="float32"))
    msg = str(err.value)
    assert "unknown key(s): au_llama_proj.weight" in msg and "fc_att.bias" in msg
    assert "layers.1.mlp.up_proj.lora_B.default.weight" in msg and not (tmp_path / "out").exists()

    state = upstream.trainable_state()
    state["audio_attention_mlp.weight"] = torch.zeros(1, D_AUDIO + 1)
    torch.save({"model": state}, ckpt)
    with pytest.raises(ModelError, match=r"shape mismatch.*audio_attention_mlp\.weight \(1, 25\)"):
        convert_checkpoint(ckpt, tmp_path / "out", ConvertOptions(llm=str(tiny_llm), dtype="float32"))


def test_not_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "x.pth"
    torch.save({"state_dict": {}}, bad)
    assert main(["convert", "affectgpt", str(bad), "--llm", "x", "--out", str(tmp_path / "o")]) == 2
    assert "expected upstream AffectGPT's {'model': state_dict}" in capsys.readouterr().err
