"""Greedy batched decoding that does no work on padding or on rows that are already done.

``transformers.generate`` pads every prompt of a batch to the longest one and keeps computing
every row until the last row ends. For the textualized model's batches (five short prompts per
clip, 103 to 193 tokens long, answers of 6 to 52 tokens) that wastes about a quarter of the
prefill and half of the decoding steps. This loop, used by ``llm.generate`` for greedy decoding:

* **prefills in length groups**: rows are sorted by prompt length and prefilled in groups of
  similar length, so little padding is computed; the groups' KV caches are then left-padded
  to one length and joined (a row's keys carry its own positions, so padding is only masked);
* **drops finished rows**: after each step, rows that produced EOS or that ``row_done``
  declares complete leave the batch and the KV cache, and cache columns that have become
  padding for every remaining row are cut off.

The tokens are those of greedy ``generate`` with the same ``no_repeat_ngram_size``
(``tests/test_decoding.py`` compares the two); only float rounding can differ, since a matmul
over a different batch size may sum in a different order. Sampling, repetition penalties and
caches other than the plain dynamic one go through ``transformers.generate`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Prefill rows together while the longest prompt of a group is at most this much longer than the
# shortest: padding then costs at most ~15% of the group's prefill, and groups stay large
# enough for efficient matmuls.
GROUP_LENGTH_RATIO = 1.15


@dataclass
class _Group:
    rows: list[int]  # indices into the sorted order
    length: int  # longest prompt of the group


def length_groups(lengths: list[int], ratio: float = GROUP_LENGTH_RATIO) -> list[_Group]:
    """Split rows sorted by ascending length into runs whose max/min length stays within ``ratio``."""
    groups: list[_Group] = []
    for i, n in enumerate(lengths):
        if groups and n <= ratio * lengths[groups[-1].rows[0]]:
            groups[-1].rows.append(i)
            groups[-1].length = n
        else:
            groups.append(_Group(rows=[i], length=n))
    return groups


def supports_compact_decoding(model: Any) -> bool:
    """Our loop needs a plain per-layer dynamic KV cache (no sliding windows, no recurrent state)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        cache = DynamicCache(config=model.config)
    except Exception:  # noqa: BLE001 - an exotic config: let transformers.generate handle it
        return False
    return bool(cache.layers) and all(type(layer) is DynamicLayer for layer in cache.layers)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids = model.generation_config.eos_token_id
    out = set(ids if isinstance(ids, (list, tuple)) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        out.add(tokenizer.eos_token_id)
    return out


def greedy_generate(model: Any, tokenizer: Any, prompts: list[list[int]], max_new_tokens: int,
                    no_repeat_ngram_size: int = 0, row_done: Callable[[int, str], bool] | None = None,
                    streamer: Any = None) -> list[list[int]]:
    """Greedy continuations (token ids, EOS excluded) of ``prompts`` (token ids, no padding)."""
    import torch
    from transformers import DynamicCache, NoRepeatNGramLogitsProcessor

    device = model.device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    eos = _eos_ids(model, tokenizer)
    ngram = NoRepeatNGramLogitsProcessor(no_repeat_ngram_size) if no_repeat_ngram_size > 0 else None
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    lengths = [len(prompts[i]) for i in order]
    width = lengths[-1]

    def left_padded(rows: list[int], to: int) -> tuple[Any, Any]:
        ids = torch.full((len(rows), to), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), to), dtype=torch.long)
        for r, i in enumerate(rows):
            p = prompts[order[i]]
            ids[r, to - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[r, to - len(p):] = 1
        return ids.to(device), mask.to(device)

    # Prefill, group by group; each group's cache is left-padded to the full width and joined.
    keys: list[list[Any]] = []
    values: list[list[Any]] = []
    first_logits = []
    with torch.inference_mode():
        for group in length_groups(lengths):
            ids, mask = left_padded(group.rows, group.length)
            positions = (mask.cumsum(dim=1) - 1).clamp(min=0)  # every prompt starts at position 0
            out = model(input_ids=ids, attention_mask=mask, position_ids=positions,
                        past_key_values=DynamicCache(config=model.config), use_cache=True, logits_to_keep=1)
            first_logits.append(out.logits[:, -1, :].float())
            extra = width - group.length
            for layer_index, layer in enumerate(out.past_key_values.layers):
                k, v = layer.keys, layer.values
                if extra:
                    k = torch.nn.functional.pad(k, (0, 0, extra, 0))
                    v = torch.nn.functional.pad(v, (0, 0, extra, 0))
                if len(keys) <= layer_index:
                    keys.append([])
                    values.append([])
                keys[layer_index].append(k)
                values[layer_index].append(v)
        cache = DynamicCache(ddp_cache_data=[(torch.cat(k), torch.cat(v)) for k, v in zip(keys, values)])
        del keys, values
        sequences, mask = left_padded(list(range(len(order))), width)
        logits = torch.cat(first_logits)
        active = torch.arange(len(order), device=device)  # sorted-row index of each batch row
        generated: list[list[int]] = [[] for _ in order]
        if streamer is not None:
            streamer.put(sequences)
        for step in range(max_new_tokens):
            if ngram is not None:
                logits = ngram(sequences, logits)
            tokens = logits.argmax(-1)
            token_list = tokens.tolist()
            finished = []
            for b, (i, t) in enumerate(zip(active.tolist(), token_list)):
                if t in eos:
                    finished.append(b)
                    continue
                generated[i].append(t)
                if row_done is not None and row_done(order[i], tokenizer.decode(generated[i], skip_special_tokens=True)):
                    finished.append(b)
            if streamer is not None:
                full = torch.full((len(order),), pad, dtype=torch.long)
                for i, t in zip(active.tolist(), token_list):
                    if t not in eos:
                        full[order[i]] = t  # the streamer numbers rows as the caller does
                streamer.put(full)
            if len(finished) == len(token_list) or step == max_new_tokens - 1:
                break
            sequences = torch.cat([sequences, tokens[:, None]], dim=1)
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            if finished:
                keep = torch.tensor([b for b in range(len(token_list)) if b not in set(finished)], device=device)
                active, sequences, mask, tokens = active[keep], sequences[keep], mask[keep], tokens[keep]
                cache.batch_select_indices(keep)
                # Columns that are padding for every remaining row need no attention.
                lead = int((mask.cumsum(dim=1) == 0).all(dim=0).sum())
                if lead:
                    mask, sequences = mask[:, lead:], sequences[:, lead:]
                    for layer in cache.layers:
                        layer.keys, layer.values = layer.keys[:, :, lead:], layer.values[:, :, lead:]
            positions = mask.sum(dim=1, keepdim=True) - 1
            out = model(input_ids=tokens[:, None], attention_mask=mask, position_ids=positions,
                        past_key_values=cache, use_cache=True)
            logits = out.logits[:, -1, :].float()
    if streamer is not None:
        streamer.end()
    result: list[list[int]] = [[] for _ in prompts]
    for i, tokens_i in enumerate(generated):
        result[order[i]] = tokens_i
    return result
