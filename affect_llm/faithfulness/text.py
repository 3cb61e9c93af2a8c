"""Sentences, tokens, clauses and quotations of an explanation: the checker's view of text.

Why a tokenizer of its own instead of a parser: the checker runs on every generated sentence
(about a millisecond each), and the questions it asks are local ("which modality word is the
nearest to this emotion word, in the same clause?"). A regex tokenizer with character offsets
answers them, keeps the original spans for the fault report, and lines up with the scorer's
emotion-word reader, which normalises text the same way (lower-case, straight quotes, single
spaces: ``scoring.lexicon.normalize``), so its mention offsets index these tokens directly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Curly and guillemet quotes -> ASCII, as the scorer's extractor does before normalising.
_QUOTE_MAP = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                            "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
                            "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'"})
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:\.\d+)?|[^\w\s]")
# Where a clause ends: the emotion of one clause is not a claim about the other's modality.
CLAUSE_BREAK = frozenset({";", ":", "but", "while", "whereas", "although", "though", "however", "yet",
                          "because", "since", "meanwhile", "whilst", "which", "who", "unlike", "despite",
                          "whereby", "whose"})
_ABBREV = frozenset({"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "approx", "cf"})
_OPENERS = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb", "\u300c": "\u300d", "\u300e": "\u300f"}


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; a full stop inside a quotation does not end the sentence.

    ``He says: "No! Stop." Then he leaves.`` is two sentences, the first holding the whole
    quote. Unbalanced quotes fall back to plain punctuation splitting, so one stray ``"`` cannot
    swallow the rest of an explanation.
    """
    out = _split(text, respect_quotes=True)
    if out is None:
        out = _split(text, respect_quotes=False) or []
    return out


def _split(text: str, respect_quotes: bool) -> list[str] | None:
    sentences: list[str] = []
    start, i, n = 0, 0, len(text)
    closer: str | None = None
    while i < n:
        ch = text[i]
        if respect_quotes:
            if closer is not None:
                if ch == closer:
                    closer = None
                    # 'reads: "... unacceptable." This sentence': the quote's own stop ends the sentence
                    rest = text[i + 1:i + 3]
                    if text[:i].rstrip().endswith((".", "!", "?")) and rest[:1].isspace() and rest[1:2].isupper():
                        _emit(sentences, text[start:i + 1])
                        start = i + 1
                i += 1
                continue
            if ch in _OPENERS:
                closer = _OPENERS[ch]
                i += 1
                continue
        if ch == "\n" and (i + 1 < n and text[i + 1] == "\n" or text[start:i].strip().endswith((".", "!", "?"))):
            _emit(sentences, text[start:i])
            start = i + 1
        elif ch in ".!?":
            j = i + 1
            while j < n and text[j] in ".!?\"')]\u201d\u2019":
                j += 1
            glued = (j < n and text[j].isupper() and i >= 2 and text[i - 1].islower() and text[i - 2].isalpha()
                     and text[i] == ".")  # "the future.In the text, ..." (a missing space)
            if (j >= n or text[j].isspace() or glued) and not _abbreviation(text, start, i):
                _emit(sentences, text[start:j])
                start = j
                i = j
                continue
        i += 1
    if closer is not None:
        return None
    _emit(sentences, text[start:])
    return sentences


def _abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([A-Za-z.]+)$", text[start:dot])
    return bool(word) and word.group(1).lower().rstrip(".") in _ABBREV


def _emit(out: list[str], piece: str) -> None:
    piece = piece.strip()
    if piece:
        out.append(piece)


def prepare(text: str) -> str:
    """NFKC, ASCII quotes and apostrophes, single spaces; case kept (the checker needs capitals)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.translate(_QUOTE_MAP).split())


@dataclass
class Token:
    text: str  # lower-case
    start: int
    end: int
    clause: int
    quoted: bool  # inside a quotation (the person's words, not the explanation's claims)


@dataclass
class Sentence:
    """One sentence, prepared: original-case text, lower-case text (same offsets), tokens."""

    cased: str
    lower: str
    tokens: list[Token]
    quotes: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of quoted content

    def span(self, a: int, b: int) -> str:
        """The original text of tokens ``a``..``b`` (inclusive)."""
        return self.cased[self.tokens[a].start:self.tokens[b].end]

    def masked(self) -> str:
        """Lower-case text with quoted letters replaced by ``q``: same offsets, no emotion words
        from the person's own words (those are checked as quotes, not as claims)."""
        if not self.quotes:
            return self.lower
        chars = list(self.lower)
        for a, b in self.quotes:
            for k in range(a, b):
                if chars[k].isalnum():
                    chars[k] = "q"
        return "".join(chars)

    def index_at(self, offset: int) -> int | None:
        """The token that starts at or covers character ``offset``."""
        for k, tok in enumerate(self.tokens):
            if tok.start <= offset < tok.end:
                return k
            if tok.start > offset:
                return k
        return None


_QUOTE_SPANS = (re.compile(r'"([^"]+)"'), re.compile(r"(?<![\w'])'([^']*\s[^']*)'(?![\w'])"))


def _unclosed(cased: str) -> set[tuple[int, int]]:
    """A double quote opened and never closed runs to the end of the sentence: 'He said, "I'm so
    happy for all of you.' presents those words as said as much as a closed quote does (a chat
    reply cut at its full stop loses its closing mark). Nothing when the quotes pair up, or when
    the odd one is the sentence's last character (a quote closed from a sentence before)."""
    marks = [k for k, ch in enumerate(cased) if ch == '"']
    if len(marks) % 2 == 0 or not cased[marks[-1] + 1:].strip(" .!?"):
        return set()
    return {(marks[-1] + 1, len(cased.rstrip()))}


def parse(sentence: str) -> Sentence:
    cased = prepare(sentence)
    lower = cased.lower()
    if len(lower) != len(cased):  # a few Unicode letters change length when lower-cased
        cased = lower
    quotes = sorted({m.span(1) for rx in _QUOTE_SPANS for m in rx.finditer(cased)} | _unclosed(cased))
    quotes = [q for k, q in enumerate(quotes) if not any(o[0] <= q[0] and q[1] <= o[1] and o != q for o in quotes)]
    tokens: list[Token] = []
    clause = 0
    for m in _TOKEN.finditer(lower):
        text = m.group(0)
        inside = any(a <= m.start() < b for a, b in quotes)
        if not inside and text in CLAUSE_BREAK:
            clause += 1
        tokens.append(Token(text, m.start(), m.end(), clause, inside))
    return Sentence(cased=cased, lower=lower, tokens=tokens, quotes=quotes)


def normalize_for_match(text: str) -> str:
    """Case, punctuation and spacing removed, for comparing a quote with a transcript."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP).casefold()
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" and c != "'" else c for c in text)
    text = text.replace("'", "")
    return " ".join(text.split())
