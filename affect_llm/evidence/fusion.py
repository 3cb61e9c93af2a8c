"""One fusion decides the emotions: reliability-weighted evidence, agreements and conflicts.

The rule, in full:

1. A logarithmic opinion pool (a weighted product of the channels' distributions, the rule for
   combining independent evidence; Genest & Zidek 1986): ``log s(l) = sum_m w_m log p_m(l) /
   max(1, sum_m w_m)`` with ``w_m`` the channel's reliability. A label one channel finds very
   unlikely is held down even when another channel likes it, and a flat channel (no signal)
   changes nothing. Dividing by the total weight (once it passes 1) keeps the fused confidence
   on the channels' own scale instead of multiplying three soft readings into a certainty.
   1b. A channel that shows no emotion (no clear label, or neutral: rule 4's test) enters the
   pool at ``ModalityEvidence.flat_weight`` of its reliability: the words' (``words.
   FLAT_WORDS_WEIGHT``), since a flat sentence says little about how its speaker feels; the face
   and the voice keep theirs, since a still face or a calm voice is an observation of the person.
   1c. A channel also enters the pool at its ``ModalityEvidence.pool_share``: a face whose mouth
   does not move while speech is heard at a quarter (``face.STILL_FACE_SHARE``), since it is not
   shown to be the speaker's face as they speak (a photograph under a voice-over). Only the pool
   weight changes: the channel still expresses its label (rule 4) and a conflict is named.
2. Neutral is then multiplied by ``NEUTRAL_DISCOUNT``: a channel that reads neutral has found
   *no* emotional signal, which is weaker evidence than a signal another channel did find (a
   still face beside an angry voice is common in real recordings; a *smiling* face beside it is
   a conflict, handled below).
3. The normalised result is the fused distribution; ``ranked`` lists it strongest first.
   The answer names the top label and every other non-neutral label that reaches ``KEEP_RATIO``
   of the top's score and that some present channel *shows* (as in rule 3b: a label channel's
   clear label, the voice's lean), at most ``MAX_EMOTIONS``; the summary gives a lean's extra its
   reason (", while the tone of the voice hints at fear"), a clear label's is a conflict. Why
   shown: a runner-up of the pool that no channel shows is the sum of weak leans, and "possibly
   happy and disgusted" beside an EmoDB anger was named from nothing anyone could point to. On
   the five real speech samples (re-fused, eval/results/real_speech_*_pipeline.json) this cut
   the labels named from 1.6-2.2 to 1.0-1.1 a clip, the first-named unchanged; the set F1
   against the single gold label rose on RAVDESS, EmoDB and EMOVO (mean of the five 0.32 ->
   0.36) and moved by 0.003 on CASIA and Urdu. Neutral is named only when it is the top, or
   when the fused distribution is flat (its top under ``FLAT_TOP``, 1.5 times the uniform 1/7)
   and no channel clearly shows an emotion: evidence that points nowhere is no emotion. (Two
   channels showing different emotions also flatten the pool; that is a conflict, not calm.)
   3b. A flat pool whose top no channel shows is decided by the present channels that do show a
   label, however little they weigh: the strongest of their labels in the pool.
   A sentence that says nothing ("Dogs are sitting by the door.") tilts the pool a little toward
   some label; that tilt must not outvote a voice that clearly sounds afraid.
   A label channel shows a label when it clearly favours it (rule 4's top and margin). The voice
   (rule 5) shows the label its scores lean to, whenever that is not neutral: its tone *hints*.
   Why the voice asks less: its scores are soft by nature (prosody profiles overlap), yet its lean
   is informative. On real acted speech, audio only, the voice's non-neutral top label below the
   clear-label bar was right 102 times in 415 RAVDESS clips where "neutral" was right 50 times
   (EmoDB: 26 against 3 of 79), in both halves of the speakers of each corpus; with the bar the
   answer said neutral for 707 of 1,440 RAVDESS clips (288 are neutral). A flat *sentence*'s tilt
   is not informative that way, so label channels keep the bar.
   Where only the voice's tone leans somewhere (no label channel clearly shows a label) and the
   speaker's face is in view (present, and not a still face under a voice, rule 1c), such a
   pool is decided by the face and the voice pooled without the words' tilt: two observations
   of the person, whose joint lean is better evidence than the voice's lean alone, which is
   right about a third of the time. Real Javanese video (240 clips of 10 speakers, re-fused
   from a saved run): 16 answers change, 5 won and none lost; the voice's lean had decided them
   (disgust 8 times, joy 6), never rightly. (Taking the joint lean over a face's clear label as
   well lost a clear surprise to the pool's fear.) Audio-only runs and the development corpus
   (still photos) do not change.
   3c. Neutral at the top of the pool does not beat an emotion that a label channel expresses
   (rule 4) when that emotion reaches ``KEEP_RATIO`` of neutral's score: the emotion is decided.
   A still face and a calm voice show that the feeling is not displayed, not which feeling it
   is; words that clearly say grief name it, and people often tell sad news with a composed
   face. Neutral keeps the decision when the expressed emotion is far below it (a weak reading
   of doubtful words under a clearly still face), and the summary then names the emotion it
   set aside ("..., though the words point to sadness"), so no clear signal goes unmentioned.
   3d. An emotion that no present channel scores above neutral is not named: the pool reaches it
   only through the neutral discount (rule 2), which is there to let a signal beat its absence,
   not to turn one channel's lean to neutral into that channel's runner-up (a voice reading
   neutral 0.38, disgusted 0.28 and nothing else was answered "disgusted", "since no channel
   shows a clear emotion"). Such a top gives way to neutral, before rule 3c's test; nor is such
   an emotion named beside the decision. On real acted speech, audio only, this changed 5 of
   1,440 RAVDESS answers and 6 of 454 EmoDB ones, for one more right answer in each.
   Except where two present channels *corroborate* the emotion: each ranks it first after
   neutral, at ``KEEP_RATIO`` of its neutral score or more (a face reading neutral 0.26 and sad
   0.24, a voice neutral 0.34 and sad 0.32: two observations that each nearly say sad are not one
   channel's lean). Real Javanese video: 2 answers won, none lost; nothing else re-fused moved.
   3e. Surprise has no valence of its own, and the voice's anger is its surest label: a surprise
   decision that the words do not clearly show gives way to anger where the voice's tone leans to
   anger (anger first, surprise beside it where a channel shows it). Why: the face model, trained
   on posed photographs, reads many real angry faces as surprised (wide eyes, raised brows): 25
   of 40 on real Javanese video, in the frames where the speaker is silent as well as while
   speaking, so no look at the mouth tells the two apart. Loud, strained speech is what marks
   anger: audio only, the voice's anger lean was right 30 times in 55 on five real corpora
   (EmoDB, EMOVO, Urdu, CASIA, Javanese), and beside a surprised face on the Javanese video 11
   times in 13. There, re-fused from a saved run, 12 answers change, 10 won and 1 lost (105 ->
   114 of 240; +5 and +4 in the two halves of the speakers); no audio-only answer changes. Not
   for the voice's fear lean: on the same five corpora it was right 7 times in 59, anger 23.
   The summary says why the lean outweighed the face's clear label (``surprise_read_as_anger``).
   Not where the face *plainly* shows surprise (the expression model's mean probability 0.9 or
   more, ``face.plainly_shows``): the confusion lives at moderate certainty. On the Javanese
   video no face read surprise above 0.77 (the 25 angry ones 0.26-0.77), so nothing there moves;
   on four posed-photo corpora 89 faces read surprised at 0.9 or more, 87 surprised and none
   angry, and there a voice leaning to anger would have overruled a plain surprise (RAVDESS's
   surprised speech leans to anger 44 times in 192, EMOVO's 16 in 84).
   3f. Where the words plainly say one emotion and then another ("... I'm so happy for you.
   Congratulations. But then you lied to me again. I'm furious."; ``words.turn_of``: each said
   outright, at more than half of its sentence), both are named beside the decision, before any
   other extra and whatever their share of the pool, and the summary says the words turn: the
   words' mixture had named the happiness and hidden the anger the speaker ended on. The same
   holds for the feeling words of the speaker's own language (``own_words``: "¡Estoy muy feliz
   ...! ... ¡Estoy furiosa contigo!"). It never decides, and real dialogue rarely says two
   emotions that plainly (none of EMER-v2's 99 English subtitles of several sentences; 2 of its
   311 Chinese ones, the later emotion among the description's in both), so no measured answer
   moves.
4. A channel *expresses* a label when it is present (reliability >= ``MIN_RELIABILITY``) and
   that label is its top, with at least ``MIN_EXPRESSED`` probability (1.75 times the uniform
   1/7) and ``MIN_MARGIN`` over its second label. Channels expressing the fused top label
   *agree*; two channels expressing different non-neutral labels *conflict* (e.g. a smiling face
   against angry words). Conflicts are reported, never hidden: the explanation names them.
   4b. A label channel whose two top labels are both unpleasant (``emotions.VALENCE`` below
   zero), each at ``MIN_EXPRESSED`` or more but within ``MIN_MARGIN`` of each other, shows an
   unpleasant feeling without saying which (``unpleasant_pair``): "Leave me alone." reads angry
   0.36, sad 0.35. Such a channel is not flat (rule 1b), and it expresses whichever of the two the
   other channels' pool favours (its own order when no other channel is present), so it shows a
   label (rules 3b, 3c) and conflicts with a smile. Before, it was "no clear emotion": it entered
   the pool at a quarter of its weight and a still smiling photo beside it decided "happy". A
   pair of mixed valence (happy and angry: the reader is unsure of the feeling's sign) stays
   unclear. Rare in what was measured: none of the development corpus's words or the real
   Javanese video's faces, 3 of EMER-v2's 311 subtitles, 1 of the real speech runs' words.
5. A channel that reads only arousal (``ModalityEvidence.reads == "arousal"``: the voice)
   expresses its arousal, high or low, never a label: prosody tells calm from excited far better
   than pleasant from unpleasant (Juslin & Laukka 2003; Scherer 2003; on real acted speech the
   voice's label is right about a third of the time). Its label scores still take part in the
   pool of rule 1 and may decide a flat pool (rule 3b). It *agrees* with a decision whose
   arousal (``emotions.AROUSAL``) it matches (high: ``AROUSAL >= HIGH_AROUSAL``; low:
   ``AROUSAL <= LOW_AROUSAL``), and *conflicts* with an emotional decision across arousal: a
   subdued voice under an angry face and words, an energetic voice with sad words. A
   "fearful"-sounding voice under a smiling face is no contradiction it can make.

No threshold here was fitted to a test clip; they are round values chosen for what they mean.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from ..emotions import AROUSAL, LABELS, NEUTRAL, VALENCE, Label, normalize, ranked
from . import ModalityEvidence
from .face import plainly_shows

NEUTRAL_DISCOUNT = 0.6
FLOOR = 1e-3  # smallest probability a channel may give: one channel alone never vetoes a label
KEEP_RATIO = 0.6
MAX_EMOTIONS = 3
MIN_RELIABILITY = 0.2  # below this a channel cannot *express* a label (agree or conflict)
# ... but a flat pool (rule 3b) is decided by any *present* channel that shows a label. On real
# acted speech (RAVDESS, eval/real_speech_eval.py) the voice's duration-based reliability did not
# predict whether its label was right (0.31-0.32 in each band from 0.1 to 0.3), and a cut at 0.2
# silenced the voice on a quarter of 1-2 s utterances. A cut at 0.1 (until voice v4) still
# silenced it under half a second of voiced speech, where its lean was right 41 times in 107
# clips of five real corpora (RAVDESS, EmoDB, CASIA, EMOVO, Urdu; more right in each) and the
# answer, "neutral", 9 times. Naming a conflict asks more: a faint voice against a clear face
# is not a contradiction to report.
MIN_EXPRESSED = 0.25
MIN_MARGIN = 0.05
FLAT_TOP = 1.5 / 7
# Rule 5: a decision's arousal that an arousal reading fits (emotions.AROUSAL: happy 0.5,
# fearful 0.6, angry and surprised 0.8 are high; sad -0.6 and neutral 0 are low; disgusted 0.2
# fits neither, and a voice of moderate arousal fits and contradicts nothing).
HIGH_AROUSAL = 0.5
LOW_AROUSAL = 0.0
ORDER = ("face", "voice", "words")  # how modalities are listed in sentences


Arousal = Literal["high", "low"]


@dataclass
class Conflict:
    modalities: list[str]  # e.g. ["face"] against ["words"]: first group, then the other
    labels: list[Label | Arousal]  # one per group, in the same order: a label, or an arousal reading
    groups: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"modalities": self.modalities, "labels": self.labels, "groups": self.groups}


@dataclass
class Fusion:
    scores: dict[Label, float]
    emotions: list[Label]
    expressed: dict[str, Label]  # modality -> the label it expresses (present, confident label channels)
    agree: list[str]  # label channels expressing the decision, then arousal channels that fit it
    conflicts: list[Conflict]
    weights: dict[str, float]
    aroused: dict[str, Arousal] = field(default_factory=dict)  # arousal channel -> its clear reading
    # arousal channel -> the non-neutral label its scores lean to (rule 3b: its tone *hints* at it)
    leans: dict[str, Label] = field(default_factory=dict)
    # present channels that entered the pool at less than their weight (rule 1c), e.g. a still face
    weighed_less: list[str] = field(default_factory=list)
    # rule 3e moved the decision from the face's surprise to the voice's anger
    surprise_read_as_anger: bool = False
    # label channel -> (before, after): its sentences plainly say one emotion, then another (rule 3f)
    turns: dict[str, tuple[Label, Label]] = field(default_factory=dict)

    @property
    def hints(self) -> list[str]:
        """Arousal channels whose lean is the decision."""
        return [m for m, lab in self.leans.items() if lab == self.emotions[0]]

    @property
    def ranked(self) -> list[tuple[Label, float]]:
        return ranked(self.scores)

    @property
    def confidence(self) -> float:
        """The fused score of the decided (first) emotion."""
        return self.scores[self.emotions[0]]

    def summary(self) -> str:
        """One plain clause about agreement and conflict, e.g. "the face points to happiness, but
        the words point to anger" or "the words point to anger, and the voice sounds high-energy"."""
        if not self.weights or not any(w > 0 for w in self.weights.values()):
            return "no channel carried usable evidence"
        if self.conflicts:
            return "; ".join(_conflict_clause(c, self.emotions[0]) for c in self.conflicts) + self._turned() + \
                self._why_less()
        top = self.emotions[0]
        aside = self._set_aside(top)
        return self._agreement(top, set_aside=bool(aside)) + aside + self._anger_over_surprise() + \
            self._hinted_extras() + self._turned() + self._why_less()

    def _turned(self) -> str:
        """", and the words turn from happiness to anger" (rule 3f): why an emotion the pool ranks low
        is named, and that the speaker ended on it."""
        return "".join(f", and {_NOUN[m]} turn{'' if m == 'words' else 's'} from {EMOTION_NOUN[a]} to "
                       f"{EMOTION_NOUN[b]}" for m, (a, b) in self.turns.items())

    def _anger_over_surprise(self) -> str:
        """Why rule 3e let the voice's lean outweigh the face's clear surprise: "only the tone of the
        voice hints at anger, though the face points to surprise" left the reader to wonder why
        the weaker-sounding clue won."""
        if not self.surprise_read_as_anger:
            return ""
        return ", and a surprised look beside a voice leaning to anger is more often anger"

    def _why_less(self) -> str:
        """"; the face's mouth does not move while speech is heard, so it counts less" when a channel
        weighed less (rule 1c) shows a label the decision did not take: the reader sees why it lost;
        or when the decision rests on that channel alone: the reader sees how little it rests on
        (an angry Spanish voice-over that was not understood, under a still photo read as sad, was
        "sad, since the face points to sadness", as if the face were the speaker's)."""
        top = self.emotions[0]
        return "".join(f"; {WEIGHED_LESS_BECAUSE[m]}" for m in self.weighed_less
                       if m in WEIGHED_LESS_BECAUSE and (self.expressed.get(m) not in (None, top) or self.agree == [m]))

    def _hinted_extras(self) -> str:
        """", while the tone of the voice hints at disgust" for an emotion named beside the decision
        that only an arousal channel's lean shows (rule 3). Why: "happy, and possibly disgusted,
        since the face points to happiness" gave no reason for the disgust. (An extra that a label
        channel shows clearly is a conflict, and the conflict has its own sentence.)"""
        shown = set(self.expressed.values())
        out = []
        for lab in self.emotions[1:]:
            group = [m for m, lean in self.leans.items() if lean == lab]
            if group and lab not in shown:
                out.append(f", while the tone of {_join([_NOUN[m] for m in group])} hints at {EMOTION_NOUN[lab]}")
        return "".join(out)

    def _agreement(self, top: Label, set_aside: bool = False) -> str:
        labelled = [m for m in self.agree if m in self.expressed]
        sounding = [m for m in self.agree if m in self.aroused]
        if labelled:
            clause = _points(labelled, top)
            if sounding:
                return f"{clause}, and {_sounds(sounding, self.aroused[sounding[0]], top)}"
            return clause if len(labelled) >= 2 else f"only {clause}"
        if top != NEUTRAL and self.hints:
            return f"only the tone of {_join([_NOUN[m] for m in self.hints])} hints at {EMOTION_NOUN[top]}"
        if top != NEUTRAL:  # weak leans of several channels add up (rule 3d: some channel favours it)
            if any(lab != NEUTRAL for lab in self.expressed.values()):  # another emotion is clear (set aside)
                return f"no channel shows {EMOTION_NOUN[top]} clearly, but together they lean to it"
            return f"no channel shows a clear emotion, but together they lean to {EMOTION_NOUN[top]}"
        # A neutral decision beside an emotion some channel does show (rule 3c, too far below
        # neutral to decide): "no channel shows a clear emotion" would be false.
        return "no emotion is clear enough to name" if set_aside else "no channel shows a clear emotion"

    def _set_aside(self, top: Label) -> str:
        """", though the face points to no emotion" beside an emotional decision (rule 3c), ",
        though the words point to sadness" beside a neutral one, or ", though the face points to
        surprise" beside a fear that only the voice's tone hinted at: a label channel's clear
        reading that the decision did not take and no conflict names. (Neutral is no rival
        emotion; and the voice reads arousal, so its lean against a face is no conflict, yet
        "only the tone of the voice hints at fear" alone would hide the face's clear surprise.)"""
        if top == NEUTRAL:
            aside = {m: lab for m, lab in self.expressed.items() if lab != NEUTRAL and lab not in self.emotions}
        else:
            aside = {m: lab for m, lab in self.expressed.items() if lab != top}
        by_label: dict[Label, list[str]] = {}
        for m, lab in aside.items():
            by_label.setdefault(lab, []).append(m)
        clauses = [_points(group, lab) for lab, group in by_label.items()]
        # A neutral decision beside a voice that clearly sounds high-energy: calm it is not, and
        # the acoustic sentence says so, so the reason must not pass over it. (On real Javanese
        # video 1 of 65 such clips is neutral, but the voice names no emotion: the decision stands.)
        energetic = [m for m, a in self.aroused.items() if a == "high"] if top == NEUTRAL else []
        if energetic:
            clauses.append(_sounds(energetic, "high", top))
        return "".join(f", though {c}" for c in clauses)

    def to_dict(self) -> dict[str, Any]:
        return {"ranked": [[lab, round(p, 3)] for lab, p in self.ranked],
                "emotions": list(self.emotions),
                "confidence": round(self.confidence, 3),
                "expressed": dict(self.expressed),
                "aroused": dict(self.aroused),
                "agree": list(self.agree),
                "hints": list(self.hints),
                "leans": dict(self.leans),
                "weighed_less": list(self.weighed_less),
                "surprise_read_as_anger": self.surprise_read_as_anger,
                "turns": {m: list(pair) for m, pair in self.turns.items()},
                "conflicts": [c.to_dict() for c in self.conflicts],
                "weights": {m: round(w, 3) for m, w in self.weights.items()},
                "summary": self.summary()}


