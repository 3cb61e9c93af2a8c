"""``AffectGPT``: a saved AffectGPT-style folder behind the ``answer(perceptions)`` interface.

``affect-llm describe CLIP --model FOLDER`` perceives the clip (frames, face crops, audio,
subtitle) exactly as for the default model; this class runs the folder's frozen encoders on those
decoded arrays (no second decode), builds the prompts and generates all answers of a batch in
one left-padded ``generate`` call. Emotion words are read from the explanation with the
scorer's rule extractor (as the default model reads its list).

It implements the whole ``EmotionModel`` protocol (``models/protocol.py``), so ``chat`` works with
a trained folder too: ``answer_stream`` streams the same generation token by token, and
``followup`` continues the clip's own prompt (its stream tokens and words) as a chat.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...llm import BatchStreamer, LoadedLLM, stream_in_thread
from ..textualized import Answer, parse_emotion_list

log = logging.getLogger(__name__)


def extract_emotions(text: str, limit: int = 5) -> list[str]:
    """Emotion words named in ``text``, in order: the scorer's rule extractor (negated words left
    out, nouns made adjectives) through the default model's parser, over the whole answer, so
    "The character's emotional state is a, b." and a free description both work and
    ``describe`` reads answers the way the evaluation does."""
    return parse_emotion_list(" ".join(text.split()), limit=limit)


# Clips whose encoder features are kept for follow-ups: the demo's recent conversations. A clip's
# features are its frozen encoders' outputs (about 1-4 MB in float16 for 30 s of Whisper states).
CLIP_FEATURES_KEPT = 16


class AffectGPT:
    """A trained AffectGPT-style folder behind the ``EmotionModel`` protocol: ``answer`` explains a
    batch of perceived clips, ``answer_stream`` one clip as it is generated, ``followup`` answers
    questions about it."""

    def __init__(self, folder: str | Path, device: str = "cpu", batch_size: int = 8,
                 max_new_tokens: int | None = None):
        self.folder = Path(folder)
        self.name = self.folder.name
        self.device = device
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self._model: Any = None
        # id(perception) -> (weak reference, its stream features): a conversation's clip is encoded
        # once for its explanation and all its follow-ups (a few clips of recent visitors).
        self._clip_features: OrderedDict[int, tuple[Any, Any]] = OrderedDict()
        self._clip_features_lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The ``AffectGPTModel`` (loaded on first use)."""
        if self._model is None:
            from .io import load

            self._model = load(self.folder, device=self.device)
        return self._model

    def load(self) -> AffectGPT:
        """Load the model now (it loads on first use otherwise); returns the model."""
        _ = self.model
        return self

    @property
    def llm(self) -> LoadedLLM:
        """The LLM inside (``describe`` touches it to time the load)."""
        m = self.model
        return LoadedLLM(m.llm, m.tokenizer, m.llm_path, self.name)

    def _to_answer(self, perception: Any, text: str) -> Answer:
        """The model's text as an ``Answer``: emotion words read from it, or the cues' decision
        when it names none."""
        emotions = extract_emotions(text)
        source = "llm"
        if not emotions:
            emotions, source = list(perception.cues.candidates), "cues"
        return Answer(explanation=text, emotions=emotions, emotions_source=source,
                      sections={"explanation": text})

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
            answers += [self._to_answer(p, text) for p, text in zip(chunk, texts)]
        return answers

    def _features_of(self, perception: Any) -> Any:
        """One clip's stream features, computed once per clip for a conversation."""
        key = id(perception)
        with self._clip_features_lock:
            held = self._clip_features.get(key)
            if held is not None and held[0]() is perception:  # the same object, not a reused id
                self._clip_features.move_to_end(key)
                return held[1]
        feats = self.model.features_from_media([perception])
        with self._clip_features_lock:
            self._clip_features[key] = (weakref.ref(perception), feats)
            while len(self._clip_features) > CLIP_FEATURES_KEPT:
                self._clip_features.popitem(last=False)
        return feats

    def answer_stream(self, perception: Any) -> Iterator[tuple[Answer, bool]]:
        """``answer`` for one clip, yielded token by token: ``(partial, False)`` per generated
        token, then ``(final, True)``. The generation runs in a thread and feeds a
        ``BatchStreamer``, as the default model's stream does; the final answer is the same text
        ``answer`` gives (same prompt, features and greedy decoding)."""
        model = self.model
        feats = self._features_of(perception)
        streamer = BatchStreamer(model.tokenizer)
        steps = stream_in_thread(streamer, lambda: model.describe([perception.subtitle], feats,
                                                                  max_new_tokens=self.max_new_tokens,
                                                                  streamer=streamer))
        for texts, done in steps:
            yield self._to_answer(perception, texts[0] if done else texts[0].strip()), done

    def followup(self, perception: Any, answer: Answer, history: list[tuple[str, str]], question: str,
                 max_new_tokens: int = 96) -> str:
        """Reply to a question about the same clip: the clip's prompt (its stream tokens and words,
        exactly as ``answer`` built it), then the explanation, the conversation so far and the
        question in the same prompt form (``PromptBuilder.conversation_tail``: the chat template,
        or upstream's raw ``###Human:`` turns in ``variant: reproduce``), one greedy generation. The oldest turns are left out when the
        prompt would not fit the LLM's context. A model that writes nothing gets a sentence
        saying so, with the emotions it named."""
        from .prompting import IGNORE_INDEX, EncodedPrompt

        model = self.model
        feats = self._features_of(perception)
        first = model.prompt.encode(perception.subtitle)
        context = int(getattr(model._llm_config(), "max_position_embeddings", 0) or 0)
        turns = list(history)
        while True:
            tail = model.tokenizer(model.prompt.conversation_tail(answer.explanation, turns, question),
                                   add_special_tokens=False)["input_ids"]
            if not turns or not context or len(first.input_ids) + len(tail) + max_new_tokens <= context:
                break
            turns = turns[1:]
        encoded = EncodedPrompt(first.input_ids + tail, first.slots + [False] * len(tail),
                                first.labels + [IGNORE_INDEX] * len(tail))
        batch = model.prompt.collate([encoded])
        device = next(model.parameters()).device
        reply = model.generate(batch["input_ids"].to(device), batch["attention_mask"].to(device),
                               batch["slot_mask"].to(device), feats, max_new_tokens=max_new_tokens)[0]
        if reply:
            return reply
        named = ", ".join(answer.emotions) or "no emotion"
        return f"{self.name} wrote no reply to this question; its explanation named: {named}."
