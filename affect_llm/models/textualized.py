"""The embedded default model: textualized reasoning over the clip's cues with a small LLM.

It needs no training: perception (``affect_llm.perception``) turns a clip into cues, the cues
are written into the prompts of ``prompts/textualized.yaml``, and an instruct LLM (the bundled
SmolLM2-135M by default, any local folder otherwise) writes the explanation part by part in one
batched generation. The emotion words are the LLM's own list, kept only where they are real
emotion words; when it gives none, the transparent cue vote (``cues.candidate_emotions``) is used
and the answer says so (``emotions_source``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..cues import EXPRESSION_WORD, NRC_WORD
from ..llm import BUNDLED_LLM, LoadedLLM, chat_prompt, generate, load_llm
from ..prompts import fill, load_yaml

# Words accepted from the LLM's emotion list without the scorer's vocabulary at hand.
BASIC_EMOTIONS = frozenset(EXPRESSION_WORD.values()) | frozenset(NRC_WORD.values()) | {
    "neutral", "excited", "joyful", "cheerful", "content", "relieved", "proud", "grateful", "hopeful",
    "nervous", "anxious", "worried", "afraid", "scared", "frustrated", "annoyed", "irritated", "furious",
    "upset", "disappointed", "lonely", "depressed", "ashamed", "guilty", "embarrassed", "confused",
    "bored", "tired", "jealous", "amused", "delighted", "enthusiastic", "satisfied", "shocked", "tense",
    "serious", "relaxed", "loving", "curious", "doubtful", "helpless", "impatient", "indignant",
}


@dataclass
class Answer:
    explanation: str
    emotions: list[str]
    emotions_source: str  # "llm" or "cues"
    sections: dict[str, str] = field(default_factory=dict)


def _complete_sentences(text: str, max_sentences: int = 2) -> str:
    """Keep at most ``max_sentences`` whole sentences of generated text; a trailing fragment cut by
    the token limit is dropped (or closed with a full stop when it is all there is)."""
    text = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+", text)
    whole = [p for p in parts if p.endswith((".", "!", "?", '."', '!"', '?"'))]
    kept = whole[:max_sentences] if whole else [text.rstrip(",;: ") + "."]
    return " ".join(kept)


def _join(prefix: str, continuation: str, max_sentences: int = 2) -> str:
    """Prefix + the whole sentences of the model's continuation (the prefix itself, which may
    quote a subtitle with its own full stops, is never cut)."""
    continuation = _complete_sentences(continuation, max_sentences) if continuation.strip() else ""
    glue = "" if continuation.startswith(("'", ",", ".")) else " "
    return (prefix + glue + continuation).strip()


# Noun forms the model often writes instead of adjectives.
NOUN_TO_ADJECTIVE = {"anger": "angry", "sadness": "sad", "happiness": "happy", "joy": "joyful",
                     "fear": "fearful", "surprise": "surprised", "disgust": "disgusted", "trust": "trusting",
                     "anxiety": "anxious", "excitement": "excited", "frustration": "frustrated",
                     "calmness": "calm", "neutrality": "neutral", "worry": "worried", "pride": "proud"}


def parse_emotion_list(text: str, vocabulary: frozenset[str] = BASIC_EMOTIONS, limit: int = 3) -> list[str]:
    """The emotion words of a list like "happy, excited and proud." on the answer's first line,
    with noun forms turned into adjectives and unknown words dropped."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    out: list[str] = []
    for w in re.findall(r"[a-z]+", first_line.lower()):
        w = NOUN_TO_ADJECTIVE.get(w, w)
        if w in vocabulary and w not in out:
            out.append(w)
    return out[:limit]


class TextualizedModel:
    """Cues -> prompts -> one batched LLM generation -> explanation + emotion words."""

    def __init__(self, llm: str = BUNDLED_LLM, template: str = "textualized.yaml",
                 max_new_tokens: int = 64, name: str = "default", device: str = "cpu"):
        self.llm_spec = llm
        self.device = device
        self.template = load_yaml(template)
        self.max_new_tokens = max_new_tokens
        self.name = name
        self._llm: LoadedLLM | None = None

    @property
    def llm(self) -> LoadedLLM:
        if self._llm is None:
            self._llm = load_llm(self.llm_spec, device=self.device)
        return self._llm

    def _values(self, p: Any) -> dict[str, str]:
        c = p.cues
        return {"face": c.face.text(), "voice": c.voice.text(), "words": c.words.text(),
                "all_cues": c.text(), "subtitle": p.subtitle or ""}

    def _has(self, p: Any, need: str) -> bool:
        c = p.cues
        return {"face": c.face.found, "speech": c.voice.speech_found, "words": bool(p.subtitle),
                "any": True}[need]

    def build_prompts(self, perceptions: list[Any]) -> tuple[list[str], list[tuple[int, str, str]]]:
        """All prompts of all clips, and for each its (clip index, section name, answer prefix)."""
        system = {"role": "system", "content": self.template["system"]}
        prompts, slots = [], []
        for i, p in enumerate(perceptions):
            values = self._values(p)
            for sec in self.template["sections"] + [dict(self.template["emotions"], name="emotions", needs="any")]:
                if not self._has(p, sec["needs"]):
                    continue
                prefix = fill(sec["prefix"], **values)
                user = {"role": "user", "content": fill(sec["user"], **values)}
                prompts.append(chat_prompt(self.llm, [system, user]) + prefix)
                slots.append((i, sec["name"], prefix))
        return prompts, slots

    def answer(self, perceptions: list[Any], streamer: Any = None) -> list[Answer]:
        prompts, slots = self.build_prompts(perceptions)
        # No repetition penalty: it would stop the model from quoting the cue words it should use;
        # loops are prevented by forbidding repeated 4-grams instead.
        outputs = generate(self.llm, prompts, max_new_tokens=self.max_new_tokens, no_repeat_ngram_size=4,
                           streamer=streamer)
        generated: list[dict[str, str]] = [{} for _ in perceptions]
        for (i, name, prefix), out in zip(slots, outputs):
            generated[i][name] = out if name == "emotions" else _join(prefix, out)
        answers = []
        for p, gen in zip(perceptions, generated):
            sections = {}
            for sec in self.template["sections"]:
                sections[sec["name"]] = gen.get(sec["name"]) or sec.get("missing", "")
            emotions = parse_emotion_list(gen.get("emotions", ""))
            source = "llm"
            if not emotions:
                emotions, source = list(p.cues.candidates), "cues"
            answers.append(Answer(explanation=" ".join(sections.values()), emotions=emotions,
                                  emotions_source=source, sections=sections))
        return answers
