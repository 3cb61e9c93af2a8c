"""Prompt assembly: template text + slots where the stream embeddings go + the masked answer.

Two prompt styles, one per model variant, chosen once by :func:`prompt_builder`:

* :class:`PromptBuilder` (``improved``): the user turn of ``prompts/affectgpt.yaml`` rendered with
  the LLM's chat template, with one marker string per stream.
* :class:`RawPromptBuilder` (``reproduce``): upstream AffectGPT's raw
  ``###Human: ... ###Assistant: `` text from ``prompts/affectgpt_reproduce.yaml``, no chat template,
  answers ending in ``###``.

The rendered text is split at the markers, each text piece is tokenized on its own, and every
marker becomes ``K`` slot positions. The model then builds ``inputs_embeds`` from the token
embeddings and scatters the stream tokens into the slots (as LLaVA does with its image token, and
as upstream does with its ``<AudioHere>`` tokens), without adding anything to the LLM's vocabulary
— so the LLM folder stays untouched and LoRA adapters stay small.

Both styles ask one of two questions (:data:`QUESTIONS`): ``description`` (the reasoning) or
``labels`` (the list), in training and at inference, so a clip never has two right answers to one
question. Labels are ``-100`` everywhere except the answer (and its end-of-turn token): the loss is
on the answer only.

An answer longer than the budget is cut at its last sentence end that fits, and then ends as usual;
if no sentence end fits, the cut answer gets no end token, so the model is never taught to stop
in mid-sentence. (Upstream drops such samples and draws another; cutting keeps the data stream a
pure function of the step, which resume relies on.)
"""

from __future__ import annotations

import random
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ...errors import ModelError
from ...prompts import fill, load_yaml

IGNORE_INDEX = -100
TargetMode = Literal["description", "emotions", "hybrid"]
TARGET_MODES: tuple[str, ...] = typing.get_args(TargetMode)
Question = Literal["description", "labels"]
QUESTIONS: tuple[str, ...] = typing.get_args(Question)
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def _marker(name: str) -> str:
    return f"<|affect_stream:{name}|>"


_MARKER_RE = re.compile(r"<\|affect_stream:([A-Za-z0-9_]+)\|>")


@dataclass
class EncodedPrompt:
    """One sample: token ids (slot positions hold the pad id), the slot flags, and labels."""

    input_ids: list[int]
    slots: list[bool]
    labels: list[int]


