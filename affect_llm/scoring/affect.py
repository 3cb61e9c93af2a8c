"""The ``affect`` mode: the published wheels and levels, without the published quirks.

Same spaces as ``ovmer`` (M1, M2, wheels 1-5 at level 1 and 2), same set-based P/R/F, but a
word reaches its class by the *nearest* evidence instead of "alphabetically first":

1. rings of evidence around the word, nearest first: (0) the word itself, if it is a wheel
   word; (1) the wheel words the published synonym table lists for its base forms, after
   dropping form links that add a negating affix ("fear" is no form of "fearless");
   (2) WordNet neighbours (same synset, similar-to head, feeling hypernym) placed by the
   tables, and the wheel words that share a synonym with ring 0-1 words; (3) the same
   synonym-sharing step once more;
2. in each wheel, the first ring that reaches the wheel decides: its wheel words vote for
   the class(es) they sit in, a class name counting more than a leaf (x1.5 for level 1,
   x1 for level 2, x0.75 for level 3); level 2 is chosen inside the level-1 winner, so the
   two levels never disagree;
3. ties are broken by MiniLM cosine between the word and the class name, then by name;
4. a word no ring places in a wheel takes the class of its MiniLM nearest wheel word there,
   if the cosine is at least ``EMBED_THRESHOLD`` (0.60; 0.45 for words our lexicon or the
   form table already list as emotions) and the two do not have opposite valence (NRC
   lexicon), differ only by a negating affix ("dissatisfied"/"satisfied") or merely share
   a token ("down"/"let down");
5. wheels with no class for a basic emotion get one: "surprised" (wheel 5) and
   "disgusted" (wheels 3 and 5) are added with the level-2/3 words of wheel 1's class the
   wheel does not already hold; every wheel gets a "neutral" class for explicit neutrality.

Decisions depend only on the word and the packaged data, so they are cached on disk
(``cache_dir("scoring")``, keyed by scorer version, data digest and threshold) and scoring
is dictionary look-ups once the cache is warm.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable

import numpy as np

from . import SCORER_VERSION
from .cache import JsonCache
from .data import data_digest, load_tables
from .lexicon import antonymic, load_lexicon, normalize
from .ovmer import OvmerMapper
from .wheels import L1_VALENCE, NEUTRAL, WHEEL_NAMES, Wheel, published_wheels, space_names

log = logging.getLogger(__name__)

EMBED_THRESHOLD = 0.60  # MiniLM cosine needed to place a word nothing else places
# Lower bar for words already known to name an emotion (in the lexicon or the form table):
# they must land somewhere, and the valence/antonym guards still apply.
EMBED_THRESHOLD_KNOWN = 0.45
W_SELF, W_TABLE, W_WORDNET = 4.0, 1.0, 0.5  # weights inside a ring
DEPTH_WEIGHT = {1: 1.5, 2: 1.0, 3: 0.75}
DONOR_WHEEL = "wheel1"
BASIC_CLASSES = ("surprised", "disgusted")
_TIE = 1e-9


@functools.lru_cache(maxsize=1)
def affect_wheels() -> dict[str, Wheel]:
    """The published wheels plus the classes the affect mode adds (see the module docstring)."""
    base = published_wheels()
    ovmer = OvmerMapper()
    donor = base[DONOR_WHEEL]
    out = {}
    for name, wheel in base.items():
        extra: list[tuple[str, str, str]] = []
        for basic in BASIC_CLASSES:
            if ovmer.cluster(basic, name, 1) is not None:
                continue
            for l2, l3s in donor.tree[basic].items():
                if l2 in wheel.words:
                    continue
                new = [w for w in l3s if w not in wheel.words]
                extra.extend((basic, l2, l3) for l3 in (new or [l2]))
        extra.append((NEUTRAL, NEUTRAL, NEUTRAL))
        out[name] = wheel.with_rows(extra)
    return out


def _overlap(word: str, other: str) -> bool:
    """"down" and "let down" share a token, not a meaning: MiniLM rates them close anyway."""
    a, b = set(word.split()), set(other.split())
    return a != b and bool(a & b)


@functools.lru_cache(maxsize=1)
def nrc_valence() -> dict[str, int]:
    """Word -> +1/-1 from the NRC emotion lexicon (``nrclex`` wheel); 0 words are left out."""
    from ..assets import package_file

    path = package_file("nrclex", "data/nrc_en.json", pip_name="nrclex")
    out = {}
    for word, tags in json.loads(path.read_text(encoding="utf-8")).items():
        val = ("positive" in tags) - ("negative" in tags)
        if val:
            out[word] = val
    return out


class AffectMapper:
    """Word -> cluster in every scoring space, by weighted evidence (cached on disk)."""

    mode = "affect"

    def __init__(self, persist: bool = True) -> None:
        self.tables = load_tables()
        self.lexicon = load_lexicon()
        self.wheels = affect_wheels()
        self.spaces = space_names()
        self.wheel_words = sorted({w for wheel in self.wheels.values() for w in wheel.words})
        self._word_index = {w: i for i, w in enumerate(self.wheel_words)}
        key = f"{SCORER_VERSION}-{data_digest()}-{EMBED_THRESHOLD}-{EMBED_THRESHOLD_KNOWN}"
        self._key = key
        self._cache = JsonCache("affect", key) if persist else None
        self._memo: dict[str, tuple[str | None, ...]] = (
            {w: tuple(v) for w, v in self._cache.data.items()} if self._cache else {})
        self._wheel_emb: np.ndarray | None = None
        self._valence: dict[str, int] | None = None
        self._share: dict[str, set[str]] | None = None

    # --- public interface (shared with OvmerMapper) ----------------------------------------
    def clusters(self, word: str) -> tuple[str | None, ...]:
        hit = self._memo.get(word)
        if hit is None:
            self.prepare([word])
            hit = self._memo[word]
        return hit

    def prepare(self, words: Iterable[str]) -> None:
        """Decide every new word at once, so MiniLM runs one batch."""
        todo = [w for w in dict.fromkeys(words) if w and w not in self._memo]
        if not todo:
            return
        plain = [w for w in todo if self.is_neutral(w)]
        for w in plain:
            self._store(w, (NEUTRAL,) * len(self.spaces))
        todo = [w for w in todo if w not in self._memo]
        if todo:
            vectors = self._embed_words([self._alias(w) for w in todo])
            for w, vec in zip(todo, vectors):
                self._store(w, self._decide(w, vec))
        self.save()

    def label_words(self, labels: list[str] | str, extractor) -> list[str]:
        """An ``emotions`` list -> canonical words (lemmatised, hedges and negation read)."""
        if isinstance(labels, str):
            from .ovmer import published_split

            labels = published_split(labels)
        words: list[str] = []
        for label in labels:
            words.extend(extractor.label_words(str(label)))
        return list(dict.fromkeys(words))

    def save(self) -> None:
        if self._cache is not None:
            self._cache.save()

    # --- evidence ---------------------------------------------------------------------------
    def _alias(self, word: str) -> str:
        entry = self.lexicon.entry(normalize(word))
        return entry.alias if entry is not None and entry.alias else word

    def is_neutral(self, word: str) -> bool:
        entry = self.lexicon.entry(normalize(word))
        return word == NEUTRAL or bool(entry and entry.neutral)

    def _bases(self, word: str) -> list[str]:
        """Base words of ``word`` in the form table, minus antonym links (fear/fearless)."""
        return [b for b in self.tables.forms.get(word, ()) if b == word or not antonymic(word, b)]

    def _table_wheel_words(self, word: str) -> set[str]:
        out = {word} if word in self._word_index else set()
        for base in self._bases(word):
            out.update(self.tables.synonyms.get(base, ()))
        return out

    def _sharing(self, wheel_word: str) -> set[str]:
        """Wheel words that list a synonym in common with ``wheel_word`` (itself excluded)."""
        if self._share is None:
            listing: dict[str, set[str]] = {}
            for base, cs in self.tables.synonyms.items():
                for c in cs:
                    listing.setdefault(c, set()).add(base)
            self._share = {c: {d for b in bases for d in self.tables.synonyms.get(b, ())} - {c}
                           for c, bases in listing.items()}
        return self._share.get(wheel_word, set())

    def rings(self, word: str) -> list[dict[str, float]]:
        """Evidence rings around ``word``: wheel word -> weight, nearest ring first."""
        from .wordnet import neighbours

        w = self._alias(word)
        ring0 = {w: W_SELF} if w in self._word_index else {}
        ring1 = {c: W_TABLE for c in self._table_wheel_words(w) if c not in ring0}
        seen = set(ring0) | set(ring1)
        ring2: dict[str, float] = {}
        for other, weight in neighbours(w).items():
            for c in self._table_wheel_words(other):
                if c not in seen and not antonymic(w, c):
                    ring2[c] = max(ring2.get(c, 0.0), W_WORDNET * weight)
        for c in seen:
            for d in self._sharing(c):
                if d not in seen and not antonymic(w, d):
                    ring2[d] = ring2.get(d, 0.0) + W_TABLE
        seen |= set(ring2)
        ring3: dict[str, float] = {}
        for c in ring2:
            for d in self._sharing(c):
                if d not in seen and not antonymic(w, d):
                    ring3[d] = ring3.get(d, 0.0) + W_TABLE
        return [ring0, ring1, ring2, ring3]

    # --- decisions ----------------------------------------------------------------------
    def _store(self, word: str, clusters: tuple[str | None, ...]) -> None:
        self._memo[word] = clusters
        if self._cache is not None:
            self._cache[word] = list(clusters)

    @staticmethod
    def _votes(ev: dict[str, float], wheel: Wheel, level: int, within: str | None = None) -> dict[str, float]:
        """Class votes at ``level``; at level 2 only inside the level-1 class ``within``."""
        votes: dict[str, float] = {}
        for c, weight in ev.items():
            positions = wheel.positions(c)
            for p in positions:
                share = weight * DEPTH_WEIGHT[p.depth] / len(positions)
                if level == 1:
                    votes[p.level1] = votes.get(p.level1, 0.0) + share
                    continue
                if within is not None and p.level1 != within:
                    continue
                if p.depth > 1:
                    votes[p.level2] = votes.get(p.level2, 0.0) + share
                else:
                    kids = list(wheel.tree[p.level1])
                    for kid in kids:
                        votes[kid] = votes.get(kid, 0.0) + share / len(kids)
        return votes

    def _argmax(self, votes: dict[str, float], vec: np.ndarray) -> str:
        """Most voted class; ties by MiniLM cosine with the class name, then by name."""
        best = max(votes.values())
        tied = sorted(c for c, v in votes.items() if v >= best - _TIE)
        if len(tied) == 1:
            return tied[0]
        return max(tied, key=lambda c: (round(self._cos(vec, c), 6), [-ord(ch) for ch in c]))

    def _level2(self, rings: list[dict[str, float]], ev: dict[str, float], wheel: Wheel, level1: str,
                vec: np.ndarray) -> str | None:
        """Level-2 class inside ``level1``: the first ring with evidence *below* the level-1
        node decides; a word that only names the level-1 class falls back to its children,
        tie-broken by MiniLM (the published code takes the alphabetically first child)."""
        for ring in rings:
            below = {c: v for c, v in ring.items()
                     if any(p.level1 == level1 and p.depth > 1 for p in wheel.positions(c))}
            if below:
                return self._argmax(self._votes(below, wheel, 2, within=level1), vec)
        votes = self._votes(ev, wheel, 2, within=level1)
        return self._argmax(votes, vec) if votes else None

    def _nearest(self, word: str, vec: np.ndarray, allowed: Iterable[str]) -> str | None:
        """MiniLM nearest wheel word above the threshold, with the polarity guards."""
        emb = self.wheel_embeddings()
        allowed = [c for c in allowed if c in self._word_index]
        if not allowed:
            return None
        sims = emb[np.array([self._word_index[c] for c in allowed])] @ vec
        val = self._valence_of_text(word)
        known = normalize(word) in self.lexicon.entries or word in self.tables.forms
        threshold = EMBED_THRESHOLD_KNOWN if known else EMBED_THRESHOLD
        for j in np.argsort(-sims, kind="stable"):
            if sims[j] < threshold:
                return None
            cand = allowed[int(j)]
            if antonymic(word, cand) or val * self.wheel_word_valence(cand) < 0 or _overlap(word, cand):
                continue
            return cand
        return None

    def _decide(self, word: str, vec: np.ndarray) -> tuple[str | None, ...]:
        """The word's class in every space (None where nothing places it)."""
        target = self._alias(word)
        rings = self.rings(word)
        out: list[str | None] = [target]
        first = next((r for r in rings if r), None)
        out.append(self._argmax(first, vec) if first else self._nearest(target, vec, self.wheel_words))
        for name in WHEEL_NAMES:
            wheel = self.wheels[name]
            ev = next(({c: v for c, v in r.items() if c in wheel.words} for r in rings
                       if any(c in wheel.words for c in r)), None)
            if ev is None:
                near = self._nearest(target, vec, sorted(wheel.words))
                ev = {near: W_SELF} if near else None
            if ev is None:
                out.extend([None, None])
                continue
            level1 = self._argmax(self._votes(ev, wheel, 1), vec)
            out.extend([level1, self._level2(rings, ev, wheel, level1, vec)])
        return tuple(out)

    # --- embeddings -----------------------------------------------------------------------
    def wheel_embeddings(self) -> np.ndarray:
        """MiniLM vectors of every wheel word (cached on disk as .npy)."""
        if self._wheel_emb is None:
            from ..assets import cache_dir

            path = cache_dir("scoring") / f"wheel-emb-{self._key}.npy"
            emb = None
            if path.exists():
                try:
                    emb = np.load(path)
                except (OSError, ValueError):
                    emb = None
            if emb is None or emb.shape[0] != len(self.wheel_words):
                from .embed import get_encoder

                emb = get_encoder().encode(self.wheel_words)
                try:
                    tmp = path.with_suffix(".tmp.npy")
                    np.save(tmp, emb)
                    tmp.replace(path)
                except OSError as exc:
                    log.warning("cannot cache wheel embeddings in %s (%s)", path, exc)
            self._wheel_emb = emb
        return self._wheel_emb

    def _embed_words(self, words: list[str]) -> np.ndarray:
        from .embed import get_encoder

        return get_encoder().encode(words)

    def _cos(self, vec: np.ndarray, wheel_word: str) -> float:
        return float(self.wheel_embeddings()[self._word_index[wheel_word]] @ vec)

    # --- valence --------------------------------------------------------------------------
    def wheel_word_valence(self, word: str) -> int:
        if self._valence is None:
            val: dict[str, int] = {}
            for w in self.wheel_words:
                total = sum(L1_VALENCE.get(p.level1, 0) for wheel in self.wheels.values()
                            for p in wheel.positions(w))
                val[w] = (total > 0) - (total < 0)
            self._valence = val
        return self._valence.get(word, 0)

    def _valence_of_text(self, word: str) -> int:
        return nrc_valence().get(word, 0)
