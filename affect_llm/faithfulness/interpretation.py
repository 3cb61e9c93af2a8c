"""The default model's own continuations may interpret the facts, never add to them.

The checker's four counts (``faithfulness``) judge any system's explanation: they flag what
contradicts the cues or brings in a person, place, quote or unsupported emotion. A small LLM
finishing "These words suggest ..." invents in subtler ways that no such count can name: "that
the speaker ... has a tendency to lie", "the text does not provide enough information to
determine the exact emotions". For the default model's own sentences the rule is stricter,
because the facts are already in the rendered part of the sentence (``observations``) and the
continuation's only job is to say what they suggest about feelings:

a continuation may use only function words, emotion words (found by the scorer's emotion-word
reader, whose own check then judges them), words of an
*interpretive* vocabulary (``INTERPRETIVE``: suggest, seem, feel, likely, somewhat ...), the
nouns a grounded description names (``entities.ALLOWED``), modality words (``vocab``), and
words already in the rendered facts, the subtitle or its translation.

Anything else is *new content*, and the sentence is regenerated once, then rendered from the
cues alone. This is a generation policy, not one of the checker's counts: applied to other
systems' richer prose it would flag legitimate paraphrase, so ``eval faithfulness`` does not
use it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

# Words of arousal: what the voice shows (evidence.fusion, rule 5). An acoustic continuation that
# speaks of arousal says something about feelings without naming an emotion.
AROUSAL_WORDS = frozenset({"arousal", "aroused", "energy", "high-energy", "low-energy", "activation",
                           "intensity", "agitation", "excitement"})
INTERPRETIVE = AROUSAL_WORDS | frozenset("""
suggest indicate show mean imply reflect convey express reveal point hint signal betray
feel seem appear look sound experience display exhibit carry tell say speak talk describe
become remain stay get go make keep find
likely possibly probably perhaps maybe somewhat slightly very quite generally mostly rather
fairly strongly mildly deeply clearly truly really overall general strong mild deep clear slight
certain some sense degree bit little lot kind high low moderate heightened intense
emotional emotionally affective positive negative pleasant unpleasant attitude reaction response
calmness overall possible probable
whether either neither same different similar mind enjoy
""".split())  # noqa: SIM905 - a word list reads best as text
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


def new_content(continuation: str, cues: dict[str, Any], facts: str = "") -> list[str]:
    """Words of ``continuation`` that are neither interpretation nor grounded (see the module
    docstring), in order, once each. ``facts`` is the rendered part the continuation follows."""
    from .context import keyword_modality
    from .cueview import CueView, extractor
    from .entities import _STOP, ALLOWED

    text = _QUOTED.sub(" ", continuation.lower())  # quotes are the quote check's business
    grounded = _words(facts.lower()) | _words(" ".join(CueView(cues).quotable).lower())
    emotional = {w for m in extractor().extract(text).mentions for w in _WORD.findall(m.word.lower())}
    out: list[str] = []
    for word in _WORD.findall(text):
        if word in out or word in _STOP or word in ALLOWED or word in grounded or keyword_modality(word):
            continue
        bases = _bases(word)
        if bases & (INTERPRETIVE | ALLOWED | grounded | emotional) or any(_on_wheel(b) for b in bases):
            continue
        out.append(word)
    return out


def _words(text: str) -> frozenset[str]:
    out: set[str] = set()
    for w in _WORD.findall(text):
        out.add(w)
        out.update(_bases(w))
    return frozenset(out)


@functools.lru_cache(maxsize=65536)
def _bases(word: str) -> frozenset[str]:
    """The word and its WordNet base forms as any part of speech ("suggests" -> "suggest")."""
    from ..scoring.wordnet import load_wordnet

    wn = load_wordnet()
    out = {word}
    for pos in ("n", "v", "a", "r"):
        base = wn.morphy(word, pos)
        if base:
            out.add(base)
    if word.endswith("ly") and len(word) > 4:  # "happily" -> "happy", "sadly" -> "sad"
        out.update({word[:-2], word[:-3] + "y" if word.endswith("ily") else word[:-2]})
    return frozenset(out)


@functools.lru_cache(maxsize=65536)
def _on_wheel(word: str) -> bool:
    """Whether the word, or a form the scorer's tables give it ("excitement" -> "excited"), is a
    word of the emotion wheels. Not ``emotions.label_of``: its synonym step reaches far
    ("tendency" and "information" land on a wheel), which is right for scoring and too generous
    here."""
    from ..scoring.data import load_tables

    tables = load_tables()
    return word in tables.wheel_words or any(f in tables.wheel_words for f in tables.forms.get(word, ()))
