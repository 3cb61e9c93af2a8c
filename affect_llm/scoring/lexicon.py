"""The free-text emotion lexicon, and token -> canonical emotion word (WordNet morphology).

A token counts as an emotion word when it, its WordNet base form, or the adjective it derives
from is listed in ``data/lexicon.tsv``. The canonical form is an adjective where the word
family has one in the lexicon ("angrily" -> angry, "happiness" -> happy, "anxieties" ->
anxious), otherwise the listed noun ("fear", "surprise"). Results are memoised per token and
persisted in a small on-disk cache, so a warm scorer never loads WordNet.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from . import SCORER_VERSION
from .cache import JsonCache
from .data import LEXICON_FILE, data_digest, load_tables, read_data

log = logging.getLogger(__name__)

# Suffixes that turn an adjective into a noun; only tokens ending in one of them are sent
# through the word-form table's families, which would otherwise link "sense" to "sensitive".
NOMINAL_SUFFIXES = ("ness", "ment", "ity", "ety", "ion", "ance", "ence", "ancy", "ency", "dom", "ure", "ism")
# A base word whose family member adds one of these is an antonym, not a form:
# the published table lists "fear" as a form of "fearless".
NEGATIVE_PREFIXES = ("un", "dis", "in", "im", "ir", "il", "non", "mis")
NEGATIVE_SUFFIXES = ("less", "lessly", "lessness")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def normalize(text: str) -> str:
    """Lower-case, straight apostrophes, single spaces."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def phrase_key(phrase: str) -> tuple[str, ...]:
    """Tokens of a lexicon phrase as matched in text ("don't" and "doesn't" both -> "n't")."""
    toks = re.findall(r"[a-z]+(?:[-'][a-z]+)*", normalize(phrase))
    return tuple("n't" if t.endswith("n't") else t for t in toks)


def antonymic(word: str, other: str) -> bool:
    """True when one word is the other's root with a negating affix added: happy/unhappy,
    satisfied/dissatisfied, fear/fearless, emotionally/emotionless."""
    for a, b in ((word, other), (other, word)):
        for prefix in NEGATIVE_PREFIXES:
            if b.startswith(prefix) and not a.startswith(prefix) and _same_root(a, b[len(prefix):]):
                return True
        for suffix in NEGATIVE_SUFFIXES:
            if b.endswith(suffix) and "less" not in a and _same_root(a, b[: -len(suffix)]):
                return True
    return False


def _same_root(word: str, root: str) -> bool:
    if len(root) < 3:
        return False
    n = max(3, min(len(root), len(word)) - 2)
    return word[:n] == root[:n]


@dataclass(frozen=True)
class LexEntry:
    """One lexicon line: the canonical word and how it may be used."""

    word: str
    context: str | None = None  # None, "ctx" or "feel" (see the lexicon header)
    neutral: bool = False
    alias: str | None = None


@dataclass(frozen=True)
class Lexicon:
    entries: dict[str, LexEntry]  # normalised word -> entry (canonical spelling in entry.word)
    phrases: dict[tuple[str, ...], str]  # token tuple of multi-word entries -> normalised word
    max_phrase: int

    def __contains__(self, word: str) -> bool:
        return word in self.entries

    def entry(self, word: str) -> LexEntry | None:
        return self.entries.get(word)


def parse_lexicon(text: str) -> Lexicon:
    entries: dict[str, LexEntry] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        word = fields[0]
        context, neutral, alias = None, False, None
        for f in fields[1:]:
            if f in ("ctx", "feel"):
                context = f
            elif f == "neutral":
                neutral = True
            elif f.startswith("="):
                alias = f[1:].strip()
        key = normalize(word)
        entries.setdefault(key, LexEntry(word, context, neutral, alias))
        toks = phrase_key(word)
        if len(toks) > 1:
            phrases.setdefault(toks, key)
    return Lexicon(entries, phrases, max((len(k) for k in phrases), default=1))


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    return parse_lexicon(read_data(LEXICON_FILE))


