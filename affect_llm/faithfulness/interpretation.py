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
nouns a grounded description names (``entities.ALLOWED``) but those of a world beyond the person
(``WORLD``: people, a scene, a situation), modality words (``vocab``), and
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
# Nouns the checker lets any explanation use (``entities.ALLOWED``: a grounded description may say
# "the people in the scene") that, in the default model's own continuation, bring in a world beyond
# the person and what was measured: "which suggests that the person is being surprised by the other
# people in the scene", "... by a surprising scene", of one Javanese speaker before a plain wall
# (3 of 240 real clips). There they are new content unless the facts or the words hold them.
WORLD = frozenset("""
people persons someone somebody anyone anybody everyone everybody nobody noone listener listeners viewer
viewers interlocutor character protagonist scene situation context outcome outcomes result results
consequence consequences achievement camera
""".split())  # noqa: SIM905 - a word list reads best as text
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


def new_content(continuation: str, cues: dict[str, Any], facts: str = "") -> list[str]:
    """Words of ``continuation`` that are neither interpretation nor grounded (see the module
    docstring), in order, once each. ``facts`` is the rendered part the continuation follows."""
    from .context import keyword_modality
    from .cueview import CueView, extractor
    from .entities import ALLOWED, FUNCTION_WORDS

    text = _uncontracted(_QUOTED.sub(" ", continuation.lower()))  # quotes are the quote check's business
    grounded = _words(facts.lower()) | _words(" ".join(CueView(cues).quotable).lower())
    emotional = {w for m in extractor().extract(text).mentions for w in _WORD.findall(m.word.lower())}
    out: list[str] = []
    for word in _WORD.findall(text):
        if word in out or word in FUNCTION_WORDS or word in grounded or keyword_modality(word):
            continue
        bases = _bases(word)
        if bases & grounded:
            continue
        if bases & WORLD:
            out.append(word)
            continue
        if bases & (INTERPRETIVE | ALLOWED | emotional) or any(_on_wheel(b) for b in bases):
            continue
        out.append(word)
    return out


def repeated_phrase(continuation: str, n: int = 3) -> str | None:
    """The first run of ``n`` words that ``continuation`` says twice outside its quotes, unless
    all are function words ("that they are ... that they are" is plain English), or None. The
    small LLM loops on grounded words too ("the speaker is not only neutral but also has four
    sections and has four sections", of a subtitle about a report's four sections), which no
    other rule here catches: every word is the subtitle's."""
    from .entities import FUNCTION_WORDS

    words = _WORD.findall(_QUOTED.sub(" ", continuation.lower()))
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - n + 1):
        gram = tuple(words[i:i + n])
        if gram in seen and not all(w in FUNCTION_WORDS for w in gram):
            return " ".join(gram)
        seen.add(gram)
    return None


# A continuation says what one channel's reading suggests: one idea. The small LLM's contrasts
# inside it are where its sense gives out: "the speaker is not only low but also has a moderate
# level of arousal", "the person is not just someone with no clear emotion, but someone who has many
# emotions", "mostly emotional, but it also has a neutral expression" (real Javanese clips; of the 7
# contrasts in their 210 generated face and voice continuations, 6 read like these).
CONTRAST = re.compile(r"\bnot\s+(?:only|just|merely|simply)\b|\bbut\b")
# Nouns of arousal that, with no level beside them ("a state of arousal", "has emotional arousal"),
# claim a heightened one.
AROUSED = frozenset({"arousal", "aroused", "agitation", "excitement", "activation"})
# Arousal levels as words; an acoustic continuation that names two ("low ... moderate") contradicts itself.
LEVELS = {"low": "low", "lower": "low", "high": "high", "higher": "high", "heightened": "high", "elevated": "high",
          "moderate": "moderate", "mild": "moderate", "medium": "moderate"}


def muddled(continuation: str, section: str) -> list[str]:
    """What makes a continuation say two things at once (``CONTRAST``, and for the acoustic section
    two arousal levels beside an arousal word), as short fault texts; [] when it says one."""
    text = _QUOTED.sub(" ", continuation.lower())
    contrast = CONTRAST.search(text)
    out = [f"{contrast.group(0)} (a contrast inside one reading)"] if contrast else []
    words = _WORD.findall(text)
    if section == "acoustic" and AROUSAL_WORDS & set(words):
        levels = dict.fromkeys(LEVELS[w] for w in words if w in LEVELS)
        if len(levels) > 1:
            out.append(f"{' and '.join(levels)} (two arousal levels)")
    return out


# The small LLM's own idiom, in no reader's English: "the speaker is expressing their emotions of
# mild arousal", "... their emotions of relaxation and calmness", "the person is in their emotions
# of sadness" (12 of 190 generated continuations over the real Javanese video).
GARBLED = re.compile(r"\b(?:their|his|her|its|the) emotions? of\b")