class PromptBuilder:
    """Chat-template prompts (``improved``): token ids, slot masks and labels from the YAML template."""

    required_keys: tuple[str, ...] = ("system", "streams", "user", "no_subtitle", "emotions_answer", "questions")

    def __init__(self, tokenizer: Any, template_name: str, streams: list[tuple[str, int]],
                 max_subtitle_tokens: int = 200, max_answer_tokens: int = 384):
        self.tokenizer = tokenizer
        self.template_name = template_name
        self.template = load_yaml(template_name)
        self.streams = list(streams)
        self.max_subtitle_tokens = max_subtitle_tokens
        self.max_answer_tokens = max_answer_tokens
        for key in self.required_keys:
            if key not in self.template:
                raise ModelError(f"prompts/{template_name} lacks the key {key!r}")
        missing_q = [q for q in QUESTIONS if q not in self.template["questions"]]
        if missing_q:
            raise ModelError(f"prompts/{template_name}: no question under 'questions' for {missing_q}")
        missing = [n for n, _ in self.streams if n not in self.template["streams"]]
        if missing:
            raise ModelError(f"prompts/{template_name}: no line under 'streams' for {missing}; add e.g. "
                             f"'{missing[0]}: \"{missing[0].title()}: {{tokens}}\"'")
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.has_chat_template = bool(getattr(tokenizer, "chat_template", None))

    # ---------------------------------------------------------------------------- text
    def question_text(self, question: str) -> str:
        if question not in QUESTIONS:
            raise ValueError(f"question {question!r} is not one of {QUESTIONS}")
        return self.template["questions"][question]

    def prompt_text(self, subtitle: str | None, question: str = "description") -> str:
        """The full prompt (chat-formatted, generation prompt included) with stream markers."""
        lines = [fill(self.template["streams"][name], tokens=_marker(name)) for name, _ in self.streams]
        subtitle = self._clip_subtitle(subtitle)
        user = fill(self.template["user"], streams="\n".join(lines),
                    subtitle=subtitle if subtitle else self.template["no_subtitle"],
                    question=self.question_text(question))
        system = self.template["system"]
        if self.has_chat_template:
            return self.tokenizer.apply_chat_template(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                add_generation_prompt=True, tokenize=False)
        return f"{system}\n\nUser: {user}\nAssistant:"

    def conversation_tail(self, explanation: str, turns: list[tuple[str, str]], question: str) -> str:
        """What continues ``prompt_text`` in a follow-up: the explanation as the assistant's turn,
        the earlier ``(question, reply)`` pairs, the new question and the cue for the reply; in the
        LLM's chat template when it has one (the part after the first user turn), else in the
        plain ``User:`` / ``Assistant:`` form of ``prompt_text``."""
        later = [{"role": "assistant", "content": explanation}]
        for q, a in turns:
            later += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        later.append({"role": "user", "content": question})
        if self.has_chat_template:
            head = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
            start = self.tokenizer.apply_chat_template(head, add_generation_prompt=True, tokenize=False)
            full = self.tokenizer.apply_chat_template(head + later, add_generation_prompt=True, tokenize=False)
            if full.startswith(start):
                return full[len(start):]
        plain = [" " + explanation]
        for m in later[1:]:
            plain.append(f"\nUser: {m['content']}" if m["role"] == "user" else f"\nAssistant: {m['content']}")
        return "".join(plain) + "\nAssistant:"

    def _clip_subtitle(self, subtitle: str | None) -> str:
        subtitle = " ".join(_MARKER_RE.sub("", subtitle or "").split())
        ids = self.tokenizer(subtitle, add_special_tokens=False)["input_ids"]
        if len(ids) > self.max_subtitle_tokens:
            subtitle = self.tokenizer.decode(ids[:self.max_subtitle_tokens]).strip() + " ..."
        return subtitle

    def target(self, description: str | None, emotions: list[str] | None, mode: str,
               rng: random.Random) -> tuple[str, str]:
        """``(question, answer)`` for training: the description with the description question, the
        emotion sentence with the labels question, or one pair at random (``hybrid``).

        A sample that lacks the asked-for target falls back to the pair it has.
        """
        emotion_text = (fill(self.template["emotions_answer"], emotions=", ".join(emotions))
                        if emotions else None)
        if mode == "description" or (mode == "hybrid" and not emotion_text):
            pick_description = bool(description)
        elif mode == "emotions" or (mode == "hybrid" and not description):
            pick_description = not emotion_text
        else:
            pick_description = rng.random() < 0.5
        if pick_description and description:
            return "description", description
        if emotion_text:
            return "labels", emotion_text
        raise ValueError("a training sample needs a description or emotions")

    def target_text(self, description: str | None, emotions: list[str] | None, mode: str,
                    rng: random.Random) -> str:
        """The answer of :meth:`target` alone."""
        return self.target(description, emotions, mode, rng)[1]

    def clean(self, generated: str) -> str:
        """A generated answer as the user sees it."""
        return generated.strip()

    def generation_kwargs(self) -> dict[str, Any]:
        """``generate`` settings this prompt style adds: an under-trained small LLM loops, and a real
        explanation never repeats 4-grams."""
        return {"no_repeat_ngram_size": 4}

    # ---------------------------------------------------------------------------- tokens
    def prefix_ids(self, training: bool) -> list[int]:
        """Ids before the prompt text (the chat template writes its own)."""
        return []

    def answer_suffix(self) -> str:
        """Text the model is taught to write after every answer, before the end token."""
        return ""

    def answer_budget(self, prompt_length: int) -> int:
        return self.max_answer_tokens

    def answer_ids(self, answer: str, budget: int) -> list[int]:
        """The answer's ids, with its suffix and end token, cut at a sentence end when too long."""
        text = " ".join(answer.split())
        suffix = self.answer_suffix()

        def ids(t: str) -> list[int]:
            return self.tokenizer(t + suffix, add_special_tokens=False)["input_ids"]

        full = ids(text)
        if len(full) < budget:
            return full + [self.eos_id]
        for m in reversed(list(_SENTENCE_END.finditer(text))):
            cut = ids(text[:m.end()])
            if len(cut) < budget:
                return cut + [self.eos_id]
        return self.tokenizer(text, add_special_tokens=False)["input_ids"][:budget]  # no end: never taught to stop here

    def encode(self, subtitle: str | None, answer: str | None = None, question: str = "description") -> EncodedPrompt:
        budgets = dict(self.streams)
        text = self.prompt_text(subtitle, question)
        ids: list[int] = self.prefix_ids(training=answer is not None)
        slots: list[bool] = [False] * len(ids)
        pos = 0
        for m in _MARKER_RE.finditer(text):
            piece = self.tokenizer(text[pos:m.start()], add_special_tokens=False)["input_ids"]
            ids += piece
            slots += [False] * len(piece)
            k = budgets[m.group(1)]
            ids += [self.pad_id] * k
            slots += [True] * k
            pos = m.end()
        piece = self.tokenizer(text[pos:], add_special_tokens=False)["input_ids"]
        ids += piece
        slots += [False] * len(piece)
        labels = [IGNORE_INDEX] * len(ids)
        if answer is not None:
            ans = self.answer_ids(answer, self.answer_budget(len(ids)))
            ids += ans
            slots += [False] * len(ans)
            labels += ans
        return EncodedPrompt(ids, slots, labels)

    def collate(self, encoded: list[EncodedPrompt], padding_side: str = "left") -> dict[str, torch.Tensor]:
        """Pad a batch. Left padding (the default) serves both generation and training: position ids
        come from the attention mask, and the answers end at the right edge together."""
        length = max(len(e.input_ids) for e in encoded)
        out = {k: torch.full((len(encoded), length), v, dtype=dt) for k, v, dt in (
            ("input_ids", self.pad_id, torch.long), ("attention_mask", 0, torch.long),
            ("slot_mask", False, torch.bool), ("labels", IGNORE_INDEX, torch.long))}
        for i, e in enumerate(encoded):
            n = len(e.input_ids)
            sl = slice(0, n) if padding_side == "right" else slice(length - n, length)
            out["input_ids"][i, sl] = torch.tensor(e.input_ids)
            out["attention_mask"][i, sl] = 1
            out["slot_mask"][i, sl] = torch.tensor(e.slots)
            out["labels"][i, sl] = torch.tensor(e.labels)
        return out


