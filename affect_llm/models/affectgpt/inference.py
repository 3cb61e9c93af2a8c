"""``AffectGPT``: a saved AffectGPT-style folder behind the ``answer(perceptions)`` interface.

``affect-llm describe CLIP --model FOLDER`` perceives the clip (frames, face crops, audio,
subtitle) exactly as for the default model; this class runs the folder's frozen encoders on those
decoded arrays (no second decode), builds the prompts and generates all answers of a batch in
one left-padded ``generate`` call. Emotion words are read from the explanation with the
scorer's rule extractor (as the default model reads its list).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ...llm import LoadedLLM
from ..textualized import Answer, parse_emotion_list

log = logging.getLogger(__name__)


def extract_emotions(text: str, limit: int = 5) -> list[str]:
    """Emotion words named in ``text``, in order: the scorer's rule extractor (negated words left
    out, nouns made adjectives) through the default model's parser, over the whole answer, so
    "The character's emotional state is a, b." and a free description both work and
    ``describe`` reads answers the way the evaluation does."""
    return parse_emotion_list(" ".join(text.split()), limit=limit)


class AffectGPT:
    """A trained AffectGPT-style folder; ``answer`` explains a batch of perceived clips."""

    def __init__(self, folder: str | Path, device: str = "cpu", batch_size: int = 8,
                 max_new_tokens: int | None = None):
        self.folder = Path(folder)
        self.name = self.folder.name
        self.device = device
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The ``AffectGPTModel`` (loaded on first use)."""
        if self._model is None:
            from .io import load

            self._model = load(self.folder, device=self.device)
        return self._model

    @property
    def llm(self) -> LoadedLLM:
        """The LLM inside (``describe`` touches it to time the load)."""
        m = self.model
        return LoadedLLM(m.llm, m.tokenizer, m.llm_path, self.name)

    #: the questions it was trained to answer (``describe --question``): the reasoning, or the list
    questions = ("description", "labels")

    def answer(self, perceptions: list[Any], streamer: Any = None, question: str = "description") -> list[Answer]:
        model = self.model
        answers: list[Answer] = []
        for start in range(0, len(perceptions), self.batch_size):
            chunk = perceptions[start:start + self.batch_size]
            feats = model.features_from_media(chunk)
            texts = model.describe([p.subtitle for p in chunk], feats, question=question,
                                   max_new_tokens=self.max_new_tokens, streamer=streamer)
            for p, text in zip(chunk, texts):
                emotions = extract_emotions(text)
                source = "llm"
                if not emotions:
                    emotions, source = list(p.cues.candidates), "cues"
                answers.append(Answer(explanation=text, emotions=emotions, emotions_source=source,
                                      sections={"explanation": text}))
        return answers
