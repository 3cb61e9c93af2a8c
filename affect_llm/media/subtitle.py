"""What was said in a clip, when we do not have to transcribe it.

The words are the verbal clue of the explanation. Transcribing with Whisper is the slowest step
of the pipeline and the one most likely to be wrong, so words the user already has win: text
given on the command line, else a sidecar subtitle next to the clip (``clip.srt`` or
``clip.txt`` for ``clip.mp4``, the convention of video players). Only when neither exists does
the caller run speech recognition.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from ..errors import InputError

log = logging.getLogger(__name__)

SOURCES = ("user", "sidecar-srt", "sidecar-txt", "none")

_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_INDEX = re.compile(r"^\s*\d+\s*$")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_ASS_TAG = re.compile(r"\{\\[^}]*\}")  # {\an8}, {\i1} positioning/style codes from ASS conversions


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_srt(content: str) -> str:
    """The spoken text of an SRT file: cue numbers, timings and styling removed, lines joined by spaces."""
    content = content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for block in re.split(r"\n\s*\n", content):
        rows = [r for r in block.split("\n") if r.strip()]
        # A cue is "index / timing / text...": drop the index only when a timing follows, so a
        # subtitle line that is just a number ("42") survives.
        if len(rows) >= 2 and _INDEX.match(rows[0]) and _TIMING.match(rows[1]):
            rows = rows[2:]
        elif rows and _TIMING.match(rows[0]):
            rows = rows[1:]
        for row in rows:
            row = _ASS_TAG.sub("", _HTML_TAG.sub("", row)).strip()
            if row:
                lines.append(row)
    return _normalise(" ".join(lines))


def _read_text(path: Path) -> str:
    """File contents as text; UTF-8 (with or without BOM) first, Latin-1 as the never-failing fallback."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"subtitle file {path} cannot be read ({exc.strerror}): fix or remove it") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; reading it as Latin-1", path)
        return raw.decode("latin-1")


def _sidecar(clip: Path, suffix: str) -> Path | None:
    """``clip.<suffix>`` next to the clip, also matching an upper-case suffix (``CLIP.SRT``)."""
    for cand in (clip.with_suffix(suffix), clip.with_suffix(suffix.upper())):
        if cand.is_file():
            return cand
    return None


def resolve_subtitle(clip_path: str | os.PathLike, text: str | None = None) -> tuple[str | None, str]:
    """``(subtitle, source)`` for a clip; ``source`` is one of ``SOURCES``.

    User text wins (an empty or blank string counts as not given). Then ``<stem>.srt``, then
    ``<stem>.txt`` next to the clip; an empty sidecar is skipped. ``(None, "none")`` tells the
    caller to transcribe the audio.
    """
    if text is not None and text.strip():
        return _normalise(text), "user"
    clip = Path(clip_path)
    srt = _sidecar(clip, ".srt")
    if srt is not None:
        sub = parse_srt(_read_text(srt))
        if sub:
            log.info("subtitle from %s", srt)
            return sub, "sidecar-srt"
        log.warning("%s has no text; ignoring it", srt)
    txt = _sidecar(clip, ".txt")
    if txt is not None:
        sub = _normalise(_read_text(txt))
        if sub:
            log.info("subtitle from %s", txt)
            return sub, "sidecar-txt"
        log.warning("%s is empty; ignoring it", txt)
    return None, "none"


# The words that reach a prompt are bounded, whatever their source: a subtitle field of 900 kB must
# cost what a long sentence costs. 120 words is ~160 tokens of SmolLM2/Qwen2.5 BPE for English
# (~1.3 tokens a word) and more than any utterance in a 30 s clip; the rest is cut at a word
# boundary and the cut is reported (``cues.words.truncated``).
MAX_WORDS = 120
MAX_CHARS = 1200  # the same bound for text without spaces (Mandarin, Japanese): ~1 token a character
# What `serve` and `chat` accept in one text field before refusing it (413 / a message), before any
# work: ten times the prompt budget, so a long subtitle is still cut by `bound_words` (and reported as
# truncated), while a field that cannot be a subtitle of one clip is refused at once.
MAX_FIELD_CHARS = 10 * MAX_CHARS


def bound_words(text: str, max_words: int = MAX_WORDS, max_chars: int = MAX_CHARS) -> tuple[str, bool]:
    """``(text cut to the budget, whether it was cut)``; cut text ends with "..."."""
    words = text.split()
    cut = len(words) > max_words
    if cut:
        text = " ".join(words[:max_words])
    if len(text) > max_chars:
        text, cut = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars], True
    return (text.rstrip(" ,;:") + " ...", True) if cut else (text, False)