_NOUN = {"face": "the face", "voice": "the voice", "words": "the words"}
# Why a channel entered the pool at less than its weight (rule 1c), as the summary says it.
WEIGHED_LESS_BECAUSE = {"face": "the face's mouth does not move while speech is heard, so it counts less"}
EMOTION_NOUN = {"neutral": "no emotion", "happy": "happiness", "sad": "sadness", "angry": "anger",
                 "fearful": "fear", "surprised": "surprise", "disgusted": "disgust"}


def arousal_phrase(reading: Arousal, decision: Label | None = None) -> str:
    """How an arousal reading sounds in a sentence: "high-energy", "low-energy" ("calm" beside a
    neutral decision, where low arousal is the absence of emotion rather than a low mood).
    Words that name no emotion on the wheels ("energetic" reads as happy, "tense" as angry):
    the voice's arousal says nothing about which emotion."""
    if reading == "high":
        return "high-energy"
    return "calm" if decision == NEUTRAL else "low-energy"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _points(group: list[str], label: Label) -> str:
    """"the face points to happiness", "the voice and the words point to anger"."""
    plural = len(group) > 1 or group == ["words"]
    return f"{_join([_NOUN[m] for m in group])} point{'' if plural else 's'} to {EMOTION_NOUN[label]}"


def _sounds(group: list[str], reading: Arousal, decision: Label | None) -> str:
    """"the voice sounds low-energy"."""
    return f"{_join([_NOUN[m] for m in group])} sound{'' if len(group) > 1 else 's'} " \
           f"{arousal_phrase(reading, decision)}"


