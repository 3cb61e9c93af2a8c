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


# Characters of scripts written without spaces (kana, CJK ideographs, Hangul): a hearing splits
# into one token per character there, as Whisper's word timestamps split Chinese.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def hearing_tokens(text: str) -> list[str]:
    """The tokens of a hearing: its words, each CJK character a token of its own."""
    return CJK.sub(r" \g<0> ", text).split()


def norm_word(token: str) -> str:
    """A token as two hearings are compared: unmarked, lower-case, letters and apostrophes only."""
    return re.sub(r"[^\w']+", "", (as_heard(token) or "").lower()).strip("'")


def aligned(mine: list[str], theirs: list[str]) -> list[tuple[str, list[int], list[int]]]:
    """Two hearings of the same speech, word by word: ``difflib`` opcodes over the tokens that
    have letters (after :func:`norm_word`), as (tag, indices into ``mine``, indices into
    ``theirs``). The one alignment behind a disputed word (``encoders.speech.disputed``) and
    what the second model heard in its place (:func:`second_hearings`)."""
    import difflib

    keep_m = [i for i, t in enumerate(mine) if norm_word(t)]
    keep_t = [j for j, t in enumerate(theirs) if norm_word(t)]
    matcher = difflib.SequenceMatcher(None, [norm_word(mine[i]) for i in keep_m],
                                      [norm_word(theirs[j]) for j in keep_t], autojunk=False)
    return [(tag, keep_m[i1:i2], keep_t[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def second_hearings(marked_text: str | None, other: str | None) -> list[tuple[str, str]]:
    """Where a second speech model heard something else in place of marked words: pairs of the
    marked stretch (as marked, "(acceptable?)") and what the second model heard there
    ("unacceptable"), in order (:func:`aligned`); a marked stretch the second model heard
    nothing in place of is left out (nothing to report).

    Why: the explanation shows "(acceptable?)" and may say the words suggest anger; without the
    second hearing beside it a reader sees anger read from "acceptable"."""
    if not marked_text or not other or not MARKED.search(marked_text):
        return []
    mine, theirs = marked_text.split(), hearing_tokens(other)
    out = []
    for tag, ims, jts in aligned(mine, theirs):
        if tag == "replace" and any(MARKED.search(mine[i]) for i in ims):
            out.append((" ".join(mine[i] for i in ims).strip(".,!?;:¡¿\"'"),
                        " ".join(theirs[j] for j in jts).strip(".,!?;:¡¿\"'")))
    return out
