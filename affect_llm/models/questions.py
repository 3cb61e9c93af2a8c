"""What a model can be asked about a clip: ``description`` (the reasoning) or ``labels`` (the list).

Upstream AffectGPT trains and answers two questions, one per target, so the same clip never has two
right answers to one question. A trained AffectGPT folder says so (``questions`` on the model);
the default textualized model answers one question: it explains, and the emotions it decides from
the evidence are already its list (the report's Emotions line, the JSON ``emotions`` field), so
asking it for ``labels`` is refused with that pointer rather than faked.
"""

from __future__ import annotations

from typing import Any, Literal

from ..errors import InputError

Question = Literal["description", "labels"]
QUESTIONS: tuple[str, ...] = ("description", "labels")


def check_question(model: Any, question: str) -> None:
    """Refuse, before any clip is processed, a question ``model`` was not trained to answer."""
    if question not in QUESTIONS:
        raise InputError(f"question {question!r} is not one of {QUESTIONS}")
    if question not in getattr(model, "questions", ("description",)):
        raise InputError(f"model {model.name} answers one question: it explains, and the emotions it decides "
                         "from the evidence are its list (the report's Emotions line, the JSON 'emotions' "
                         "field); --question labels needs a trained AffectGPT folder (--model FOLDER)")


def ask(model: Any, perceptions: list[Any], question: str = "description") -> list[Any]:
    """``model.answer`` with ``question`` (the plain call for ``description``, which every model takes)."""
    if question == "description":
        return model.answer(perceptions)
    check_question(model, question)
    return model.answer(perceptions, question=question)