def _side(group: list[str], reading: Label | Arousal, decision: Label) -> str:
    if reading in ("high", "low"):
        return _sounds(group, reading, decision)  # type: ignore[arg-type]
    return _points(group, reading)  # type: ignore[arg-type]


def _conflict_clause(c: Conflict, decision: Label) -> str:
    (g1, g2), (l1, l2) = c.groups, c.labels
    return f"{_side(g1, l1, decision)}, but {_side(g2, l2, decision)}"


def clear_label(ev: ModalityEvidence) -> Label | None:
    """The label a channel's scores clearly favour (whatever its reliability), or None."""
    return clear_label_of(ev.scores)


def clear_label_of(scores: dict[Label, float], at_least: float = MIN_EXPRESSED) -> Label | None:
    """:func:`clear_label` of bare scores (a cues record's ``evidence[m]["scores"]``); ``at_least``
    raises the bar on the top label (``words.turn_of``: a sentence that says it outright)."""
    top = ranked(scores)[:2]
    if len(top) < 2:
        return None
    (label, p), (_, second) = top
    return label if p >= at_least and p - second >= MIN_MARGIN else None


def unpleasant_pair(scores: dict[Label, float]) -> tuple[Label, Label] | None:
    """Rule 4b: the two top labels, when both are unpleasant, each at ``MIN_EXPRESSED`` or more and
    too close for either to be clear (strongest first); else None."""
    top = ranked(scores)[:2]
    if len(top) < 2 or clear_label_of(scores) is not None:
        return None
    (a, pa), (b, pb) = top
    if min(pa, pb) < MIN_EXPRESSED or VALENCE[a] >= 0 or VALENCE[b] >= 0:
        return None
    return a, b


