"""The checker's finding: what kind of unfaithfulness, where, and why in one line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["contradiction", "quote", "emotion", "entity"]
KINDS: tuple[Kind, ...] = ("contradiction", "quote", "emotion", "entity")


@dataclass(frozen=True)
class Fault:
    kind: Kind
    text: str  # the offending span, as written
    why: str  # one line, naming the cue it disagrees with
    sentence: str = ""  # the sentence it was found in (filled by check_sentence)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
