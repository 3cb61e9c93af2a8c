"""A conversation about one clip, shared by the web demo and the terminal mode of ``affect-llm chat``.

The clip is perceived once; its ``Perception`` (frames, faces, prosody, words, cues) and the first
``Answer`` are kept, so a follow-up question costs one LLM generation and no decoding, and the
model sees the same evidence on every turn. Nothing here imports Gradio.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_FOLLOWUP_TOKENS = 96


@dataclass
class Conversation:
    perception: Any  # affect_llm.perception.Perception
    answer: Any = None  # the model's Answer, once the explanation is complete
    history: list[tuple[str, str]] = field(default_factory=list)

    @property
    def clip_id(self) -> str:
        return self.perception.clip_id

    def explain(self, model: Any) -> Iterator[tuple[Any, bool]]:
        """The explanation as it is generated (``model.answer_stream``: the same generation as
        ``model.answer``); the final answer is kept for the follow-ups."""
        for partial, final in model.answer_stream(self.perception):
            if final:
                self.answer = partial
            yield partial, final

    def ask(self, model: Any, question: str, max_new_tokens: int = DEFAULT_FOLLOWUP_TOKENS) -> str:
        """Answer a follow-up question with the clip's cues, the explanation and the turns so far."""
        if self.answer is None:
            raise RuntimeError("explain the clip before asking follow-up questions")
        reply = model.followup(self.perception, self.answer, list(self.history), question,
                               max_new_tokens=max_new_tokens)
        self.history.append((question, reply))
        log.info("%s: follow-up %d answered", self.clip_id, len(self.history))
        return reply