def pair_shown(scores: dict[Label, float], expressed: Label | None) -> tuple[Label, Label] | None:
    """The unpleasant pair a channel shows (rule 4b) as (the label it expresses, the other one), when
    the fusion took one of the two; else None."""
    pair = unpleasant_pair(scores) if scores else None
    if not pair or expressed not in pair:
        return None
    return (pair[0], pair[1]) if expressed == pair[0] else (pair[1], pair[0])


def expressed_label(ev: ModalityEvidence, min_reliability: float = MIN_RELIABILITY) -> Label | None:
    """The label a channel clearly shows, or None (absent, unreliable or undecided)."""
    return clear_label(ev) if ev.reliability >= min_reliability else None


def expressed_arousal(ev: ModalityEvidence) -> Arousal | None:
    """The arousal an arousal channel clearly shows (rule 5), or None (moderate, absent, unreliable)."""
    if ev.reads != "arousal" or ev.reliability < MIN_RELIABILITY or ev.arousal not in ("high", "low"):
        return None
    return ev.arousal  # type: ignore[return-value]


def fits(reading: Arousal, label: Label) -> bool:
    """Whether an arousal reading matches a label's arousal (rule 5)."""
    return AROUSAL[label] >= HIGH_AROUSAL if reading == "high" else AROUSAL[label] <= LOW_AROUSAL


