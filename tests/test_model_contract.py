"""Every app against every model kind: the ``EmotionModel`` protocol (``models/protocol.py``).

``chat --model <trained AffectGPT folder>`` used to crash with ``AttributeError``: the demo calls
``answer_stream`` and ``followup``, which only the default model had. Here ``describe`` and
``infer`` (the CLI, in-process), ``chat`` (the web demo's own event functions, and the terminal
mode for the kind ``test_chat.py`` does not cover) and ``serve`` (the FastAPI app in-process) run
against both kinds: the default textualized
model (the fast-model folder) and a tiny saved AffectGPT folder (random 2-layer Llama, log-mel
audio and MobileNetV2 frames: real encoders, seconds on a CPU). Its answers are noise; the
contract is about shapes, not quality. Clips are given their words, so Whisper never runs.
"""

from __future__ import annotations

import inspect
import io
import json
import shutil
from pathlib import Path

import pytest

from affect_llm.cli.main import main

SUBTITLE = "I just got the news, I passed!"
FRAMES = 4
KINDS = ("textualized", "affectgpt")
PROTOCOL_MEMBERS = ("name", "load", "llm", "answer", "answer_stream", "followup")


def save_tiny_affectgpt(folder: Path, llm_folder: Path) -> Path:
    """A tiny AffectGPT folder with real (cheap) encoders, saved the way training saves one."""
    from affect_llm.models.affectgpt.config import config_from_dict
    from affect_llm.models.affectgpt.io import save
    from affect_llm.models.affectgpt.modeling import AffectGPTModel
    from affect_llm.models.affectgpt.tiny import make_tiny_llm

    llm = make_tiny_llm(llm_folder)
    config = config_from_dict({
        "modalities": [{"name": "audio", "source": "audio", "encoder": "logmel", "tokens": 2},
                       {"name": "faces", "source": "faces", "encoder": "mobilenet_v2", "tokens": 2},
                       {"name": "frames", "source": "frames", "encoder": "mobilenet_v2", "tokens": 2}],
        "fusion": {"kind": "attention", "tokens": 2, "layers": 1},
        "llm": {"path": str(llm), "training": "lora"}, "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
        "sampling": {"num_frames": FRAMES}, "template": "affectgpt.yaml",
        "width": 32, "heads": 4, "max_new_tokens": 12})
    return save(AffectGPTModel.from_config(config, seed=0), folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, fast_model) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("contract")
    return {"textualized": fast_model,
            "affectgpt": save_tiny_affectgpt(root / "tiny-affectgpt", root / "tiny-llm")}


