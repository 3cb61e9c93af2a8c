"""The embedded default model: textualized reasoning over the clip's cues with a small LLM.

It needs no training: perception (``affect_llm.perception``) turns a clip into cues, the cues
are written into the prompts of ``prompts/textualized.yaml``, and an instruct LLM (the bundled
SmolLM2-135M by default, any local folder otherwise) writes the explanation part by part in one
batched generation. The emotion words are the LLM's own list, kept only where they are real
emotion words; when it gives none, the transparent cue vote (``cues.candidate_emotions``) is used
and the answer says so (``emotions_source``).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..llm import BUNDLED_LLM, BatchStreamer, LoadedLLM, chat_prompt, generate, load_llm
from ..prompts import fill, load_yaml


@dataclass
class Answer:
    explanation: str
    emotions: list[str]
    emotions_source: str  # "llm" or "cues"
    sections: dict[str, str] = field(default_factory=dict)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def _complete_sentences(text: str, max_sentences: int = 2) -> str:
    """Keep at most ``max_sentences`` whole sentences of generated text; a trailing fragment cut by
    the token limit is dropped (or closed with a full stop when it is all there is)."""
    text = " ".join(text.split())
    parts = _SENTENCE_BREAK.split(text)
    whole = [p for p in parts if p.endswith((".", "!", "?", '."', '!"', '?"'))]
    kept = whole[:max_sentences] if whole else [text.rstrip(",;: ") + "."]
    return " ".join(kept)


def _has_sentences(text: str, count: int) -> bool:
    """True once ``text`` holds ``count`` whole sentences *and* has started the next one: from
    then on ``_complete_sentences(text, count)`` can no longer change, so generating more of this
    answer is wasted work (a full stop alone is not enough: "0." may be the start of "0.3 s")."""
    return len(_SENTENCE_BREAK.split(" ".join(text.split()))) > count


def _kept_part_complete(section: str, text: str) -> bool:
    """Whether the part of a generated answer that ``_assemble`` keeps is complete: the first line
    of the emotion list, the first two sentences of a section (generation can stop there)."""
    if section == "emotions":
        return "\n" in text.lstrip()
    return _has_sentences(text, 2)


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


@functools.lru_cache(maxsize=1)
def _extractor():
    """The scorer's rule extractor (lemmas, negation, multi-word expressions): the words the
    model names are then the very words the scorer will read."""
    from ..scoring.extract import RuleExtractor

    return RuleExtractor()


def parse_emotion_list(text: str, limit: int = 3) -> list[str]:
    """The emotion words of a list like "happy, excited and proud." on the answer's first line,
    read by the scorer's extractor (unknown and negated words dropped), nouns made adjectives."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    out: list[str] = []
    for w in _extractor().extract(first_line).words:
        w = NOUN_TO_ADJECTIVE.get(w, w)
        if w not in out:
            out.append(w)
    return out[:limit]


class TextualizedModel:
    """Cues -> prompts -> one batched LLM generation -> explanation + emotion words."""

    def __init__(self, llm: str = BUNDLED_LLM, template: str = "textualized.yaml",
                 max_new_tokens: int = 64, name: str = "default", device: str = "cpu",
                 dtype: str = "auto", max_batch_rows: int = 0):
        """``dtype``: the LLM's weights (``"auto"``: bfloat16 where the CPU or GPU computes it
        natively, see ``llm.resolve_dtype``; ``"float32"`` for text that does not depend on how
        clips are batched together). ``max_batch_rows``: at most this many prompts per
        generation (0: all the prompts of a call at once; a cap bounds memory for big LLMs)."""
        self.llm_spec = llm
        self.device = device
        self.dtype = dtype
        self.max_batch_rows = max_batch_rows
        self.template = load_yaml(template)
        self.max_new_tokens = max_new_tokens
        self.name = name
        self._llm: LoadedLLM | None = None

    @property
    def llm(self) -> LoadedLLM:
        if self._llm is None:
            self._llm = load_llm(self.llm_spec, dtype=self.dtype, device=self.device)
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

    def _generate(self, prompts: list[str], slots: list[tuple[int, str, str]], streamer: Any = None) -> list[str]:
        # No repetition penalty: it would stop the model from quoting the cue words it should use;
        # loops are prevented by forbidding repeated 4-grams instead. ``max_batch_rows`` bounds
        # memory across clips; a streamed answer (one clip, one streamer) is one generation.
        step = self.max_batch_rows if self.max_batch_rows > 0 and streamer is None else max(len(prompts), 1)
        outputs: list[str] = []
        for start in range(0, len(prompts), step):
            names = [name for _, name, _ in slots[start:start + step]]
            outputs += generate(self.llm, prompts[start:start + step], max_new_tokens=self.max_new_tokens,
                                no_repeat_ngram_size=4, streamer=streamer,
                                row_done=lambda row, text, names=names: _kept_part_complete(names[row], text))
        return outputs

    def _assemble(self, perceptions: list[Any], slots: list[tuple[int, str, str]], outputs: list[str],
                  final: bool = True) -> list[Answer]:
        generated: list[dict[str, str]] = [{} for _ in perceptions]
        for (i, name, prefix), out in zip(slots, outputs):
            if name == "emotions":
                generated[i][name] = out
            else:
                generated[i][name] = _join(prefix, out) if final else f"{prefix} {out.lstrip()}".strip()
        answers = []
        for p, gen in zip(perceptions, generated):
            sections = {}
            for sec in self.template["sections"]:
                sections[sec["name"]] = gen.get(sec["name"]) or sec.get("missing", "")
            emotions = parse_emotion_list(gen.get("emotions", ""))
            source = "llm"
            if not emotions and final:
                emotions, source = list(p.cues.candidates), "cues"
            answers.append(Answer(explanation=" ".join(sections.values()), emotions=emotions,
                                  emotions_source=source, sections=sections))
        return answers

    def answer(self, perceptions: list[Any]) -> list[Answer]:
        prompts, slots = self.build_prompts(perceptions)
        return self._assemble(perceptions, slots, self._generate(prompts, slots))

    def answer_stream(self, perception: Any) -> Iterator[tuple[Answer, bool]]:
        """The same generation as ``answer``, yielded as it grows: ``(partial answer, False)`` per
        step, then ``(final answer, True)``. Used by the chat demo to stream token by token."""
        prompts, slots = self.build_prompts([perception])
        streamer = BatchStreamer(self.llm.tokenizer)
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["outputs"] = self._generate(prompts, slots, streamer=streamer)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                result["error"] = exc
                streamer.end()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        for texts in streamer:
            yield self._assemble([perception], slots, texts, final=False)[0], False
        thread.join()
        if "error" in result:
            raise result["error"]
        yield self._assemble([perception], slots, result["outputs"])[0], True

    def followup(self, perception: Any, answer: Answer, history: list[tuple[str, str]], question: str,
                 max_new_tokens: int = 96) -> str:
        """Answer a follow-up question about the same clip, with its cues and the conversation so far."""
        tpl = self.template["followup"]
        values = dict(self._values(perception), explanation=answer.explanation,
                      emotions=", ".join(answer.emotions))
        messages = [{"role": "system", "content": self.template["system"]},
                    {"role": "user", "content": fill(tpl["context"], **values)},
                    {"role": "assistant", "content": answer.explanation}]
        for q, a in history:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        messages.append({"role": "user", "content": question})
        out = generate(self.llm, [chat_prompt(self.llm, messages)], max_new_tokens=max_new_tokens,
                       no_repeat_ngram_size=4)[0]
        return _complete_sentences(out, max_sentences=3)
