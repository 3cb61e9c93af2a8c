"""One fusion decides the emotions: reliability-weighted evidence, agreements and conflicts.

The rule, in full:

1. A logarithmic opinion pool (a weighted product of the channels' distributions, the rule for
   combining independent evidence; Genest & Zidek 1986): ``log s(l) = sum_m w_m log p_m(l) /
   max(1, sum_m w_m)`` with ``w_m`` the channel's reliability. A label one channel finds very
   unlikely is held down even when another channel likes it, and a flat channel (no signal)
   changes nothing. Dividing by the total weight (once it passes 1) keeps the fused confidence
   on the channels' own scale instead of multiplying three soft readings into a certainty.
2. Neutral is then multiplied by ``NEUTRAL_DISCOUNT``: a channel that reads neutral has found
   *no* emotional signal, which is weaker evidence than a signal another channel did find (a
   still face beside an angry voice is common in real recordings; a *smiling* face beside it is
   a conflict, handled below).
3. The normalised result is the fused distribution; ``ranked`` lists it strongest first.
   The answer names the top label and every other non-neutral label that reaches ``KEEP_RATIO``
   of the top's score (at most ``MAX_EMOTIONS``). Neutral is named only when it is the top, or
   when the fused distribution is flat (its top under ``FLAT_TOP``, 1.5 times the uniform 1/7)
   and no channel clearly shows an emotion: evidence that points nowhere is no emotion. (Two
   channels showing different emotions also flatten the pool; that is a conflict, not calm.)
   3b. A flat pool whose top no channel shows is decided by the channels that do show a label
   (from reliability ``MIN_RELIABILITY_TO_DECIDE``): the strongest of their labels in the pool.
   A sentence that says nothing ("Dogs are sitting by the door.") tilts the pool a little toward
   some label; that tilt must not outvote a voice that clearly sounds afraid.
4. A channel *expresses* a label when it is present (reliability >= ``MIN_RELIABILITY``) and
   that label is its top, with at least ``MIN_EXPRESSED`` probability (1.75 times the uniform
   1/7) and ``MIN_MARGIN`` over its second label. Channels expressing the fused top label
   *agree*; two channels expressing different non-neutral labels *conflict* (e.g. a smiling face
   against an angry voice and angry words). Conflicts are reported, never hidden: the
   explanation names them. The voice *alone* against another channel is a conflict only across
   ``VOICE_AROUSAL_GAP`` of arousal: prosody tells calm from excited far better than pleasant
   from unpleasant, so a happy face over a voice read as fearful is not a contradiction to
   report (on real acted speech the voice's label is right about a third of the time).

No threshold here was fitted to a test clip; they are round values chosen for what they mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..emotions import AROUSAL, LABELS, NEUTRAL, Label, normalize, ranked
from . import ModalityEvidence

NEUTRAL_DISCOUNT = 0.6
FLOOR = 1e-3  # smallest probability a channel may give: one channel alone never vetoes a label
KEEP_RATIO = 0.6
MAX_EMOTIONS = 3
MIN_RELIABILITY = 0.2  # below this a channel cannot *express* a label (agree or conflict)
# ... but a flat pool (rule 3b) is decided by any channel that shows a label from this
# reliability: on real acted speech (RAVDESS, eval/real_speech_eval.py) the voice's
# duration-based reliability did not predict whether its label was right (0.31-0.32 in each
# band from 0.1 to 0.3), and a cut at 0.2 silenced the voice on a quarter of 1-2 s utterances.
# Naming a conflict asks more: a 0.1 voice against a clear face is not a contradiction to report.
MIN_RELIABILITY_TO_DECIDE = 0.1
MIN_EXPRESSED = 0.25
MIN_MARGIN = 0.05
FLAT_TOP = 1.5 / 7
# The voice carries arousal well and valence poorly (Juslin & Laukka 2003; Scherer 2003): alone,
# it contradicts another channel only across this much arousal (emotions.AROUSAL): a sad voice
# under a smiling face, not a "fearful" voice under it (both aroused, told apart by valence).
VOICE_AROUSAL_GAP = 0.5
ORDER = ("face", "voice", "words")  # how modalities are listed in sentences


@dataclass
class Conflict:
    modalities: list[str]  # e.g. ["face"] against ["voice", "words"]: first group, then the other
    labels: list[Label]  # one per group, in the same order
    groups: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"modalities": self.modalities, "labels": self.labels, "groups": self.groups}


@dataclass
class Fusion:
    scores: dict[Label, float]
    emotions: list[Label]
    expressed: dict[str, Label]  # modality -> the label it expresses (present, confident channels only)
    agree: list[str]
    conflicts: list[Conflict]
    weights: dict[str, float]

    @property
    def ranked(self) -> list[tuple[Label, float]]:
        return ranked(self.scores)

    @property
    def confidence(self) -> float:
        """The fused score of the decided (first) emotion."""
        return self.scores[self.emotions[0]]

    def summary(self) -> str:
        """One plain clause about agreement and conflict, e.g. "the face looks happy, but the voice
        and the words sound angry"."""
        if not self.weights or not any(w > 0 for w in self.weights.values()):
            return "no channel carried usable evidence"
        if self.conflicts:
            return "; ".join(_conflict_clause(c) for c in self.conflicts)
        if len(self.agree) >= 2:
            return f"{_points(self.agree, self.emotions[0])}"
        if len(self.agree) == 1:
            return f"only {_points(self.agree, self.emotions[0])}"
        return "no channel shows a clear emotion"

    def to_dict(self) -> dict[str, Any]:
        return {"ranked": [[lab, round(p, 3)] for lab, p in self.ranked],
                "emotions": list(self.emotions),
                "confidence": round(self.confidence, 3),
                "expressed": dict(self.expressed),
                "agree": list(self.agree),
                "conflicts": [c.to_dict() for c in self.conflicts],
                "weights": {m: round(w, 3) for m, w in self.weights.items()},
                "summary": self.summary()}


