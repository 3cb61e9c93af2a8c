"""``variant: reproduce``: upstream AffectGPT's modules and raw prompt; questions and answer cuts in both variants.

Tiny random Llama with the SmolLM2 tokenizer and random features: seconds on a CPU.
"""

from __future__ import annotations

import csv
import json
import math
import random

import pytest
import torch

from affect_llm.errors import InputError
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
from affect_llm.models.affectgpt.prompting import IGNORE_INDEX, PromptBuilder

DIMS = {"audio": 24, "faces": 16, "frames": 16}


def reproduce_config(llm, tokens=1, fusion="gate") -> AffectGPTConfig:
    mods = [ModalityConfig(n, n, f"precomputed:{n}:{d}", tokens=tokens) for n, d in DIMS.items()]
    return AffectGPTConfig(variant="reproduce", modalities=mods, fusion=FusionConfig(kind=fusion, tokens=tokens),
                           llm=LLMConfig(path=str(llm)), lora=LoRAConfig(r=4, alpha=32, dropout=0.0),
                           modality_dropout=0.0)


@pytest.fixture(scope="module")
def model(tiny_llm):
    return AffectGPTModel.from_config(reproduce_config(tiny_llm, tokens=2), encoder_dims=DIMS, seed=0)


# ------------------------------------------------------------------------------ config
def test_variant_defaults_to_improved_and_choices_are_enforced(tmp_path):
    base = {"modalities": [{"name": "audio", "source": "audio", "encoder": "precomputed:a:8"}]}
    assert config_from_dict(dict(base), "old.json").variant == "improved"  # folders saved before the field
    with pytest.raises(InputError, match=r"cfg\.yaml: variant 'exact' is not one of \('reproduce', 'improved'\)"):
        config_from_dict({**base, "variant": "exact"}, "cfg.yaml")
    with pytest.raises(InputError, match=r"modalities\[0\]\.source 'voice' is not one of"):
        config_from_dict({"modalities": [{"name": "a", "source": "voice", "encoder": "x"}]}, "cfg.yaml")
    with pytest.raises(InputError, match="llm.dtype 'fp8' is not one of"):
        config_from_dict({**base, "llm": {"dtype": "fp8"}}, "cfg.yaml")


@pytest.mark.parametrize("change,message", [
    ({"fusion": {"kind": "attention"}}, "fusion.kind 'attention' is not one of"),
    ({"modality_dropout": 0.1}, "no modality dropout"),
    ({"projector": "qformer"}, "projector 'qformer'"),
    ({"only_audio": True}, "the gate mixes one visual stream"),
])
def test_reproduce_refuses_what_upstream_cannot_express(change, message):
    mods = [{"name": n, "source": n, "encoder": f"precomputed:{n}:8",
             "projector": change.get("projector", "attention")}
            for n in (("audio",) if change.get("only_audio") else ("audio", "faces"))]
    data = {"variant": "reproduce", "modalities": mods, "fusion": change.get("fusion", {"kind": "gate"}),
            "modality_dropout": change.get("modality_dropout", 0.0)}
    with pytest.raises(InputError, match=message):
        config_from_dict(data, "cfg.yaml")


# ------------------------------------------------------------------------------ modules
def test_reproduce_modules_are_upstreams(model):
    r = model.reproduce
    hidden = model.llm.get_base_model().config.hidden_size
    shapes = {n: tuple(p.shape) for n, p in r.named_parameters()}
    assert shapes == {
        "audio_attention_mlp.weight": (1, 24), "audio_attention_mlp.bias": (1,),
        "audio_llama_proj.weight": (hidden, 24), "audio_llama_proj.bias": (hidden,),
        "video_attention_mlp.weight": (1, 16), "video_attention_mlp.bias": (1,),  # faces and frames share it
        "affectgpt_proj.weight": (hidden, 16), "affectgpt_proj.bias": (hidden,),
        "multi_audio_embs.weight": (24, 24), "multi_audio_embs.bias": (24,),
        "multi_video_embs.weight": (24, 16), "multi_video_embs.bias": (24,),
        "attention_mlp.weight": (24, 48), "attention_mlp.bias": (24,),
        "fc_att.weight": (2, 24), "fc_att.bias": (2,),
        "multi_llama_proj.weight": (hidden, 24), "multi_llama_proj.bias": (hidden,)}
    assert model.stream_budgets() == [("fused", 2), ("audio", 2), ("faces", 2), ("frames", 2)]
    assert set(model.adapter_parameters()) == {f"reproduce.{n}" for n in shapes}


