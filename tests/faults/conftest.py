"""Fixtures of the fault-injection suite: a tiny random LLM (loads in a second, answers in
milliseconds) so the tests spend their time on the faults, not on generation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """An affect-llm model folder: the default (textualized) model on a 2-layer random Llama."""
    from affect_llm.models.affectgpt.tiny import make_tiny_llm

    root = tmp_path_factory.mktemp("tiny-model")
    llm = make_tiny_llm(root / "llm")
    (root / "model").mkdir()
    (root / "model" / "config.json").write_text(json.dumps(
        {"affect_llm": {"architecture": "textualized", "llm": str(llm), "max_new_tokens": 8}}))
    return root / "model"


@pytest.fixture
def fifo(tmp_path) -> Path:
    """A FIFO named like a video: opening it for reading blocks until someone writes."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "stream.mp4"
    os.mkfifo(path)
    return path