def garbled(continuation: str) -> list[str]:
    """Phrases of ``GARBLED`` in a continuation, as short fault texts; [] when there are none."""
    found = GARBLED.search(_QUOTED.sub(" ", continuation.lower()))
    return [f"{found.group(0)} (not English)"] if found else []


_CONTRACTION = re.compile(r"(?<=[a-z])['\u2019](re|ve|ll|m|d|s|t)\b")
_SPELLED_OUT = {"re": " are", "ve": " have", "ll": " will", "m": " am", "d": " would", "s": ""}


def _uncontracted(text: str) -> str:
    """"they're" -> "they are", "don't" -> "do not": a contraction's tail ("re") is no new word."""
    text = re.sub(r"\bwon['\u2019]t\b", "will not", re.sub(r"\bcan['\u2019]t\b", "can not", text))
    text = re.sub(r"(?<=[a-z])n['\u2019]t\b", " not", text)
    return _CONTRACTION.sub(lambda m: _SPELLED_OUT.get(m.group(1), ""), text)


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


# A section's continuation interprets that section's channel: the label the channel expresses,
# or one it gives at least this probability (the support check's own bar: uniform is 1/7).
CHANNEL_SUPPORT = 0.2
_SECTION_CHANNEL = {"visual": "face", "acoustic": "voice", "verbal": "words"}
# States of low arousal that the scorer's wheels file under a pleasant family ("relaxed" under
# joy): of a voice that is not aroused they describe the arousal, not a valence it cannot read.
CALM_WORDS = frozenset({"calm", "relaxed", "serene", "peaceful", "tranquil", "composed"})
# ... and only of a voice no more aroused than ordinary speech: the voice's arousal (``evidence.
# voice``, -1..1) is 0 where every measure sits at its norm for ordinary speech, and a voice read
# "moderate" spans -0.3..0.3. "Relaxation and calmness" was written of Javanese voices at +0.29,
# a hair under "high" (15 of 132 acoustic continuations over 240 real clips called a moderate
# voice calm, 6 of them above 0).
CALM_MAX_AROUSAL = 0.0
# Phrases that say the speaker shows little emotion: a calm claim in other words. "the voice is
# loud, ..., which suggests that the speaker is not too emotional" (a Spanish espeak clip read as
# moderate) passed, since no single word of it is a calm word or an arousal level.
CALM_PHRASE = re.compile(r"\b(?:not|n't|hardly|barely)\s+(?:(?:too|very|overly|particularly|that|so|really|"
                         r"especially|at all)\s+)?emotional\b|\bunemotional\b|\bemotionless\b")


def off_reading(continuation: str, section: str, cues: dict[str, Any]) -> list[str]:
    """Emotion words of a section's ``continuation`` that its own channel does not show, and any
    emotion the continuation both denies and asserts ("not happy or happy but is happy").

    Why stricter than the support check (any channel may back a word there): "the face looks
    mostly neutral ..., which suggests that the person is likely happy" is backed by the words,
    and reads as a contradiction. The face and the words may name what they express or give
    ``CHANNEL_SUPPORT``; the voice shows arousal only (``evidence.fusion``, rule 5), so it may
    name a label whose arousal its reading fits, and calm when it is not aroused ("joy and
    happiness" of a voice of moderate arousal is a claim the voice cannot make), and calm not of a
    voice measured as loud ("the voice is loud, ..., which suggests ... relaxation and calmness"
    of a German clip read as moderate) nor of one livelier than ordinary speech
    (``CALM_MAX_AROUSAL``). A face or words
    that clearly show no label (``fusion.clear_label``) suggest no emotion at all, and a face or
    words that express one are not read as another alone: "the face looks mostly sad ..., which
    suggests that it has a neutral expression" names a label the face gives 0.22, and passes over
    the one the sentence has just stated."""
    from ..evidence.fusion import fits, pair_shown
    from .cueview import CueView

    channel = _SECTION_CHANNEL.get(section)
    if channel is None:
        return []
    fusion = cues.get("fusion") or {}
    text = _QUOTED.sub(lambda m: " " * len(m.group(0)), continuation.lower())
    mentions = _labelled_mentions(text)
    out = _denied_and_asserted(mentions)
    evidence = (cues.get("evidence") or {}).get(channel)
    if not evidence or not fusion:  # a record without the decision: nothing to hold the labels to
        return list(dict.fromkeys(out))
    reading = (fusion.get("aroused") or {}).get("voice") if channel == "voice" else None
    if channel == "voice":
        allowed = {lab for _, lab in mentions if lab and reading and fits(reading, lab)}
        if reading != "high":
            allowed.add("neutral")
    elif _shows_a_label(evidence):
        allowed = {lab for lab, p in (evidence.get("scores") or {}).items() if p >= CHANNEL_SUPPORT}
        expressed = (fusion.get("expressed") or {}).get(channel)
        if expressed:
            allowed.add(expressed)
    else:  # a channel that clearly shows nothing ("angry 0.23, happy 0.22") suggests nothing
        allowed = {"neutral"}

    loud = CueView(cues).loudness == "loud"  # the checker's one reading of how loud the voice was called
    level = (evidence.get("detail") or {}).get("arousal")
    livelier = isinstance(level, (int, float)) and level > CALM_MAX_AROUSAL

    def unshown(word: str, lab: str) -> bool:
        if channel == "voice" and word in CALM_WORDS:  # calm words describe a voice that is not aroused...
            return reading == "high" or loud or livelier  # ...nor just described as loud, nor livelier than usual
        return lab not in allowed

    out = [m.word for m, lab in mentions if lab and not m.negated and unshown(m.word, lab)] + out
    expressed = (fusion.get("expressed") or {}).get(channel) if channel != "voice" else None
    asserted = [(m.word, lab) for m, lab in mentions if lab and not m.negated]
    shown = set(pair_shown(evidence.get("scores") or {}, expressed) or {expressed})  # rule 4b: either of two
    if expressed and asserted and not shown & {lab for _, lab in asserted}:
        # "the face looks mostly sad ..., which suggests that it has a neutral expression": each
        # word is backed (the face read neutral 0.22, sad 0.34), the reading passed over
        out += [f"{word} (the {channel} reads mostly {expressed})" for word, _ in asserted if word not in out]
    if channel == "voice" and (reading == "high" or loud or livelier):
        out += [f"{m.group(0)} (calm)" for m in CALM_PHRASE.finditer(text)]
    if channel == "voice":  # "low arousal" of a voice read as moderate: not what it shows
        level = reading or "moderate"
        claims = arousal_claims(text)
        out += [f"{word} (arousal; the voice reads {level})" for word, what in claims if what != level]
        words = set(_WORD.findall(text))
        if level != "high" and not claims and not words & set(LEVELS) and words & AROUSED:
            # "a state of emotional arousal", of a sad German voice read moderate: arousal with no level
            # named is a claim of heightened arousal
            out += [f"{word} (arousal; the voice reads {level})" for word in sorted(words & AROUSED)]
    return list(dict.fromkeys(out))