def test_reproduce_tokens_follow_upstreams_formulas_and_ignore_padding(model):
    g = torch.Generator().manual_seed(1)
    clip = {"audio": torch.randn(5, 24, generator=g), "faces": torch.randn(3, 16, generator=g),
            "frames": torch.randn(3, 16, generator=g)}
    longer = {k: torch.randn(9, v.shape[1], generator=g) for k, v in clip.items()}
    r = model.reproduce
    with torch.no_grad():
        alone = r(collate_features([clip], DIMS))[0]
        padded = r(collate_features([clip, longer], DIMS))[0]  # clip is zero padded to 9 positions here
        a, f = clip["audio"][None], clip["faces"][None]
        audio = r.audio_llama_proj(torch.matmul(a.transpose(1, 2), r.audio_attention_mlp(a)).squeeze(2))
        face = r.affectgpt_proj(torch.matmul(f.transpose(1, 2), r.video_attention_mlp(f)).squeeze(2))
        v, au = r.multi_video_embs(f.mean(1)), r.multi_audio_embs(a.mean(1))
        w = r.fc_att(r.attention_mlp(torch.cat([v, au], 1)))  # raw weights: no softmax
        fused = r.multi_llama_proj(w[:, :1] * v + w[:, 1:] * au)
    assert alone.shape == (8, model.llm.get_base_model().config.hidden_size)
    assert torch.allclose(alone, padded, atol=1e-5)
    for rows, want in ((slice(0, 2), fused), (slice(2, 4), audio), (slice(4, 6), face)):
        assert torch.allclose(alone[rows], want.expand(2, -1), atol=1e-5)  # one vector, repeated K times
    assert not torch.allclose(w.sum(), torch.tensor(1.0))