def fuse(evidence: dict[str, ModalityEvidence]) -> Fusion:
    """Decide the emotions from the channels' evidence (see the module docstring for the rule)."""
    order_m = _ordered(evidence)
    clear = {m: clear_label(evidence[m]) for m in order_m}  # in ORDER, as sentences list them
    for m in order_m:  # rule 4b: an unpleasant feeling, the other channels say which
        pair = unpleasant_pair(evidence[m].scores) if evidence[m].reads == "label" else None
        if pair:
            others = {n: ev for n, ev in evidence.items() if n != m}
            pooled, w = _pool(others, {n: clear[n] for n in others})
            clear[m] = max(pair, key=lambda lab: pooled[lab]) if sum(w.values()) > 0 else pair[0]
    scores, weights = _pool(evidence, clear)
    shown = {m: (evidence[m].top(1)[0][0] if evidence[m].reads == "arousal" else clear[m]) for m in order_m}
    showing = {m: lab for m, lab in shown.items()
               if lab not in (None, NEUTRAL) and evidence[m].present}
    expressed = {m: lab for m, lab in clear.items() if lab is not None and evidence[m].reads == "label"
                 and evidence[m].reliability >= MIN_RELIABILITY}
    aroused = {m: a for m in order_m if (a := expressed_arousal(evidence[m])) is not None}
    leans = {m: lab for m, lab in showing.items() if evidence[m].reads == "arousal"}
    order = ranked(scores)
    top, top_p = order[0]
    flat = top_p < FLAT_TOP
    if flat and not showing:
        top, top_p = NEUTRAL, scores[NEUTRAL]
    elif flat and top not in showing.values():  # rule 3b
        # Only the voice's tone leans somewhere: with the speaker's face in view, the face and
        # the voice pooled decide (a label channel's clear label decides as before).
        leaning = not any(evidence[m].reads == "label" for m in showing)
        observed = _observed_top(evidence, clear) if leaning else None
        top = observed or max(showing.values(), key=lambda lab: scores[lab])
        top_p = scores[top]
    favoured = {lab for lab in LABELS if lab != NEUTRAL and any(
        ev.reliability > 0 and ev.scores.get(lab, 0.0) > ev.scores.get(NEUTRAL, 0.0) for ev in evidence.values())}
    favoured |= _corroborated(evidence)
    if top != NEUTRAL and top not in favoured:  # rule 3d: no emotion that only the neutral discount made
        top, top_p = NEUTRAL, scores[NEUTRAL]
    if top == NEUTRAL:  # rule 3c: an expressed emotion close to neutral is decided
        rivals = [lab for lab in expressed.values() if lab != NEUTRAL and scores[lab] >= KEEP_RATIO * scores[NEUTRAL]]
        if rivals:
            top = max(rivals, key=lambda lab: scores[lab])
            top_p = scores[top]
    surprise_read_as_anger = top == "surprised" and "angry" in leans.values() and clear.get("words") != "surprised" \
        and not plainly_shows(evidence.get("face"), "surprised")
    if surprise_read_as_anger:  # rule 3e
        top, top_p = "angry", scores["angry"]
    emotions: list[Label] = [top]
    turns: dict[str, tuple[Label, Label]] = {}
    for m in order_m:  # rule 3f
        turn = evidence[m].detail.get("turn")
        if turn and evidence[m].reads == "label" and evidence[m].reliability >= MIN_RELIABILITY:
            turns[m] = (turn[0], turn[1])
    if top != NEUTRAL:  # rule 3: beside the decision, only what some channel shows (so it is favoured, 3d)
        said = [lab for lab, _ in order if lab not in (top, NEUTRAL) and lab in favoured
                and any(lab in pair for pair in turns.values())]  # rule 3f: first, whatever their share
        emotions += said + [lab for lab, p in order if lab not in (top, NEUTRAL, *said)
                            and lab in showing.values() and p >= KEEP_RATIO * top_p]
    emotions = emotions[:MAX_EMOTIONS]

    agree = [m for m, lab in expressed.items() if lab == top] + \
        [m for m, a in aroused.items() if fits(a, top)]
    conflicts = _conflicts(expressed, aroused, top)
    weighed_less = [m for m in order_m if evidence[m].present and evidence[m].pool_share < 1.0]
    return Fusion(scores=scores, emotions=emotions, expressed=expressed, agree=agree, conflicts=conflicts,
                  weights=weights, aroused=aroused, leans=leans, weighed_less=weighed_less,
                  surprise_read_as_anger=surprise_read_as_anger,
                  turns={m: pair for m, pair in turns.items() if set(pair) & set(emotions)})