@pytest.fixture(scope="module", params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def models(folders) -> dict[str, object]:
    from affect_llm.models import load_model

    return {k: load_model(str(folder)) for k, folder in folders.items()}


@pytest.fixture(scope="module")
def perception(example_clips):
    from affect_llm.perception import PerceiveOptions, perceive

    return perceive(example_clips["cheerful"], PerceiveOptions(num_frames=FRAMES, subtitle=SUBTITLE,
                                                               transcribe=False))


def _check_answer(answer, kind: str) -> None:
    assert isinstance(answer.explanation, str) and answer.explanation.strip()
    assert answer.emotions and all(isinstance(e, str) for e in answer.emotions)
    assert answer.emotions_source == ("evidence" if kind == "textualized" else "llm") or \
        (kind == "affectgpt" and answer.emotions_source == "cues")


# --------------------------------------------------------------------------- the protocol itself
def test_model_has_every_protocol_member_with_the_apps_signatures(models, kind, perception):
    from affect_llm.models.affectgpt.inference import AffectGPT
    from affect_llm.models.textualized import TextualizedModel

    model = models[kind]
    assert isinstance(model, {"textualized": TextualizedModel, "affectgpt": AffectGPT}[kind])
    for member in PROTOCOL_MEMBERS:
        inspect.getattr_static(model, member)  # AttributeError names the missing member
    answer = model.answer([perception])[0]
    inspect.signature(model.followup).bind(perception, answer, [("q", "a")], "why?", max_new_tokens=8)
    _check_answer(answer, kind)

    steps = list(model.answer_stream(perception))
    assert [final for _, final in steps].count(True) == 1 and steps[-1][1]  # partials, then one final
    assert len(steps) >= 2  # streamed, not one block
    assert steps[-1][0].explanation == answer.explanation  # the same generation as ``answer``
    assert steps[-1][0].emotions == answer.emotions


# --------------------------------------------------------------------------- describe and infer
def test_describe_cli(folders, kind, example_clips, capsys):
    code = main(["describe", str(example_clips["cheerful"]), "--model", str(folders[kind]), "--subtitle", SUBTITLE,
                 "--no-transcribe", "--frames", str(FRAMES), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    record = json.loads(out)
    assert record["model"] == folders[kind].name and record["explanation"].strip() and record["emotions"]
    assert "Traceback" not in err


def test_infer_cli(folders, kind, example_clips, tmp_path, capsys):
    manifest = tmp_path / "in.jsonl"
    manifest.write_text("".join(json.dumps({"id": cid, "video": str(example_clips[name]), "subtitle": SUBTITLE}) + "\n"
                                for cid, name in (("a", "cheerful"), ("b", "angry"))))
    out = tmp_path / "out.jsonl"
    code = main(["infer", "--input", str(manifest), "--output", str(out), "--model", str(folders[kind]),
                 "--workers", "0", "--batch-size", "2", "--frames", str(FRAMES), "--no-transcribe", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in records) == ["a", "b"]
    assert all("error" not in r and r["explanation"].strip() and r["model"] == folders[kind].name for r in records)


# --------------------------------------------------------------------------- chat
def test_chat_web_demo_functions(models, kind, example_clips, tmp_path):
    """The demo's own event functions, called in order as the page calls them: perceive an
    upload, stream the explanation, answer a follow-up question."""
    gr = pytest.importorskip("gradio", reason="the demo extra is not installed: pip install -e '.[demo]'")
    from affect_llm.demo.app import build_demo

    demo = build_demo(model=models[kind], examples=[], wheel=None,
                      perceive_options=_options())
    fns = {f.api_name: f.fn for f in demo.fns.values() if f.api_name in ("perceive", "explain")}
    ask = next(f.fn for f in demo.fns.values() if f.fn.__name__ == "ask")
    request = gr.Request(session_hash=f"contract-{kind}")

    _, frames, _, cues, _, _, conv = list(fns["perceive"](str(example_clips["cheerful"]), SUBTITLE, request))[-1]
    assert conv is not None and len(frames) == FRAMES and "decision" in cues
    steps = list(fns["explain"](conv))
    assert conv.answer is not None and conv.answer.explanation.strip()
    assert any("Done" in str(step[1]) for step in steps)
    last_chat = next(step[0] for step in reversed(steps) if isinstance(step[0], list))
    assert conv.answer.explanation in last_chat[0]["content"]

    *_, (chat, _, _, conv) = list(ask("Why do you think so?", conv))
    assert len(conv.history) == 1 and conv.history[0][1].strip()
    assert chat[-1] == {"role": "assistant", "content": conv.history[0][1]}


def test_chat_terminal_mode(folders, kind, example_clips, monkeypatch, capsys):
    if kind == "textualized":
        pytest.skip("tests/test_chat.py::test_tui_explains_then_answers_a_piped_question runs it")
    monkeypatch.setattr("sys.stdin", io.StringIO("Why do you think so?\n"))
    code = main(["chat", "--tui", str(example_clips["cheerful"]), "--model", str(folders[kind]), "--subtitle",
                 SUBTITLE, "--no-transcribe", "--frames", str(FRAMES), "--followup-tokens", "12"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "emotions: " in out and "you> Why do you think so?" in out
    assert out.split("affect-llm> ", 1)[1].strip()


# --------------------------------------------------------------------------- serve
def test_serve_in_process(models, kind, example_clips, tmp_path):
    pytest.importorskip("fastapi", reason="the demo extra is not installed: pip install -e '.[demo]'")
    from fastapi.testclient import TestClient

    from affect_llm.serve import create_app

    clip = tmp_path / "clip.mp4"
    shutil.copy(example_clips["cheerful"], clip)
    app = create_app(model=models[kind], perception_workers=1, batch_wait_ms=10, perceive_options=_options())
    with TestClient(app) as client, clip.open("rb") as fh:
        response = client.post("/describe", files={"file": ("clip.mp4", fh, "video/mp4")},
                               data={"subtitle": SUBTITLE, "id": "c1"})
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["id"] == "c1" and record["model"] == models[kind].name
    assert record["explanation"].strip() and record["emotions"]


def _options():
    from affect_llm.perception import PerceiveOptions

    return PerceiveOptions(num_frames=FRAMES, transcribe=False)