class RawPromptBuilder(PromptBuilder):
    """Upstream AffectGPT's prompt (``reproduce``): ``###Human: <streams> <subtitle> <ask> ###Assistant: ``.

    No chat template and no system prompt. Training sequences start with the tokenizer's bos
    (``<|im_start|>`` where it has none, as upstream sets for Qwen) and answers end in ``###`` then
    eos; inference prompts have no bos, as upstream's ``answer_sample``. Prompt plus answer stay
    within the template's ``max_length`` (upstream's 1024).
    """

    required_keys = ("human", "streams", "subtitle", "ask", "followup", "answer_end", "max_length",
                     "emotions_answer", "questions")

    def __init__(self, tokenizer: Any, template_name: str, streams: list[tuple[str, int]],
                 max_subtitle_tokens: int = 200):
        super().__init__(tokenizer, template_name, streams, max_subtitle_tokens)
        self.max_length = int(self.template["max_length"])
        self.has_chat_template = False  # upstream never applies one, whatever the tokenizer has
        bos = tokenizer.bos_token_id
        if bos is None:
            bos = tokenizer.get_vocab().get("<|im_start|>")
        self.bos_id = bos

    def prompt_text(self, subtitle: str | None, question: str = "description") -> str:
        parts = [self.template["human"]]
        parts += [fill(self.template["streams"][name], tokens=_marker(name)) for name, _ in self.streams]
        subtitle = self._clip_subtitle(subtitle)
        if subtitle:
            parts.append(fill(self.template["subtitle"], subtitle=subtitle))
        parts.append(fill(self.template["ask"], question=self.question_text(question)))
        return "".join(parts)

    def conversation_tail(self, explanation: str, turns: list[tuple[str, str]], question: str) -> str:
        """A follow-up in upstream's raw form, like the first turn: each reply, then
        ``###Human: {question} ###Assistant: `` (the template's ``followup``); the ``###`` that
        opens a turn is the one that ends the reply before it, as in upstream's conversations."""
        parts = [explanation]
        for q, a in turns:
            parts += [fill(self.template["followup"], question=q), a]
        parts.append(fill(self.template["followup"], question=question))
        return "".join(parts)

    def prefix_ids(self, training: bool) -> list[int]:
        return [self.bos_id] if training and self.bos_id is not None else []

    def answer_suffix(self) -> str:
        return self.template["answer_end"]

    def answer_budget(self, prompt_length: int) -> int:
        return max(1, self.max_length - prompt_length)

    def clean(self, generated: str) -> str:
        return generated.split(self.template["answer_end"], 1)[0].strip()

    def generation_kwargs(self) -> dict[str, Any]:
        return {}


def prompt_builder(config: Any, tokenizer: Any, streams: list[tuple[str, int]]) -> PromptBuilder:
    """The prompt style of ``config.variant`` over ``config.template_name()``."""
    cls = RawPromptBuilder if config.variant == "reproduce" else PromptBuilder
    return cls(tokenizer, config.template_name(), streams)
