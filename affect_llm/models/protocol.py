"""The one interface every emotion model implements, and that every app is written against.

``describe``, ``infer``, ``serve`` and ``chat`` (web and terminal) each used a different slice of
the default model, so a model that had only ``answer`` loaded fine and then crashed in the chat
demo with an ``AttributeError``. Declaring the slice once, as a ``Protocol``, makes the contract
visible to type checkers and to ``tests/test_model_contract.py``, which runs every app against
every model kind.

Typing is structural: a class implements the protocol by having the members, without importing
it. (It is not ``runtime_checkable``: on Python 3.11 ``isinstance`` would read the ``llm``
property, which loads the weights.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..perception import Perception
    from .textualized import Answer


class EmotionModel(Protocol):
    """Perceived clips in, explained emotions out.

    * ``name``: what result records carry as ``"model"``.
    * ``load()``: load the weights now and return the model; apps call it at start-up (``serve``,
      ``chat``) or before timing generation (``describe``), so the first request does not pay for
      loading. Without it the weights load on first use.
    * ``llm``: the model's language model (loaded on first access).
    * ``answer``: one ``Answer`` per perception, in order (batched where the model can).
    * ``answer_stream``: the same answer for one clip, as it grows: ``(partial, False)`` steps, then
      ``(final, True)`` once; the final answer equals what ``answer`` gives.
    * ``followup``: a reply to a question about the same clip, given its first answer and the
      conversation so far as ``(question, reply)`` pairs.
    """

    name: str

    def load(self) -> EmotionModel: ...

    @property
    def llm(self) -> Any: ...

    def answer(self, perceptions: list[Perception]) -> list[Answer]: ...

    def answer_stream(self, perception: Perception) -> Iterator[tuple[Answer, bool]]: ...

    def followup(self, perception: Perception, answer: Answer, history: list[tuple[str, str]], question: str,
                 max_new_tokens: int = 96) -> str: ...
