"""Check 4: people, places, groups, events and things that are in neither the words nor the cues.

The cues measure a face, a voice and the words; an explanation that brings in "a non-profit
organization", "a comedian" or "a lilac-hawk accent" is inventing. A noun is flagged when

* its most frequent WordNet sense (WordNet 3.0, read once through ``scoring.wordnet``) lies in
  a lexicographer file of concrete world content (``FLAGGED``: noun.person, noun.location,
  noun.event, noun.group, noun.animal, noun.plant, noun.food, noun.artifact, noun.object), and
  WordNet counts it more often as a noun than as any other part of speech ("support" is
  mostly a verb, "change" mostly a verb); or
* it is capitalised in mid-sentence (a name WordNet may not know: "Maria", "Acme");
* or it is "someone else" (another person; "someone" alone may be the speaker);

and it is not grounded: not in the allow-list of what a grounded description legitimately
names (the face, the voice, the clip, the speaker...) and not in the subtitle or its
translation ("the party" is fine when the person talks about the party). A language name must be
the language the cues detected.
"""

from __future__ import annotations

import functools
import re

from ..languages import BY_NAME as LANGUAGES, name_of
from .context import Ctx, keyword_modality
from .fault import Fault

FLAGGED = frozenset({"noun.person", "noun.location", "noun.event", "noun.group", "noun.animal", "noun.plant",
                     "noun.food", "noun.artifact", "noun.object"})

# What a grounded description names without inventing anything.
ALLOWED = frozenset("""
person persons people speaker speakers man men woman women boy girl guy lady gentleman individual subject
character someone somebody anyone anybody everyone everybody nobody noone human adult listener listeners viewer viewers interlocutor
protagonist figure self male males female females
video videos clip clips frame frames screen picture pictures image images photo photograph still footage
camera microphone recording recordings scene shot shots file track soundtrack caption captions subtitle line
lines channel channels signal signals model system cue cues clue clues evidence measurement measure reading
readings label labels modality modalities score scores frequency
change changes shift shifts start beginning middle end ending moment moments time times half halves pause pauses silence noise
sound sounds speech reaction reactions response responses outburst laugh laughter sigh gasp cry sob shout yell
scream whisper breath breathing emphasis stress accent rhythm pitch tone voice volume tempo pace rate
head body hand hands mouth lips eye eyes brow brows eyebrows cheeks jaw forehead teeth nose chin shoulders
posture gesture gestures movement movements look looks glance stare smile grin frown scowl tears
corner corners furrow furrows wrinkle wrinkles pupil pupils eyelid eyelids nod shrug
conflict mismatch contrast agreement match combination mix blend hint trace touch note sign signs
part parts whole rest kind sort type way manner side level degree range place front content output
fluctuation fluctuations variation variations direction position arm arms
outcome outcomes result results consequence consequences achievement experience
audio text words word sentence sentences statement utterance phrase translation transcript language
situation context state mood emotion emotions feeling feelings expression expressions face faces
""".split())  # noqa: SIM905 - a word list reads best as text