def test_reproduce_trains_every_module_and_saves(model, tiny_llm, tmp_path):
    from affect_llm.models.affectgpt.io import load, save

    g = torch.Generator().manual_seed(2)
    items = [{k: torch.randn(4, d, generator=g) for k, d in DIMS.items()} for _ in range(2)]
    enc = [model.prompt.encode("Hi.", "The character's emotional state is happy.", "labels"),
           model.prompt.encode(None, "The voice trembles. The person is sad.", "description")]
    batch = model.prompt.collate(enc)
    batch["features"] = collate_features(items, DIMS)
    model.train()
    model.zero_grad()
    model(**batch).loss.backward()
    no_grad = [n for n, p in model.reproduce.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not no_grad
    model.eval()
    folder = save(model, tmp_path / "repro")
    back = load(folder)
    assert back.config.variant == "reproduce" and back.config.template_name() == "affectgpt_reproduce.yaml"
    with torch.no_grad():
        want = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        got = back(**{k: v for k, v in batch.items() if k != "labels"}).logits
    assert torch.allclose(want, got, atol=1e-5)


# ------------------------------------------------------------------------------ prompt
def test_raw_prompt_is_upstreams(model):
    p = model.prompt
    text = p.prompt_text("Fine.", "labels")
    assert text.startswith("###Human: The audio and video merged info is: <Multi><|affect_stream:fused|></Multi>. "
                           "The audio content is as follows: <Audio><|affect_stream:audio|></Audio>. Meanwhile,")
    assert text.endswith("The subtitle of this video is: <Subtitle>Fine.</Subtitle>. Now, please answer my question "
                         "based on all the provided information. Please recognize all possible emotional states "
                         "of the character. ###Assistant: ")
    assert "<|im_start|>system" not in text and "Subtitle" not in p.prompt_text(None)
    tok = model.tokenizer
    train = p.encode("Fine.", "The character's emotional state is calm.", "labels")
    infer = p.encode("Fine.", None, "labels")
    assert train.input_ids[0] == p.bos_id and infer.input_ids[0] != p.bos_id
    answer = [i for i, lab in zip(train.input_ids, train.labels) if lab != IGNORE_INDEX]
    assert tok.decode(answer) == "The character's emotional state is calm.###" + tok.eos_token
    assert train.input_ids[1:len(infer.input_ids) + 1] == infer.input_ids  # the same prompt after the bos
    assert p.clean("The person is calm.###Human: more") == "The person is calm."


def test_followups_continue_upstreams_raw_turns(model, monkeypatch):
    """A chat follow-up on a reproduce model continues the first turn's ``###Human: ... ###Assistant: ``
    form; it used to switch to ``User:`` / ``Assistant:``, a form the model never saw."""
    import weakref

    from affect_llm.models.affectgpt.inference import AffectGPT
    from affect_llm.models.textualized import Answer

    tail = model.prompt.conversation_tail("The person is calm.", [("Why?", "The voice is soft.")], "Is she sad?")
    assert tail == ("The person is calm.###Human: Why? ###Assistant: The voice is soft."
                    "###Human: Is she sad? ###Assistant: ")

    class Clip:  # what followup reads of a perception: its words (its features are held below)
        subtitle = "Fine."

    clip, seen = Clip(), []
    wrapper = AffectGPT("unused-folder")
    wrapper._model = model
    g = torch.Generator().manual_seed(2)
    feats = collate_features([{k: torch.randn(3, d, generator=g) for k, d in DIMS.items()}], DIMS)
    wrapper._clip_features[id(clip)] = (weakref.ref(clip), feats)

    def generate(input_ids, attention_mask, slot_mask, features, max_new_tokens=None):
        seen.append(model.tokenizer.decode(input_ids[0][attention_mask[0].bool()]))
        return ["No, she is calm."]

    monkeypatch.setattr(model, "generate", generate)
    first = Answer(explanation="The person is calm.", emotions=["calm"], emotions_source="llm")
    assert wrapper.followup(clip, first, [("Why?", "The voice is soft.")], "Is she sad?") == "No, she is calm."
    prompt = seen[0]
    assert prompt.startswith(model.prompt.prompt_text("Fine.").split("<|affect_stream")[0])
    assert prompt.endswith("The person is calm.###Human: Why? ###Assistant: The voice is soft."
                           "###Human: Is she sad? ###Assistant: ")
    assert "User:" not in prompt and "Assistant:" not in prompt.replace("###Assistant:", "")


def test_questions_match_targets_in_both_variants(tiny_llm):
    chat = PromptBuilder(_tokenizer(tiny_llm), "affectgpt.yaml", [("audio", 1)])
    rng = random.Random(0)
    pairs = {chat.target("A calm voice.", ["calm"], "hybrid", rng) for _ in range(40)}
    assert pairs == {("description", "A calm voice."), ("labels", "The character's emotional state is calm.")}
    assert chat.target(None, ["sad"], "description", rng)[0] == "labels"  # the pair it has
    assert chat.target("Tears.", None, "emotions", rng) == ("description", "Tears.")
    described, listed = chat.prompt_text("x", "description"), chat.prompt_text("x", "labels")
    assert chat.template["questions"]["labels"] in listed and chat.template["questions"]["labels"] not in described


def test_over_long_answers_are_cut_at_a_sentence_end(tiny_llm):
    tok = _tokenizer(tiny_llm)
    p = PromptBuilder(tok, "affectgpt.yaml", [("audio", 1)], max_answer_tokens=12)
    cut = p.answer_ids("The voice shakes. The person cries openly and loudly all the time now.", 12)
    assert tok.decode(cut) == "The voice shakes." + tok.eos_token
    no_end = p.answer_ids("word " * 30, 12)
    assert len(no_end) == 12 and p.eos_id not in no_end  # never taught to stop in mid-sentence
    assert p.answer_ids("Short.", 12)[-1] == p.eos_id


def _tokenizer(llm):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(llm)


# ------------------------------------------------------------------------------ recipe
def test_repro_config_has_upstreams_hyper_parameters():
    from affectgpt_support import REPO

    from affect_llm.training.config import load_train_config
    from affect_llm.training.recipe import lr_factor

    cfg = load_train_config(REPO / "train" / "configs" / "affectgpt_repro.yaml")
    o = cfg.optim
    assert cfg.model.variant == "reproduce" and cfg.precision == "fp16" and o.max_grad_norm is None
    assert (o.lr, o.warmup_steps, o.schedule, o.weight_decay, cfg.micro_batch_size, cfg.max_steps) == (
        1e-5, 5000, "constant", 0.05, 3, 60 * 5000)
    lrs = [o.lr * lr_factor(s, cfg, cfg.max_steps) for s in (0, 2499, 4999, 5000, 299_999)]
    # upstream: 1e-6 + 9e-6 * step / 5000; ours counts the step being taken (+1): within one step
    assert lrs[0] == pytest.approx(1e-6, rel=1e-2) and lrs[1] == pytest.approx(5.5e-6, rel=1e-2)
    assert lrs[2:] == pytest.approx([1e-5] * 3)
    proof = load_train_config(REPO / "train" / "configs" / "learnability_cpu_reproduce.yaml")
    assert proof.model.variant == "reproduce" and proof.model.fusion.kind == "gate"


def test_reproduce_trains_and_resumes_through_the_recipe_in_fp16_without_clipping(tmp_path):
    from affectgpt_support import random_feature_dataset, write_config

    from affect_llm.models.affectgpt.tiny import make_tiny_llm
    from affect_llm.training.config import load_train_config
    from affect_llm.training.recipe import train

    data = random_feature_dataset(tmp_path / "data", n=12)
    llm = make_tiny_llm(tmp_path / "llm")
    path = write_config(tmp_path / "cfg.yaml", data, llm, model__variant="reproduce",
                        model__fusion={"kind": "gate", "tokens": 1}, model__modality_dropout=0.0,
                        model__modalities=[{"name": "audio", "source": "audio", "encoder": "precomputed:rand-audio:24",
                                            "tokens": 1},
                                           {"name": "frames", "source": "frames",
                                            "encoder": "precomputed:rand-frames:16", "tokens": 1}],
                        precision="fp16", optim={"lr": 1e-3, "max_grad_norm": None, "warmup_steps": 1},
                        max_steps=4, save_every=2)

    def curve(run):
        with open(tmp_path / run / "metrics.csv", newline="") as f:
            return [(r["step"], float(r["loss"]), float(r["grad_norm"])) for r in csv.DictReader(f)]

    train(load_train_config(path, [f"output_dir={tmp_path / 'ref'}"]))
    train(load_train_config(path, [f"output_dir={tmp_path / 'cut'}", "max_steps=2"]))
    state = json.loads((tmp_path / "cut" / "checkpoints" / "step-0000002" / "state.json").read_text())
    assert state["grad_scaler"]["scale"] > 0  # the loss scaler's state travels with the checkpoint
    summary = train(load_train_config(path, [f"output_dir={tmp_path / 'cut'}"]))  # resumes at step 2
    ref, cut = curve("ref"), curve("cut")
    assert summary["start_step"] == 2 and len(ref) == 4 and all(math.isfinite(r[1]) for r in ref)
    assert [r[0] for r in ref] == [r[0] for r in cut]
    assert all(abs(a[1] - b[1]) <= 1e-4 * max(1.0, abs(a[1])) for a, b in zip(ref, cut)), (ref, cut)


# ------------------------------------------------------------------------------ --question
def test_labels_question_is_refused_by_the_default_model_before_any_clip_is_read(tmp_path, capsys):
    from affect_llm.cli.main import main
    from affect_llm.models import load_model
    from affect_llm.models.affectgpt.inference import AffectGPT
    from affect_llm.models.questions import check_question

    check_question(AffectGPT(tmp_path), "labels")  # a trained folder answers both (nothing is loaded)
    default = load_model("default")
    check_question(default, "description")
    with pytest.raises(InputError, match="answers one question.*JSON 'emotions' field"):
        check_question(default, "labels")
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"not decoded: the question is refused first")
    out = tmp_path / "out.jsonl"
    rc = main(["infer", "--input", str(tmp_path / "clips"), "--output", str(out), "--question", "labels",
               "--workers", "0", "--no-progress"])
    assert rc == 2 and "--question labels needs a trained AffectGPT folder" in capsys.readouterr().err
    assert not out.exists() or not out.read_text().strip()
