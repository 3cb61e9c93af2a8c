"""The packaged data tables, loaded once per process.

``wheels.json``, ``synonyms.json`` and ``forms.json`` are the published OV-MER tables converted
by ``eval/convert_wheels.py`` (Apache-2.0, attribution in ``data/NOTICE.md``); ``lexicon.tsv``
is our hand-curated list of emotion words for free text. They ship inside the wheel, so they
are read with ``importlib.resources`` and never from the shared data folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

TABLE_FILES = ("wheels.json", "synonyms.json", "forms.json")
LEXICON_FILE = "lexicon.tsv"


def read_data(name: str) -> str:
    """Text of ``affect_llm/scoring/data/<name>``."""
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Tables:
    """The three published tables.

    ``forms`` is M1 (surface form -> base words), ``synonyms`` is M2 (base word -> wheel
    words listing it as a synonym, itself included) and ``wheels`` holds each wheel's
    (level1, level2, level3) rows in table order (the order matters: see ``wheels.py``).
    """

    wheels: dict[str, tuple[tuple[str, str, str], ...]]
    synonyms: dict[str, tuple[str, ...]]
    forms: dict[str, tuple[str, ...]]
    digest: str = field(compare=False)

    @cached_property
    def wheel_words(self) -> frozenset[str]:
        return frozenset(w for rows in self.wheels.values() for row in rows for w in row)

    @cached_property
    def base_words(self) -> frozenset[str]:
        return frozenset(self.synonyms)

    def sizes(self) -> dict[str, int]:
        return {"wheel_words": len(self.wheel_words), "base_words": len(self.synonyms),
                "forms": len(self.forms)}


@functools.lru_cache(maxsize=1)
def load_tables() -> Tables:
    texts = {name: read_data(name) for name in TABLE_FILES}
    digest = hashlib.sha256("".join(texts[n] for n in TABLE_FILES).encode()).hexdigest()[:16]
    wheels = {name: tuple(tuple(row) for row in rows) for name, rows in json.loads(texts["wheels.json"]).items()}
    synonyms = {k: tuple(v) for k, v in json.loads(texts["synonyms.json"]).items()}
    forms = {k: tuple(v) for k, v in json.loads(texts["forms.json"]).items()}
    return Tables(wheels=wheels, synonyms=synonyms, forms=forms, digest=digest)


# The modules whose logic the on-disk caches remember: editing one invalidates the caches
# even before SCORER_VERSION is bumped (a stale decision never survives a code change).
DECISION_MODULES = ("lexicon.py", "wordnet.py", "affect.py", "embed.py", "ovmer.py", "wheels.py")


@functools.lru_cache(maxsize=1)
def data_digest() -> str:
    """Hash of every packaged data file and of the deciding modules: part of each cache key."""
    h = hashlib.sha256()
    for name in (*TABLE_FILES, LEXICON_FILE):
        h.update(read_data(name).encode())
    pkg = resources.files(__package__)
    for name in DECISION_MODULES:
        h.update(pkg.joinpath(name).read_bytes())
    return h.hexdigest()[:16]