_MISSING = object()


class Canonicalizer:
    """Token -> canonical lexicon word (or None), memoised in memory and on disk."""

    def __init__(self, lexicon: Lexicon | None = None, persist: bool = True) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.tables = load_tables()
        self._cache = JsonCache("lemmas", f"{SCORER_VERSION}-{data_digest()}") if persist else None
        self._memo: dict[str, str | None] = dict(self._cache.data) if self._cache else {}

    def save(self) -> None:
        if self._cache is not None:
            self._cache.save()

    def __call__(self, token: str) -> str | None:
        result = self._memo.get(token, _MISSING)
        if result is not _MISSING:
            return result
        result = self._resolve(token)
        self._memo[token] = result
        if self._cache is not None:
            self._cache[token] = result
        return result

    def light_lemma(self, token: str) -> str:
        """Verb/noun base form used to match phrases ("letting down" ~ "let down")."""
        key = "~" + token
        known = self._memo.get(key, _MISSING)
        if known is not _MISSING:
            return known or token
        from .wordnet import morphy

        lemma = None
        if token.isalpha() and len(token) > 3:
            lemma = morphy(token, "v") or morphy(token, "n")
        self._memo[key] = lemma if lemma and lemma != token else None
        if self._cache is not None:
            self._cache[key] = self._memo[key]
        return lemma or token

    # --- resolution -------------------------------------------------------------------
    def _resolve(self, token: str) -> str | None:
        lex = self.lexicon
        if len(token) < 2 or not re.fullmatch(r"[a-z]+(?:[-'][a-z]+)*", token):
            return None
        if token in lex:
            return self.adjectivize(token)
        from .wordnet import morphy, pertainym_adjectives

        for pos in ("a", "n", "v"):
            lemma = morphy(token, pos)
            if lemma and lemma in lex:
                return self.adjectivize(lemma)
        if token.endswith("ly"):
            for adj in pertainym_adjectives(token):
                if adj in lex:
                    return self.adjectivize(adj)
            base = token[:-2]  # "happily" -> "happi" -> via the table's word families
            for cand in (base, base[:-1] + "y" if base.endswith("i") else base, base + "e"):
                if cand in lex:
                    return self.adjectivize(cand)
            family = self._family_adjective(token)
            if family:
                return family
        noun = morphy(token, "n") or token
        if noun.endswith(NOMINAL_SUFFIXES):
            family = self._family_adjective(noun)
            if family:
                return family
        return None

    def adjectivize(self, word: str) -> str:
        """A listed noun -> the listed adjective of its family, when there is one."""
        from .wordnet import derived_adjectives, is_adjective

        entry = self.lexicon.entry(word)
        # Wheel words stay as they are ("joy", "anger"): they are the anchors of both modes.
        if entry is None or " " in word or word in self.tables.wheel_words or is_adjective(word):
            return entry.word if entry else word
        cands = [a for a in derived_adjectives(word) if a in self.lexicon and not antonymic(word, a)]
        if not cands and word.endswith(NOMINAL_SUFFIXES):
            fam = self._family_adjective(word)
            cands = [fam] if fam else []
        if not cands:
            return entry.word
        best = min(cands, key=lambda a: (abs(len(a) - len(word)), a))
        return self.lexicon.entries[best].word if best in self.lexicon.entries else best

    def _family_adjective(self, word: str) -> str | None:
        """An adjective of the lexicon sharing ``word``'s family in the published form table."""
        from .wordnet import is_adjective

        stem = word[: max(4, min(len(word) - 3, 6))]
        cands = []
        for base in self.tables.forms.get(word, ()):
            if base in self.lexicon and base != word and base.startswith(stem[:4]) \
                    and not antonymic(word, base) and is_adjective(base):
                cands.append(base)
        if not cands:
            return None
        best = min(cands, key=lambda a: (abs(len(a) - len(word)), a))
        return self.lexicon.entries[best].word
