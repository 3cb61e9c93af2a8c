"""Our greedy loop (length-grouped prefill, finished rows dropped) against transformers' own
``generate`` on the real bundled SmolLM2, in float32 where the two must agree token for token."""

import pytest

from affect_llm.decoding import (
    greedy_generate,
    length_groups,
    shared_prefix_length,
    supports_compact_decoding,
)
from affect_llm.llm import BatchStreamer, chat_prompt, load_llm, resolve_dtype

QUESTIONS = [
    "Name one emotion.",
    "In one sentence, describe how a person who just won a prize might feel and why.",
    ("The person says: \"I told you three times already. This is completely unacceptable.\" "
     "In one sentence, explain what these words suggest about the speaker's feelings."),
    "Describe a calm voice.",
    "List three adjectives for a sad face, separated by commas, and explain each of them in detail.",
]


@pytest.fixture(scope="module")
def llm():
    return load_llm("smollm2", dtype="float32")


@pytest.fixture(scope="module")
def prompts(llm):
    return [chat_prompt(llm, [{"role": "user", "content": q}]) for q in QUESTIONS]


def _hf_generate(llm, prompts, max_new_tokens, ngram):
    import torch

    tok = llm.tokenizer
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        out = llm.model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 no_repeat_ngram_size=ngram, pad_token_id=tok.pad_token_id)
    rows = out[:, enc["input_ids"].shape[1]:].tolist()
    eos = {tok.eos_token_id, tok.pad_token_id}
    return [[t for t in row[:next((i for i, t in enumerate(row) if t in eos), len(row))]] for row in rows]


def test_shared_prefix_leaves_each_prompt_a_token_of_its_own():
    a = list(range(40))
    assert shared_prefix_length([a, a[:30] + [99]]) == 30
    assert shared_prefix_length([a, a]) == 39  # identical prompts: the last token is prefilled per row
    assert shared_prefix_length([a, a[:10] + [99]]) == 0  # too short to be worth a pass
    assert shared_prefix_length([a]) == 0


def test_length_groups_cover_rows_in_order_within_ratio():
    lengths = [100, 105, 110, 200, 210, 400, 1000]
    groups = length_groups(lengths, ratio=1.15)
    assert [i for g in groups for i in g.rows] == list(range(len(lengths)))
    for g in groups:
        assert max(lengths[i] for i in g.rows) <= 1.15 * min(lengths[i] for i in g.rows)
        assert g.length == max(lengths[i] for i in g.rows)
    assert len(groups) == 4  # 100-110, 200-210, 400, 1000


def test_greedy_loop_matches_transformers_generate(llm, prompts):
    assert supports_compact_decoding(llm.model)
    ids = llm.tokenizer(prompts, add_special_tokens=False)["input_ids"]
    assert shared_prefix_length(ids) >= 16  # the chat template's system turn: prefilled once
    ours = greedy_generate(llm.model, llm.tokenizer, ids, max_new_tokens=40, no_repeat_ngram_size=4)
    theirs = _hf_generate(llm, prompts, 40, 4)
    assert ours == theirs
    lengths = [len(r) for r in ours]
    assert min(lengths) < max(lengths)  # rows finished at different steps: compaction was exercised
    # A prompt alone gives the same tokens as in the batch (float32).
    assert greedy_generate(llm.model, llm.tokenizer, [ids[2]], max_new_tokens=40, no_repeat_ngram_size=4) == [ours[2]]


def test_row_done_ends_rows_early_without_changing_their_start(llm, prompts):
    ids = llm.tokenizer(prompts, add_special_tokens=False)["input_ids"]
    full = greedy_generate(llm.model, llm.tokenizer, ids, max_new_tokens=40)
    seen = []

    def three_words(row: int, text: str) -> bool:
        seen.append(row)
        return len(text.split()) >= 3 and row != 1  # row 1 runs on

    short = greedy_generate(llm.model, llm.tokenizer, ids, max_new_tokens=40, row_done=three_words)
    assert short[1] == full[1]
    for row, (s, f) in enumerate(zip(short, full)):
        assert f[:len(s)] == s
        if row != 1 and len(llm.tokenizer.decode(f).split()) > 4:
            assert len(s) < len(f)
            assert len(llm.tokenizer.decode(s, skip_special_tokens=True).split()) == 3
    assert set(seen) == set(range(len(ids)))  # called with the caller's row numbers


def test_streamer_sees_each_row_grow_to_the_final_text(llm, prompts):
    import threading

    ids = llm.tokenizer(prompts, add_special_tokens=False)["input_ids"]
    streamer = BatchStreamer(llm.tokenizer)
    result = {}
    thread = threading.Thread(target=lambda: result.update(
        out=greedy_generate(llm.model, llm.tokenizer, ids, max_new_tokens=24, streamer=streamer)))
    thread.start()
    steps = list(streamer)
    thread.join()
    final = [llm.tokenizer.decode(r, skip_special_tokens=True) for r in result["out"]]
    assert len(steps) >= max(len(r) for r in result["out"])
    assert steps[-1] == final
    assert all(len(a) <= len(b) for a, b in zip(steps[1], steps[-1]))


def test_resolve_dtype_is_explicit_or_hardware_native():
    assert resolve_dtype("float32", "cpu") == "float32"
    assert resolve_dtype("auto", "cpu") in ("bfloat16", "float32")
    assert resolve_dtype("auto", "mps") == "float32"