def _pool(evidence: dict[str, ModalityEvidence], clear: dict[str, Label | None]
          ) -> tuple[dict[Label, float], dict[str, float]]:
    """Rules 1-2: the channels' logarithmic opinion pool, neutral discounted; and each channel's
    weight in it."""
    logs: dict[Label, float] = {lab: 0.0 for lab in LABELS}
    weights: dict[str, float] = {}
    for name, ev in evidence.items():
        w = max(0.0, ev.reliability) * (ev.flat_weight if clear[name] in (None, NEUTRAL) else 1.0)  # rule 1b
        w *= ev.pool_share  # rule 1c
        weights[name] = w
        for lab in LABELS:
            logs[lab] += w * math.log(max(ev.scores.get(lab, 0.0), FLOOR))
    total = sum(weights.values())
    if total <= 0:
        return {lab: (1.0 if lab == NEUTRAL else 0.0) for lab in LABELS}, weights
    top_log = max(logs.values())
    pooled = {lab: math.exp((v - top_log) / max(1.0, total)) for lab, v in logs.items()}
    pooled[NEUTRAL] *= NEUTRAL_DISCOUNT
    return normalize(pooled), weights


def _observed_top(evidence: dict[str, ModalityEvidence], clear: dict[str, Label | None]) -> Label | None:
    """Rule 3b with the speaker's face in view (present, and not a still face under a voice, rule
    1c): the top of the pool of the channels that observe the person (those that keep their
    weight when flat, rule 1b: the face and the voice), without a flat sentence's tilt. None
    without such a face."""
    face = evidence.get("face")
    if face is None or not face.present or face.pool_share < 1.0:
        return None
    observing = {m: ev for m, ev in evidence.items() if ev.flat_weight >= 1.0}
    return ranked(_pool(observing, {m: clear[m] for m in observing})[0])[0][0]


