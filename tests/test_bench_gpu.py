"""The GPU benchmark row runs only on a lent GPU machine; its code runs here on a toy shape on
CPU, so it cannot rot between loans."""

import pytest

pytest.importorskip("peft")


def test_gpu_bench_code_runs_on_a_toy_shape():
    from bench.gpu import measure

    r = measure("tiny", "cpu", quick=True)
    assert r["train"]["tokens_per_s"] > 0 and r["train"]["params"] > 0
    assert r["train"]["flops_per_token"] == 8 * r["train"]["params"]
    assert r["generate"]["ours_tokens_per_s"] > 0 and r["generate"]["hf_tokens_per_s"] > 0


def test_gpu_row_is_skipped_without_cuda():
    import torch

    from bench.gpu import run

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the row really runs")
    (row,) = run(quick=True)
    assert row.note.startswith("skipped")
