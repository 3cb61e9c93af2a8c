"""Prompt assembly: template text + slots where the stream embeddings go + the masked answer.

The user turn of ``prompts/affectgpt.yaml`` is rendered with the LLM's chat template, with one
marker string per stream. The rendered text is split at the markers, each text piece is
tokenized on its own, and every marker becomes ``K`` slot positions. The model then builds
``inputs_embeds`` from the token embeddings and scatters the stream tokens into the slots (as
LLaVA does with its image token), without adding anything to the LLM's vocabulary — so the LLM
folder stays untouched and LoRA adapters stay small.

Labels are ``-100`` everywhere except the answer (and its end-of-turn token): the loss is on the
answer only.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

import torch

from ...errors import ModelError
from ...prompts import fill, load_yaml

IGNORE_INDEX = -100
TARGET_MODES = ("description", "emotions", "hybrid")


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
    """Builds token ids, slot masks and labels for the model's streams from the YAML template."""

    def __init__(self, tokenizer: Any, template_name: str, streams: list[tuple[str, int]],
                 max_subtitle_tokens: int = 200, max_answer_tokens: int = 384):
        self.tokenizer = tokenizer
        self.template_name = template_name
        self.template = load_yaml(template_name)
        self.streams = list(streams)
        self.max_subtitle_tokens = max_subtitle_tokens
        self.max_answer_tokens = max_answer_tokens
        for key in ("system", "streams", "user", "no_subtitle", "emotions_answer"):
            if key not in self.template:
                raise ModelError(f"prompts/{template_name} lacks the key {key!r}")
        missing = [n for n, _ in self.streams if n not in self.template["streams"]]
        if missing:
            raise ModelError(f"prompts/{template_name}: no line under 'streams' for {missing}; add e.g. "
                             f"'{missing[0]}: \"{missing[0].title()}: {{tokens}}\"'")
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.has_chat_template = bool(getattr(tokenizer, "chat_template", None))

    # ---------------------------------------------------------------------------- text
    def prompt_text(self, subtitle: str | None) -> str:
        """The full prompt (chat-formatted, generation prompt included) with stream markers."""
        lines = [fill(self.template["streams"][name], tokens=_marker(name)) for name, _ in self.streams]
        subtitle = self._clip_subtitle(subtitle)
        user = fill(self.template["user"], streams="\n".join(lines),
                    subtitle=subtitle if subtitle else self.template["no_subtitle"])
        system = self.template["system"]
        if self.has_chat_template:
            return self.tokenizer.apply_chat_template(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                add_generation_prompt=True, tokenize=False)
        return f"{system}\n\nUser: {user}\nAssistant:"

    def _clip_subtitle(self, subtitle: str | None) -> str:
        subtitle = " ".join(_MARKER_RE.sub("", subtitle or "").split())
        ids = self.tokenizer(subtitle, add_special_tokens=False)["input_ids"]
        if len(ids) > self.max_subtitle_tokens:
            subtitle = self.tokenizer.decode(ids[:self.max_subtitle_tokens]).strip() + " ..."
        return subtitle

    def target_text(self, description: str | None, emotions: list[str] | None, mode: str,
                    rng: random.Random) -> str:
        """The training answer: the description, the emotion sentence, or one of them at random.

        ``hybrid`` falls back to whichever of the two a sample has.
        """
        emotion_text = (fill(self.template["emotions_answer"], emotions=", ".join(emotions))
                        if emotions else None)
        if mode == "description" or (mode == "hybrid" and not emotion_text):
            choice = description or emotion_text
        elif mode == "emotions" or (mode == "hybrid" and not description):
            choice = emotion_text or description
        else:
            choice = description if rng.random() < 0.5 else emotion_text
        if not choice:
            raise ValueError("a training sample needs a description or emotions")
        return choice

    # ---------------------------------------------------------------------------- tokens
    def encode(self, subtitle: str | None, answer: str | None = None) -> EncodedPrompt:
        budgets = dict(self.streams)
        text = self.prompt_text(subtitle)
        ids: list[int] = []
        slots: list[bool] = []
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
            ans = self.tokenizer(" ".join(answer.split()), add_special_tokens=False)["input_ids"]
            ans = ans[:self.max_answer_tokens] + [self.eos_id]
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