_NOUN = {"face": "the face", "voice": "the voice", "words": "the words"}
_EMOTION_NOUN = {"neutral": "no emotion", "happy": "happiness", "sad": "sadness", "angry": "anger",
                 "fearful": "fear", "surprised": "surprise", "disgusted": "disgust"}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _points(group: list[str], label: Label) -> str:
    """"the face points to happiness", "the voice and the words point to anger"."""
    plural = len(group) > 1 or group == ["words"]
    return f"{_join([_NOUN[m] for m in group])} point{'' if plural else 's'} to {_EMOTION_NOUN[label]}"


def _conflict_clause(c: Conflict) -> str:
    (g1, g2), (l1, l2) = c.groups, c.labels
    return f"{_points(g1, l1)}, but {_points(g2, l2)}"


def expressed_label(ev: ModalityEvidence, min_reliability: float = MIN_RELIABILITY) -> Label | None:
    """The label a channel clearly shows, or None (absent, unreliable or undecided)."""
    if ev.reliability < min_reliability:
        return None
    (label, p), (_, second) = ev.top(2)
    return label if p >= MIN_EXPRESSED and p - second >= MIN_MARGIN else None


def fuse(evidence: dict[str, ModalityEvidence]) -> Fusion:
    """Decide the emotions from the channels' evidence (see the module docstring for the rule)."""
    logs: dict[Label, float] = {lab: 0.0 for lab in LABELS}
    weights: dict[str, float] = {}
    for name, ev in evidence.items():
        w = max(0.0, ev.reliability)
        weights[name] = w
        for lab in LABELS:
            logs[lab] += w * math.log(max(ev.scores.get(lab, 0.0), FLOOR))
    total = sum(weights.values())
    if total > 0:
        top_log = max(logs.values())
        pooled = {lab: math.exp((v - top_log) / max(1.0, total)) for lab, v in logs.items()}
        pooled[NEUTRAL] *= NEUTRAL_DISCOUNT
        scores = normalize(pooled)
    else:
        scores = {lab: (1.0 if lab == NEUTRAL else 0.0) for lab in LABELS}
    expressed = {m: lab for m in _ordered(evidence) if (lab := expressed_label(evidence[m])) is not None}
    showing = {lab for ev in evidence.values()
               if (lab := expressed_label(ev, MIN_RELIABILITY_TO_DECIDE)) not in (None, NEUTRAL)}
    order = ranked(scores)
    top, top_p = order[0]
    flat = top_p < FLAT_TOP
    if flat and not showing:
        top, top_p = NEUTRAL, scores[NEUTRAL]
    elif flat and top not in showing:  # rule 3b: a tilt of a flat channel never decides
        top = max(showing, key=lambda lab: scores[lab])
        top_p = scores[top]
    emotions: list[Label] = [top]
    if top != NEUTRAL:
        emotions += [lab for lab, p in order[1:] if lab != NEUTRAL and p >= KEEP_RATIO * top_p]
    emotions = emotions[:MAX_EMOTIONS]

    agree = [m for m, lab in expressed.items() if lab == top]
    conflicts = _conflicts(expressed, top)
    return Fusion(scores=scores, emotions=emotions, expressed=expressed, agree=agree, conflicts=conflicts,
                  weights=weights)


def _ordered(evidence: dict[str, ModalityEvidence]) -> list[str]:
    return sorted(evidence, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER))


def _conflicts(expressed: dict[str, Label], top: Label) -> list[Conflict]:
    """Groups of channels expressing different non-neutral labels; the group on the fused top
    label (if any) goes second, so clauses read "X shows A, but Y shows <the decision>"."""
    by_label: dict[Label, list[str]] = {}
    for m, lab in expressed.items():
        if lab != NEUTRAL:
            by_label.setdefault(lab, []).append(m)
    if len(by_label) < 2:
        return []
    main = top if top in by_label else max(by_label, key=lambda lab: len(by_label[lab]))
    out = []
    for lab, group in by_label.items():
        if lab == main:
            continue
        if ["voice"] in (group, by_label[main]) and abs(AROUSAL[lab] - AROUSAL[main]) < VOICE_AROUSAL_GAP:
            continue  # the voice alone cannot contradict on valence (module docstring, rule 4)
        out.append(Conflict(modalities=group + by_label[main], labels=[lab, main],
                            groups=[group, by_label[main]]))
    return out
