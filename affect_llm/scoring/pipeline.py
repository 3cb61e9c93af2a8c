"""Shared plumbing: pick a mode's mapper, and turn records into emotion words."""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import DEFAULT_MODE, MODES
from .extract import Extraction, Extractor, RuleExtractor
from .records import Record


@functools.lru_cache(maxsize=2)
def get_mapper(mode: str = DEFAULT_MODE):
    """The (process-wide) mapper of ``mode``: ``OvmerMapper`` or ``AffectMapper``."""
    if mode == "ovmer":
        from .ovmer import OvmerMapper

        return OvmerMapper()
    if mode == "affect":
        from .affect import AffectMapper

        return AffectMapper()
    raise ValueError(f"unknown scoring mode {mode!r}: use one of {', '.join(MODES)}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during bulk scoring.

    Scoring allocates millions of small tuples and lists that hold no reference cycles, and
    every allocation burst triggers a collection that rescans the growing caches: at 100,000
    pairs that is two thirds of the run time. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def persist(mapper, extractor: Extractor) -> None:
    """Write the caches a run filled (the affect mode's decisions, the token cache)."""
    extractor.save()
    save = getattr(mapper, "save", None)  # the ovmer mode decides from the tables alone
    if save is not None:
        save()


@functools.lru_cache(maxsize=1)
def default_extractor() -> RuleExtractor:
    return RuleExtractor()


@dataclass
class Words:
    """A record's emotion words, with the mentions behind them when they came from text."""

    words: list[str]
    extraction: Extraction | None = None


def records_to_words(records: Iterable[Record], mapper, extractor: Extractor) -> dict[str, Words]:
    """Emotion words of every record: lists through the mode's label rules, text through
    the extractor (all texts in one batch, which matters for the LLM extractor)."""
    records = list(records)
    texts = [r.text for r in records if r.emotions is None and r.text is not None]
    extracted = dict(zip(texts, extractor.extract_many(texts))) if texts else {}
    out: dict[str, Words] = {}
    for rec in records:
        if rec.emotions is not None:
            out[rec.id] = Words(mapper.label_words(rec.emotions, extractor))
        elif rec.text is not None:
            ex = extracted[rec.text]
            out[rec.id] = Words(list(ex.words), ex)
        elif rec.label is not None:
            out[rec.id] = Words(mapper.label_words([rec.label], extractor))
        else:
            out[rec.id] = Words([])
    return out
