"""Greedy batched decoding that does no work on padding or on rows that are already done.

``transformers.generate`` pads every prompt of a batch to the longest one and keeps computing
every row until the last row ends. For the textualized model's batches (five short prompts per
clip, 103 to 193 tokens long, answers of 6 to 52 tokens) that wastes about a quarter of the
prefill and half of the decoding steps. This loop, used by ``llm.generate`` for greedy decoding:

* **prefills a shared prefix once**: the tokens every prompt starts with (system prompt and
  chat-template opening, 44 of ~140 tokens for the textualized model) are computed for one row
  and their KV cache is shared by all rows;
* **prefills in length groups**: rows are sorted by prompt length and prefill the rest of their
  prompt in groups of similar length, so little padding is computed; the groups' KV caches are
  then padded (after the shared prefix) to one length and joined (a row's keys carry their own
  positions, so padding is only masked);
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
# A common prefix shorter than this is prefilled with each prompt: not worth a separate pass.
MIN_SHARED_PREFIX = 16


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


def shared_prefix_length(prompts: list[list[int]], minimum: int = MIN_SHARED_PREFIX) -> int:
    """Tokens all prompts start with (the system prompt, the chat template's opening), leaving every
    prompt at least one token of its own; 0 when that is shorter than ``minimum``, or one prompt."""
    if len(prompts) < 2:
        return 0
    limit = min(len(p) for p in prompts) - 1
    n = 0
    first = prompts[0]
    while n < limit and all(p[n] == first[n] for p in prompts):
        n += 1
    return n if n >= minimum else 0


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


def _cache_arg(model: Any) -> str:
    """The forward keyword for the KV cache: ``cache`` in newer transformers 5.x releases (where
    ``past_key_values`` still works but warns on every call), ``past_key_values`` before."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _out_cache(out: Any) -> Any:
    return out.cache if "cache" in out else out.past_key_values


def row_generator(prompt: list[int], seed: int) -> Any:
    """A random generator for one row, seeded by ``seed`` and the row's own prompt: a sampled row
    draws the same tokens whichever rows share its batch, and in whatever order."""
    import zlib

    import torch

    digest = zlib.crc32(b",".join(str(t).encode() for t in prompt))
    return torch.Generator().manual_seed((seed * 1_000_003 + digest) % (2 ** 63))


def sample_token(logits: Any, generator: Any, temperature: float, top_p: float) -> int:
    """One token from ``logits`` [vocab]: temperature, then nucleus (top-p) sampling."""
    import torch

    probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
    ordered, index = probs.sort(descending=True)
    keep = int((ordered.cumsum(0) < top_p).sum()) + 1  # the smallest set reaching top_p
    ordered = ordered[:keep] / ordered[:keep].sum()
    return int(index[torch.multinomial(ordered, 1, generator=generator)])


def greedy_generate(model: Any, tokenizer: Any, prompts: list[list[int]], max_new_tokens: int,
                    no_repeat_ngram_size: int = 0, row_done: Callable[[int, str], bool] | None = None,
                    streamer: Any = None, temperature: float = 0.0, top_p: float = 0.9,
                    seed: int = 0) -> list[list[int]]:
    """Continuations (token ids, EOS excluded) of ``prompts`` (token ids, no padding): greedy, or
    sampled when ``temperature > 0`` with one generator per row (``row_generator``), so a row's
    text does not depend on its batch either way."""
    import torch
    from transformers import DynamicCache, NoRepeatNGramLogitsProcessor

    device = model.device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    eos = _eos_ids(model, tokenizer)
    ngram = NoRepeatNGramLogitsProcessor(no_repeat_ngram_size) if no_repeat_ngram_size > 0 else None
    kv = _cache_arg(model)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    shared = shared_prefix_length(prompts)
    lengths = [len(prompts[i]) - shared for i in order]  # what each row prefills beyond the prefix
    width = lengths[-1]

    def left_padded(rows: list[int], to: int, skip: int = 0) -> tuple[Any, Any]:
        ids = torch.full((len(rows), to), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), to), dtype=torch.long)
        for r, i in enumerate(rows):
            p = prompts[order[i]][skip:]
            ids[r, to - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[r, to - len(p):] = 1
        return ids.to(device), mask.to(device)

    def open_cache(batch: int) -> Any:
        if not shared:
            return DynamicCache(config=model.config)
        return DynamicCache(ddp_cache_data=[(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1))
                                            for k, v in prefix_kv])

    def after_prefix(mask: Any) -> Any:
        """A mask over a row's own tokens, preceded by the shared prefix's columns."""
        return torch.cat([torch.ones_like(mask[:, :1]).expand(-1, shared), mask], dim=1)

    def widened(t: Any, extra: int) -> Any:
        """A cache tensor with ``extra`` padding columns inserted after the shared prefix."""
        gap = t.new_zeros(t.shape[0], t.shape[1], extra, t.shape[3])
        return torch.cat([t[:, :, :shared], gap, t[:, :, shared:]], dim=2) if extra else t

    # Layout of every row's cache: [shared prefix][padding][own prompt tokens][generated tokens].
    # The prefix is computed once; each length group prefills its own tokens on top of it, and
    # the groups' caches are padded (after the prefix) to one width and joined.
    group_kv: list[list[tuple[Any, Any]]] = []  # per group, per layer
    first_logits = []
    with torch.inference_mode():
        if shared:
            ids = torch.tensor([prompts[0][:shared]], dtype=torch.long, device=device)
            out = model(input_ids=ids, **{kv: DynamicCache(config=model.config)}, use_cache=True,
                        logits_to_keep=1)
            prefix_kv = [(layer.keys, layer.values) for layer in _out_cache(out).layers]
        for group in length_groups(lengths):
            ids, mask = left_padded(group.rows, group.length, skip=shared)
            positions = shared + (mask.cumsum(dim=1) - 1).clamp(min=0)  # own tokens follow the prefix
            out = model(input_ids=ids, attention_mask=after_prefix(mask), position_ids=positions,
                        **{kv: open_cache(len(group.rows))}, use_cache=True, logits_to_keep=1)
            first_logits.append(out.logits[:, -1, :].float())
            extra = width - group.length
            group_kv.append([(widened(layer.keys, extra), widened(layer.values, extra))
                             for layer in _out_cache(out).layers])
        cache = DynamicCache(ddp_cache_data=[(torch.cat([k for k, _ in layer]), torch.cat([v for _, v in layer]))
                                             for layer in zip(*group_kv)])
        del group_kv
        rows = list(range(len(order)))
        mask = after_prefix(left_padded(rows, width, skip=shared)[1])
        # no_repeat_ngram sees each prompt whole, as transformers' generate does.
        sequences = left_padded(rows, width + shared)[0]
        logits = torch.cat(first_logits)
        active = torch.arange(len(order), device=device)  # sorted-row index of each batch row
        generated: list[list[int]] = [[] for _ in order]
        generators = [row_generator(prompts[i], seed) for i in order] if temperature > 0 else []
        if streamer is not None:
            streamer.put(sequences)
        for step in range(max_new_tokens):
            if ngram is not None:
                logits = ngram(sequences, logits)
            if temperature > 0:
                tokens = torch.tensor([sample_token(logits[b], generators[i], temperature, top_p)
                                       for b, i in enumerate(active.tolist())], device=device)
            else:
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
                # Cache columns that are padding for every remaining row need no attention (the
                # mask's last column is the token about to be fed, not yet in the cache).
                used = mask[:, :-1].any(dim=0)
                if not bool(used.all()):
                    cols = used.nonzero().squeeze(1)
                    mask = torch.cat([mask[:, cols], mask[:, -1:]], dim=1)
                    for layer in cache.layers:
                        layer.keys, layer.values = layer.keys[:, :, cols], layer.values[:, :, cols]
            positions = mask.sum(dim=1, keepdim=True) - 1
            out = model(input_ids=tokens[:, None], attention_mask=mask, position_ids=positions,
                        **{kv: cache}, use_cache=True)
            logits = out.logits[:, -1, :].float()
    if streamer is not None:
        streamer.end()
    result: list[list[int]] = [[] for _ in prompts]
    for i, tokens_i in enumerate(generated):
        result[order[i]] = tokens_i
    return result