FUNCTION_WORDS = frozenset("""
a an the and or but if then else when while of to in on at by for with from as into onto about over under
after before between through during without within upon across against along among around behind below
beneath beside beyond inside outside near off out up down i me my we us our you your he him his she her
it its they them their this that these those who whom whose which what where why how all any both each few
more most other some such no nor not only own same so than too very can will just should would could might
must may shall do does did done be is are was were been being am have has had having there here also
still even ever yet again once one ones two three first second last next much many less least well quite
rather almost however thus though although whereas since because until unless per via like unlike
""".split())  # noqa: SIM905
# "someone" may be the speaker ("someone who is upset"); "someone else" is another person: an
# invented one unless the words speak of one ("touched by someone else", said of a clip whose
# words could not be read).
_INDEFINITE_PEOPLE = frozenset({"someone", "somebody", "anyone", "anybody", "everyone", "everybody"})
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def check(ctx: Ctx) -> list[Fault]:
    sent, view = ctx.sent, ctx.view
    grounded = _grounded(tuple(view.quotable))
    claimed = {k for c in ctx.claims for k in range(c.first, c.last + 1)}
    first_word = next((k for k, t in enumerate(sent.tokens) if t.text[:1].isalpha()), -1)
    out: list[Fault] = []
    for k, tok in enumerate(sent.tokens):
        word = tok.text
        if not ctx.live(k) or k in claimed or k in ctx.covered or not word[:1].isalpha():
            continue
        if word in LANGUAGES:
            fault = _language(view.language, word, sent.span(k, k), bool(view.words.get("translation")))
            if fault:
                out.append(fault)
            continue
        if word == "else" and k > 0 and sent.tokens[k - 1].text in _INDEFINITE_PEOPLE and "else" not in grounded:
            out.append(Fault("entity", sent.span(k - 1, k), "brings in another person, who is in neither the "
                                                              "words nor the cues"))
            ctx.covered.add(k)
            continue
        if word in FUNCTION_WORDS or word in ALLOWED or keyword_modality(word) or word in grounded:
            continue
        cased = sent.cased[tok.start:tok.end]
        capital = (k != first_word and cased[:1].isupper() and cased != "I"
                   and sent.cased[max(0, tok.start - 2):tok.start].strip() not in (":", '"', "(", "'"))
        lexname = None
        for part in word.split("-"):
            if part not in ALLOWED and part not in grounded and part not in FUNCTION_WORDS:
                lexname = lexname or world_noun(part)
        if capital and base_noun(word) not in grounded:
            out.append(Fault("entity", cased, "a name that is in neither the words nor the cues"))
        elif lexname and base_noun(word) not in grounded:
            kind = lexname.split(".", 1)[1]
            article = "an" if kind[0] in "aeiou" else "a"
            out.append(Fault("entity", cased, f"introduces {article} {kind} ('{word}', WordNet {lexname}) that is in "
                                              "neither the words nor the cues"))
        else:
            continue
        ctx.covered.add(k)
    return out


def _language(detected: str | None, word: str, span: str, translated: bool) -> Fault | None:
    code = LANGUAGES[word]
    if code == "en" and translated:  # "(in English: ...)", "a rough English translation": the cues carry one
        return None
    if detected is None:
        return Fault("entity", span, "names a language, but the cues detected none")
    if detected.split("-")[0] != code:
        return Fault("contradiction", span, f"names {word.capitalize()}, but the speech was detected as "
                                            f"{name_of(detected)} ({detected})")
    return None


@functools.lru_cache(maxsize=64)
def _grounded(texts: tuple[str, ...]) -> frozenset[str]:
    """Words of the subtitle and translation, with their noun base forms."""
    out: set[str] = set()
    for text in texts:
        for w in _WORD.findall(text.lower()):
            out.add(w)
            out.update(w.split("-"))
            base = base_noun(w)
            if base:
                out.add(base)
    return frozenset(out)


@functools.lru_cache(maxsize=65536)
def base_noun(word: str) -> str:
    from ..scoring.wordnet import load_wordnet

    return load_wordnet().morphy(word, "n") or word


@functools.lru_cache(maxsize=65536)
def world_noun(word: str) -> str | None:
    """The WordNet lexicographer file of ``word``'s first noun sense when it is in ``FLAGGED`` and
    the word is mostly a noun; otherwise None."""
    if len(word) < 3 or word in FUNCTION_WORDS or word in ALLOWED:
        return None
    from ..scoring.wordnet import load_wordnet

    wn = load_wordnet()
    nouns = wn.synsets(word, "n")
    if not nouns or nouns[0].lexname() not in FLAGGED:
        return None
    base = base_noun(word)
    names = {word, base}
    noun_count = sum(lem.count() for s in nouns for lem in s.lemmas() if lem.name().lower() in names)
    other = 0
    for pos in ("v", "a", "r"):
        for s in wn.synsets(word, pos):
            other += sum(lem.count() for lem in s.lemmas() if lem.name().lower() in names
                         or lem.name().lower() == (wn.morphy(word, pos) or word))
    if other > noun_count or (noun_count == 0 and other == 0 and _mostly_other(wn, word)):
        return None
    if base in ALLOWED:
        return None
    return nouns[0].lexname()


def _mostly_other(wn, word: str) -> bool:
    """With no usage counts, a word with more non-noun senses than noun senses is not a noun here."""
    n = len(wn.synsets(word, "n"))
    return sum(len(wn.synsets(word, p)) for p in ("v", "a", "r")) > n
