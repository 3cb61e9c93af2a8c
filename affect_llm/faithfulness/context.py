"""One sentence read against one cues record: topic, emotion mentions, attribution to modalities.

Attribution is local and explainable: an emotion word belongs to the nearest modality word in
its clause ("the *smiling face* conflicts with the *angry voice*"), to the modality words
coordinated with that one ("the face and voice are angry"), or, when its clause names none, to
the sentence's section ("In the video, the person looks happy": the face). Inference sentences
("Based on these clues, ...") attribute nothing: their emotion words are checked for support only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..emotions import Label, label_of
from .cueview import CueView, extractor
from .text import CLAUSE_BREAK, Sentence, parse
from .vocab import ABSENCE, FACE_ACTIONS, FACE_KEYS, MARKERS, NEGATORS, VOICE_KEYS, WORDS_KEYS

ATTRIBUTION_WINDOW = 6  # tokens between an emotion word and the modality word it describes
_COORD_GAP = frozenset({"and", ",", "the", "her", "his", "their", "its", "or", "both", "as", "well"})


@dataclass
class EmotionClaim:
    first: int  # token indices, inclusive
    last: int
    word: str  # canonical word (or the facial action)
    labels: frozenset[Label]
    face_action: bool
    modalities: frozenset[str]
    negated: bool
    intensity: float = 1.0


@dataclass
class Ctx:
    sent: Sentence
    view: CueView
    topic: str | None  # the sentence's section: "face" | "voice" | "words" | None
    marker_end: int  # tokens before this index are the section opener ("In the video,")
    claims: list[EmotionClaim] = field(default_factory=list)
    covered: set[int] = field(default_factory=set)  # tokens already inside a fault
    face_missing_flagged: bool = False
    voice_missing_flagged: bool = False
    words_missing_flagged: bool = False

    # -------------------------------------------------------------- token helpers
    def live(self, k: int) -> bool:
        """A token of the explanation's own claims: not quoted speech, not the section opener."""
        return k >= self.marker_end and not self.sent.tokens[k].quoted

    def clause_tokens(self, clause: int) -> list[int]:
        return [k for k, t in enumerate(self.sent.tokens) if t.clause == clause and self.live(k)]

    def clauses(self) -> list[int]:
        return sorted({t.clause for t in self.sent.tokens})

    def clause_has_absence(self, clause: int) -> bool:
        return any(self.sent.tokens[k].text in ABSENCE or self.sent.tokens[k].text.endswith("n't")
                   for k in self.clause_tokens(clause))

    def negated_before(self, k: int, window: int = 3) -> bool:
        toks = self.sent.tokens
        for j in range(k - 1, max(self.marker_end, k - window) - 1, -1):
            if toks[j].clause != toks[k].clause or toks[j].text in (",", "and"):
                break
            if toks[j].text in NEGATORS or toks[j].text.endswith("n't"):
                return True
        return False

    def modality_of(self, k: int) -> frozenset[str]:
        """Modalities the token at ``k`` is said of (see the module docstring)."""
        toks = self.sent.tokens
        best: tuple[int, int, int] | None = None  # (distance, before?, index)
        for j in self.clause_tokens(toks[k].clause):
            if j == k or keyword_modality(toks[j].text, anchors_only=True) is None:
                continue
            d = abs(j - k)
            if d <= ATTRIBUTION_WINDOW and (best is None or (d, j < k) < best[:2]):
                best = (d, int(j < k), j)
        if best is None:
            ante = self._antecedent(toks[k].clause)
            if ante:
                return frozenset({ante})
            return frozenset({self.topic}) if self.topic else frozenset()
        found = {keyword_modality(toks[best[2]].text, anchors_only=True)}
        for step in (-1, 1):  # "the face and the voice are angry"
            j = best[2] + step
            while 0 <= j < len(toks) and toks[j].clause == toks[k].clause and toks[j].text in _COORD_GAP:
                j += step
            if 0 <= j < len(toks) and toks[j].clause == toks[k].clause and j != k and self.live(j):
                m = keyword_modality(toks[j].text, anchors_only=True)
                if m:
                    found.add(m)
        return frozenset(m for m in found if m)


    def _antecedent(self, clause: int) -> str | None:
        """"A face is visible, but *it* is not happy": a clause whose subject is a pronoun speaks of
        the last modality named in the clause before it."""
        toks = self.sent.tokens
        own = self.clause_tokens(clause)
        if not own or clause == 0:
            return None
        first = own[0] + (1 if toks[own[0]].text in CLAUSE_BREAK else 0)
        if first >= len(toks) or toks[first].text not in _PRONOUNS:
            return None
        for j in reversed(self.clause_tokens(clause - 1)):
            m = keyword_modality(toks[j].text, anchors_only=True)
            if m:
                return m
        return None


_PRONOUNS = frozenset({"it", "its", "it's", "this", "that"})


def keyword_modality(tok: str, anchors_only: bool = False) -> str | None:
    """The modality a word names. A facial action ("smiling") is a claim about the face but not
    an anchor for other emotion words: in "masking irritation with a smile" the irritation is not
    said of the face."""
    if tok in FACE_KEYS or (tok in FACE_ACTIONS and not anchors_only):
        return "face"
    if tok in VOICE_KEYS:
        return "voice"
    if tok in WORDS_KEYS:
        return "words"
    return None


def _marker(sent: Sentence) -> tuple[int, str | None, bool]:
    """(tokens the opener spans, its topic, whether there was one)."""
    words = [t.text for t in sent.tokens[:4]]
    for key, topic in MARKERS.items():
        if tuple(words[:len(key)]) == key:
            end = len(key)
            if topic is None:  # "Based on these clues," names no modality, but the clues it names are not claims
                return 0, None, True
            if end < len(sent.tokens) and sent.tokens[end].text == ",":
                end += 1
            return end, topic, True
    return 0, None, False


def build(sentence: str, view: CueView, topic: str | None, topic_given: bool) -> tuple[Ctx, bool, str | None]:
    """The sentence's context. Returns (ctx, whether it opened a section, that section's topic)."""
    sent = parse(sentence)
    end, marker_topic, opened = _marker(sent)
    if opened and not topic_given:
        topic = marker_topic
    ctx = Ctx(sent=sent, view=view, topic=topic, marker_end=end)
    ctx.claims = _claims(ctx)
    return ctx, opened, marker_topic


def _claims(ctx: Ctx) -> list[EmotionClaim]:
    sent = ctx.sent
    out: list[EmotionClaim] = []
    taken: set[int] = set()
    for m in extractor().extract(sent.masked()).mentions:
        first = sent.index_at(m.start)
        last = sent.index_at(max(m.start, m.end - 1))
        if first is None or last is None or not ctx.live(first):
            continue
        label = "neutral" if m.neutral else label_of(m.word)
        labels = frozenset({label}) if label else frozenset()
        action = FACE_ACTIONS.get(sent.tokens[first].text)
        if action:
            labels = labels | action
        out.append(EmotionClaim(first, last, m.word, labels, bool(action),
                                frozenset({"face"}) if action else ctx.modality_of(first), m.negated, m.intensity))
        taken.update(range(first, last + 1))
    for k, tok in enumerate(sent.tokens):
        if k in taken or tok.text not in FACE_ACTIONS or not ctx.live(k):
            continue
        out.append(EmotionClaim(k, k, tok.text, FACE_ACTIONS[tok.text], True, frozenset({"face"}),
                                ctx.negated_before(k)))
    out.sort(key=lambda c: c.first)
    return out