def _corroborated(evidence: dict[str, ModalityEvidence]) -> set[Label]:
    """Rule 3d's exception: each emotion that two or more present channels rank first after
    neutral, at ``KEEP_RATIO`` of their neutral score or more."""
    seconds: Counter[Label] = Counter()
    for ev in (ev for ev in evidence.values() if ev.present):
        emotion = max((lab for lab in LABELS if lab != NEUTRAL), key=lambda lab: ev.scores.get(lab, 0.0))
        if ev.scores.get(emotion, 0.0) >= KEEP_RATIO * ev.scores.get(NEUTRAL, 0.0):
            seconds[emotion] += 1
    return {lab for lab, n in seconds.items() if n >= 2}


def _ordered(evidence: dict[str, ModalityEvidence]) -> list[str]:
    return sorted(evidence, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER))


def _conflicts(expressed: dict[str, Label], aroused: dict[str, Arousal], top: Label) -> list[Conflict]:
    """Groups of label channels expressing different non-neutral labels, and arousal channels
    against an emotional decision across arousal (rule 5). The group on the fused top label (if
    any) goes second, so clauses read "X shows A, but Y shows <the decision>"."""
    by_label: dict[Label, list[str]] = {}
    for m, lab in expressed.items():
        if lab != NEUTRAL:
            by_label.setdefault(lab, []).append(m)
    out = []
    if len(by_label) >= 2:
        main = top if top in by_label else max(by_label, key=lambda lab: len(by_label[lab]))
        out += [Conflict(modalities=group + by_label[main], labels=[lab, main], groups=[group, by_label[main]])
                for lab, group in by_label.items() if lab != main]
    if top != NEUTRAL and top in by_label:
        for reading in ("high", "low"):
            group = [m for m, a in aroused.items() if a == reading]
            opposite = AROUSAL[top] >= HIGH_AROUSAL if reading == "low" else AROUSAL[top] <= LOW_AROUSAL
            if group and opposite:
                out.append(Conflict(modalities=group + by_label[top], labels=[reading, top],
                                    groups=[group, by_label[top]]))
    return out
