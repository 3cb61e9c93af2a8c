"""A conversation about one clip, shared by the web demo and the terminal mode of ``affect-llm chat``.

The clip is perceived once; its ``Perception`` (frames, faces, prosody, words, cues) and the first
``Answer`` are kept, so a follow-up question costs one LLM generation and no decoding, and the
model sees the same evidence on every turn. Nothing here imports Gradio.

Text a visitor types is bounded like the API's fields: over ``MAX_FIELD_CHARS`` it is refused
before any work (``check_text_field``); a question under that is cut to the prompt's word budget
(``bound_words``), as a subtitle is.

Some questions are facts of the cues, answered from them without the model (``fact_asked``):
which language was spoken (``observations.language``) and how sure the answer is
(``observations.certainty``), which the explanation does not state, and whether the person shows
one emotion ("Is she angry?", ``observations.about``), which the small model answered with
contradictions.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import observations
from ..errors import InputError
from ..media.subtitle import MAX_FIELD_CHARS, MAX_WORDS, bound_words

if TYPE_CHECKING:
    from ..models.protocol import EmotionModel

log = logging.getLogger(__name__)

DEFAULT_FOLLOWUP_TOKENS = 96

_LANGUAGE = frozenset({"language", "languages", "dialect"})
_CERTAINTY = frozenset({"sure", "certain", "certainty", "confident", "confidence", "reliable", "reliability"})
# A certainty word asks how sure the answer is only when said of it ("How sure are you?", "Is this
# reliable?"), not of the person ("Is she sure of herself?" goes to the model).
_OF_THE_ANSWER = frozenset({"you", "your", "how", "this", "that", "answer", "guess", "reading", "result"})


# A question that opens with one of these asks yes or no ("Is she angry?"); "Why is she angry?" does not.
_YES_NO = frozenset({"is", "are", "was", "were", "am", "does", "do", "did", "can", "could", "might", "may",
                     "would", "will", "has", "have"})


def fact_asked(question: str) -> Callable[[dict[str, Any]], str] | None:
    """The renderer of the cues fact a question asks for, or None (the model answers it)."""
    tokens = re.findall(r"[a-z]+", question.lower())
    words = set(tokens)
    if words & _LANGUAGE:
        return observations.language
    if words & _CERTAINTY and words & _OF_THE_ANSWER:
        return observations.certainty
    if tokens and tokens[0] in _YES_NO and (label := _one_emotion(question)):
        return functools.partial(observations.about, label=label)
    return None


def _one_emotion(question: str) -> str | None:
    """The one basic emotion a question's emotion words plainly name ("angry", "scared"), else None:
    none, two ("Is he happy or sad?"), or a word that is no plain name of one ("upset" may be sad
    or angry, "frustrated" is a nuance): those are left to the model."""
    from ..emotions import plain_label
    from ..faithfulness.cueview import extractor  # the one emotion-word reader, built once

    named = [plain_label(m.word) for m in extractor().extract(question).mentions if not m.negated]
    return named[0] if named and None not in named and len(set(named)) == 1 else None


def check_text_field(label: str, text: str | None) -> None:
    """Refuse ``text`` longer than ``MAX_FIELD_CHARS`` (the limit ``serve`` applies to its fields),
    with a message that says the limit and what to send instead."""
    if text is not None and len(text) > MAX_FIELD_CHARS:
        raise InputError(f"the {label} is {len(text):,} characters, over the {MAX_FIELD_CHARS:,}-character "
                         f"limit (only the first {MAX_WORDS} words would be used): give the words of this "
                         "clip or one question only")


@dataclass
class Conversation:
    perception: Any  # affect_llm.perception.Perception
    answer: Any = None  # the model's Answer, once the explanation is complete
    history: list[tuple[str, str]] = field(default_factory=list)

    @property
    def clip_id(self) -> str:
        return self.perception.clip_id

    def explain(self, model: EmotionModel) -> Iterator[tuple[Any, bool]]:
        """The explanation as it is generated (``model.answer_stream``: the same generation as
        ``model.answer``); the final answer is kept for the follow-ups."""
        for partial, final in model.answer_stream(self.perception):
            if final:
                self.answer = partial
            yield partial, final

    def ask(self, model: EmotionModel, question: str, max_new_tokens: int = DEFAULT_FOLLOWUP_TOKENS) -> str:
        """Answer a follow-up question with the clip's cues, the explanation and the turns so far
        (a question of fact, ``fact_asked``, from the cues alone).

        A question over ``MAX_FIELD_CHARS`` raises ``InputError``; a long one is cut to the
        prompt's word budget (and kept cut in the history)."""
        if self.answer is None:
            raise RuntimeError("explain the clip before asking follow-up questions")
        check_text_field("question", question)
        question, _ = bound_words(" ".join(question.split()))
        render = fact_asked(question)
        reply = (render(self.perception.cues.to_dict()) if render else
                 model.followup(self.perception, self.answer, list(self.history), question,
                                max_new_tokens=max_new_tokens))
        self.history.append((question, reply))
        log.info("%s: follow-up %d answered", self.clip_id, len(self.history))
        return reply