def denies_the_decision(text: str, decided: list[str]) -> list[str]:
    """Emotion words of ``text`` that deny a decided label ("No, she is not happy." of a clip
    decided happy) or that it both denies and asserts ("She is not happy, but she is happy."), as
    short fault texts. For a reply in conversation: it may not contradict the answer it follows."""
    mentions = [(m, lab) for m, lab in _labelled_mentions(_QUOTED.sub(" ", text.lower())) if lab]
    out = [f"{m.word} (denied, but decided)" for m, lab in mentions if m.negated and lab in decided]
    return list(dict.fromkeys(out + _denied_and_asserted(mentions)))


def _labelled_mentions(text: str) -> list[tuple[Any, str | None]]:
    """The emotion mentions of a lower-cased text, each with its label (None: not on the label set)."""
    from ..emotions import label_of
    from .cueview import extractor

    return [(m, "neutral" if m.neutral else label_of(m.word)) for m in extractor().extract(text).mentions]


def _denied_and_asserted(mentions: list[tuple[Any, str | None]]) -> list[str]:
    """Fault texts for each asserted mention whose label the same text also denies ("not happy or happy")."""
    denied = {lab for m, lab in mentions if m.negated}
    return [f"{m.word} (denied and asserted)" for m, lab in mentions if lab in denied and not m.negated]


def _shows_a_label(evidence: dict[str, Any]) -> bool:
    """Whether a label channel's scores clearly favour one label (``fusion.clear_label``).

    Why: "These words suggest that the speaker is angry" of words read angry 0.23, happy 0.22
    (a flat German sentence, translated) names an emotion the channel does not show, beside an
    inference that says only the voice hints at one."""
    from ..evidence.fusion import clear_label_of, unpleasant_pair

    scores = evidence.get("scores") or {}
    return clear_label_of(scores) is not None or unpleasant_pair(scores) is not None  # rule 4b: one of two


def arousal_claims(text: str) -> list[tuple[str, str]]:
    """Each arousal level a text claims, as (word, "high" | "low"): "low arousal", "heightened
    energy", "high-energy" (``vocab.quality_of``, the checker's reading of voice qualities).

    Why the continuation must match the reading exactly, where the checker allows the border:
    after "the voice is loud, with low, steady pitch", "..., which suggests ... low arousal"
    of a voice read as moderate reads as a contradiction, and it is a claim the voice's
    reading does not make."""
    from .vocab import near_words, quality_of

    tokens = list(enumerate(_WORD.findall(text.lower())))
    out = []
    for k, word in tokens:
        q = quality_of(word, near_words(tokens, k, _NEAR))
        if q is not None and q[0] == "arousal":
            out.append((word, q[1]))
    return out


_NEAR = 4  # tokens between a level word and its anchor, as the checker's window
