"""Evidence per modality, as scores over one label set, and the fusion that decides.

Each channel turns what perception measured into a ``ModalityEvidence``: a distribution over
``emotions.LABELS`` and a reliability in [0, 1] that says how much the measurement can be
trusted (how many frames had a face, whether speech was found, how sure the transcript is).

* ``face``: the expression model over time;
* ``voice``: prosody -> arousal and valence -> labels. Its label scores take part in the decision,
  but what the voice can *show* on its own is arousal (``reads="arousal"``): prosody tells calm
  from excited far better than pleasant from unpleasant, so the voice agrees with, contradicts
  and is described by its arousal, never by one of the six labels;
* ``words``: a text-emotion model over the subtitle or transcript (its English translation when
  the speech is not English), and the emotion words of Chinese, Spanish, German, French,
  Italian, Portuguese, Russian, Indonesian and Japanese read in the words as said (``own_words``);
* ``fusion``: reliability-weighted, it ranks the labels and names agreements and conflicts.

The decision is made here, from measurements; the LLM only writes around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..emotions import LABELS, Label, ranked

# The name the words channel gives a reading by the English models in ``detail["readings"]``
# (beside "own_words"); ``observations`` reads it back.
ENGLISH_READING = "english"


@dataclass
class ModalityEvidence:
    """One channel's reading of a clip."""

    modality: str  # "face" | "voice" | "words"
    scores: dict[Label, float]  # over emotions.LABELS, summing to 1
    reliability: float  # 0 (absent or untrustworthy) .. 1
    method: str = ""  # what produced the scores, e.g. "fer-mini-xception", "prosody-rules-v1"
    detail: dict[str, Any] = field(default_factory=dict)  # channel-specific numbers behind the scores
    # What the channel can show by itself: one of the labels (face, words), or only how aroused
    # the person is (voice). The fusion names agreement and conflict, and the explanation
    # describes the channel, at that resolution.
    reads: Literal["label", "arousal"] = "label"
    arousal: Literal["high", "moderate", "low"] | None = None  # the channel's arousal reading, if it has one
    # The share of its weight the channel keeps in the fusion's pool when it shows no emotion (no
    # clear label, or neutral): 1 for the face and the voice, whose calm is an observation of
    # the person; less for the words, whose flatness mostly is not (fusion rule 1b).
    flat_weight: float = 1.0
    # The share of its weight the channel brings to the pool whatever it shows (fusion rule 1c): 1,
    # but less for a face whose mouth does not move while speech is heard (``evidence.face``). Its
    # reading still shows and may conflict; it only weighs less in the decision.
    pool_share: float = 1.0

    @property
    def present(self) -> bool:
        return self.reliability > 0

    def top(self, k: int = 3) -> list[tuple[Label, float]]:
        return ranked(self.scores)[:k]

    def to_dict(self) -> dict[str, Any]:
        return {"modality": self.modality, "reliability": round(self.reliability, 3),
                "method": self.method, "reads": self.reads,
                **({"arousal": self.arousal} if self.arousal is not None else {}),
                **({"pool_share": self.pool_share} if self.pool_share != 1.0 else {}),
                **({"flat_weight": self.flat_weight} if self.flat_weight != 1.0 else {}),
                "scores": {lab: round(self.scores[lab], 3) for lab in LABELS},
                "top": [[lab, round(p, 3)] for lab, p in self.top()],
                "detail": self.detail}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModalityEvidence:
        """The evidence a saved ``to_dict`` record holds (a cues record's ``evidence[m]``), so that
        a fusion rule can be measured again on saved runs without perceiving the clips again.
        Records saved before ``flat_weight`` was written hold none: the caller sets it."""
        return cls(modality=d["modality"], scores=dict(d["scores"]), reliability=d["reliability"],
                   method=d.get("method", ""), detail=d.get("detail") or {}, reads=d.get("reads", "label"),
                   arousal=d.get("arousal"), flat_weight=d.get("flat_weight", 1.0),
                   pool_share=d.get("pool_share", 1.0))


def absent(modality: str, why: str) -> ModalityEvidence:
    """A channel with nothing to say (no face, no speech, no words): weight 0 in the fusion."""
    from ..emotions import uniform

    return ModalityEvidence(modality=modality, scores=uniform(), reliability=0.0, method="absent",
                            detail={"why": why})


def one_turn(plain: list[Label]) -> tuple[Label, Label] | None:
    """``(before, after)`` when ``plain`` (the emotions the sentences of a text plainly say, in
    order) is one emotion and then another, without going back; None otherwise. The words'
    turn (fusion rule 3f), read the same way by the English models (``words.turn_of``) and by the
    own-language list (``own_words``)."""
    runs = [lab for k, lab in enumerate(plain) if k == 0 or plain[k - 1] != lab]
    return (runs[0], runs[1]) if len(runs) == 2 else None
