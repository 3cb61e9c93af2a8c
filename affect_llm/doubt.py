"""How a word heard with doubt is written, wherever a transcript is shown or quoted.

Whisper sometimes hears a single word wrong and is fairly sure of it ("This is completely
acceptable." for "... unacceptable!"), while the whole transcript passes every check. A quote
with an invented word is worse than no quote, yet dropping the word hides what was heard. So a
doubtful word (``encoders.speech.WORD_PROB_THRESHOLD``) is kept in the text, in parentheses with a
question mark, the way a transcriber marks a guess::

    No, I told you three times already. This is completely (acceptable?).

A reader sees what was heard and that it may be wrong; the faithfulness checker treats the
marked form as part of the quote and the bare word ("completely acceptable") as a quote of
something nobody is sure was said; the words channel reads the text without the marked words, or
weighs two models' hearings of them (``cues.WordCues.channel_texts``).

Parentheses, not an editor's square brackets: ``rich`` (the CLI's console) reads "[acceptable?]"
as a style tag and prints nothing, and Markdown may read it as a link. This module is the one
home of that form (no heavy imports: the checker and ``--help`` load it).
"""

from __future__ import annotations

import re
import unicodedata

# "(word?)": one word (no spaces, no parentheses) in parentheses, ending in a question mark.
MARKED = re.compile(r"\(([^()\s]+?)\?\)")


def mark(word: str) -> str:
    """``"acceptable."`` -> ``"(acceptable?)."``: the word in the mark, its punctuation outside.

    Only punctuation, symbols and spaces stay outside; a combining mark is part of the letter it
    sits on (a Thai vowel sign "ิ" is no letter to ``\\w``, and "(ย?)ิ" split a syllable)."""
    def outside(ch: str) -> bool:
        return unicodedata.category(ch)[0] in "PSZC"

    start, end = 0, len(word)
    while start < end and outside(word[start]):
        start += 1
    while end > start and outside(word[end - 1]):
        end -= 1
    if start == end:
        return word
    return f"{word[:start]}({word[start:end]}?){word[end:]}"


def marked_words(text: str | None) -> list[str]:
    """The doubtful words of a marked text, in order."""
    return [m.group(1) for m in MARKED.finditer(text or "")]


def without_doubtful(text: str | None) -> str | None:
    """The text with every marked word removed (what the words channel may read), spaces tidied."""
    if text is None:
        return None
    out = MARKED.sub(" ", text)
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    return " ".join(t for t in out.split() if re.search(r"\w", t))  # no stray "¡" left behind


def as_heard(text: str | None) -> str | None:
    """The text with the marks taken off: what Whisper heard, as if it were sure (for telling a
    quote of a doubtful word as said apart from an invented quote)."""
    return None if text is None else MARKED.sub(lambda m: m.group(1), text)


# What a marked word becomes when a quote is compared with the transcript: a letters-only token
# (the checker's normaliser keeps letters) that no real text holds, so a quote matches across a
# marked word only when it quotes the mark itself.
HOLE = "xxunclearwordxx"


def masked(text: str) -> str:
    """Each marked word replaced by :data:`HOLE` (see the checker, ``faithfulness.quotes``)."""
    return MARKED.sub(f" {HOLE} ", text)


def second_hearings(marked_text: str | None, other: str | None) -> list[tuple[str, str]]:
    """Where a second speech model heard something else in place of marked words: pairs of the
    marked stretch (as marked, "(acceptable?)") and what the second model heard there
    ("unacceptable"), in order. Words are aligned after case and punctuation; a marked stretch
    the second model heard nothing in place of is left out (nothing to report).

    Why: the explanation shows "(acceptable?)" and may say the words suggest anger; without the
    second hearing beside it a reader sees anger read from "acceptable"."""
    import difflib

    if not marked_text or not other or not MARKED.search(marked_text):
        return []

    def norm(token: str) -> str:
        return re.sub(r"[^\w']+", "", token.lower()).strip("'")

    mine = [t for t in marked_text.split() if norm(as_heard(t) or "")]
    theirs = [t for t in other.split() if norm(t)]
    matcher = difflib.SequenceMatcher(None, [norm(as_heard(t) or "") for t in mine], [norm(t) for t in theirs],
                                      autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and any(MARKED.search(t) for t in mine[i1:i2]):
            first = " ".join(mine[i1:i2]).strip(".,!?;:¡¿\"'")
            second = " ".join(theirs[j1:j2]).strip(".,!?;:¡¿\"'")
            out.append((first, second))
    return out
