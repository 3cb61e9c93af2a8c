"""Check 2: a quotation presented as the person's words must be their words.

A quoted span counts as reported speech when its sentence has a speech word ("says", "the
subtitle reads", "the words") or the quote is three words or longer; shorter quotes without one
are scare quotes ("a 'flat' delivery") and are left alone. A double quote left open runs to the
end of its sentence (``text.parse``). The quote must then occur in the
subtitle or in its English translation, compared after removing case, punctuation and spacing;
an ellipsis splits it into pieces that must each occur. When the transcript is marked
unreliable nothing may be quoted: the words were not understood.

A transcript may hold words heard with doubt, marked "(acceptable?)" (``affect_llm.doubt``;
the record lists them in ``words.doubtful``). Quoting the mark is faithful; quoting the bare
word ("the person says 'completely acceptable'") presents a guess as what was said: a quote
fault of its own.

Where a second transcription model heard the same speech (``words.second_opinion``, English speech), a
sentence that names that model ("a second transcription model heard \"unacceptable\" ...") may quote
its hearing: that is a report of what the model heard, not of what the person said. The quote
must still occur in the second model's text; the same words quoted without the attribution are
a quote fault like any other.
"""

from __future__ import annotations

import re

from ..doubt import as_heard, masked
from .context import Ctx
from .fault import Fault
from .text import normalize_for_match
from .vocab import SPEECH_CUES

MIN_SPEECH_WORDS = 3
_ELLIPSIS = re.compile(r"\.{2,}|\u2026|\[\s*\.\.\.\s*\]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def check(ctx: Ctx) -> list[Fault]:
    view, sent = ctx.view, ctx.sent
    if not sent.quotes or ctx.words_missing_flagged:
        return []
    speechy = any(t.text in SPEECH_CUES for t in sent.tokens if not t.quoted)
    out: list[Fault] = []
    second = view.second_opinion if _names_second_model(sent) else None
    for a, b in sent.quotes:
        content = sent.cased[a:b].strip()
        if not content or not (speechy or len(content.split()) >= MIN_SPEECH_WORDS):
            continue
        if second and found_in(content, [second]):
            continue  # what the second model heard, said to be its hearing
        span = sent.cased[max(0, a - 1):b + 1]
        if view.transcript_unreliable:
            out.append(Fault("quote", span, "quotes the person, but the transcript is unreliable: the speech "
                                            "was not understood"))
        elif view.words_present is False:
            ctx.words_missing_flagged = True
            out.append(Fault("contradiction", span, "quotes the person, but no words were spoken or given"))
        elif view.quotable and not _found(content, view):
            if view.doubtful and found_in(as_heard(content), [as_heard(t) for t in view.quotable]):
                guessed = [w for w in view.doubtful if normalize_for_match(w) in normalize_for_match(content)]
                out.append(Fault("quote", span, "quotes words heard with doubt as said ("
                                 + ", ".join(f"'{w}'" for w in guessed or view.doubtful)
                                 + "): the transcript marks them (word?)"))
            else:
                out.append(Fault("quote", span, "is not in the transcript (subtitle"
                                                + (" or translation" if len(view.quotable) > 1 else "") + ")"))
    for a, b in sent.quotes if out else ():
        for k, tok in enumerate(sent.tokens):
            if a <= tok.start < b:
                ctx.covered.add(k)
    return out


def _names_second_model(sent) -> bool:
    """The sentence attributes a hearing to another transcription model ("a second transcription model heard")."""
    words = {t.text for t in sent.tokens if not t.quoted}
    return "model" in words and bool(words & {"second", "another", "other"})


def _found(content: str, view) -> bool:
    """``found_in``, where a word marked as heard with doubt matches only its own mark."""
    if not view.doubtful:
        return found_in(content, view.quotable)
    return found_in(masked(content), [masked(t) for t in view.quotable])


def found_in(quote: str, sources: list[str]) -> bool:
    """Every piece of ``quote`` (split at ellipses) occurs, in order, in one of ``sources``."""
    pieces = [p for p in (normalize_for_match(x) for x in _ELLIPSIS.split(quote)) if p]
    if not pieces:
        return True
    cjk = bool(_CJK.search(quote))  # no spaces between words: compare without any
    for source in sources:
        text = normalize_for_match(source)
        if cjk:
            text, wanted = text.replace(" ", ""), [p.replace(" ", "") for p in pieces]
        else:
            text, wanted = f" {text} ", [f" {p} " for p in pieces]
        pos = 0
        for piece in wanted:
            at = text.find(piece, pos)
            if at < 0:
                break
            pos = at + len(piece) - (0 if cjk else 1)
        else:
            return True
    return False
