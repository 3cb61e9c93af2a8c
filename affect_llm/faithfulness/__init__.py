"""The faithfulness checker: does an explanation say only what the clip's cues measured?

It reads a free-text explanation and the clip's cues record (``describe --json``'s ``cues``)
and reports, per sentence, four kinds of fault:

* ``contradiction``: a claim the cues contradict (a smiling face when the face reads angry, a
  face when none was found, a changing expression that stays, high pitch when it is low, loud
  when quiet, fast when slow, pauses when there were none, the voice when there is no audio, the
  words when there are none);
* ``quote``: a quotation of the person that is not in the subtitle or its translation, or any
  quotation when the transcript is unreliable;
* ``emotion``: an emotion word that no modality supports;
* ``entity``: a person, place, group, event or thing that is in neither the words nor the cues.

The default model runs it on every generated sentence (``check_sentence``, about a millisecond
once warm) and ``affect-llm eval faithfulness`` runs it over any JSONL of ``{id, explanation,
cues}``, so other systems' explanations are judged by the same code. The rules and their
thresholds are documented in ``affect_llm/FAITHFULNESS.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fault import KINDS, Fault, Kind

__all__ = [
    "KINDS",
    "Fault",
    "Kind",
    "check_explanation",
    "check_sentence",
    "faithfulness_report",
    "licenses",
    "split_sentences",
]


def split_sentences(text: str) -> list[str]:
    from .text import split_sentences as split

    return split(text)


def check_sentence(sentence: str, cues: dict[str, Any], section: str | None = None) -> list[Fault]:
    """Faults of one sentence against ``cues``.

    ``section`` ("visual", "acoustic", "verbal", "inference") says which part of an EMER-style
    answer the sentence belongs to; without it the sentence's own opener ("In the video, ...")
    decides, and a sentence with neither is read as making no modality-specific claim unless it
    names the face, the voice or the words.
    """
    faults, _ = _check(sentence, cues, section, carried=None)
    return faults


def check_explanation(explanation: str, cues: dict[str, Any]) -> list[Fault]:
    """Faults of every sentence of ``explanation``; a section opener ("In the audio, ...") carries
    over to the sentences after it until the next opener."""
    faults: list[Fault] = []
    topic: str | None = None
    for sentence in split_sentences(explanation):
        found, topic = _check(sentence, cues, None, carried=topic)
        faults.extend(found)
    return faults


def _check(sentence: str, cues: dict[str, Any], section: str | None,
           carried: str | None) -> tuple[list[Fault], str | None]:
    from . import contradictions, entities, quotes, support
    from .context import build
    from .cueview import CueView
    from .vocab import SECTION_TOPIC

    if not isinstance(cues, dict):
        raise TypeError(f"cues must be a dict (the `cues` record of describe --json), got {type(cues).__name__}")
    given = section is not None
    if given and section not in SECTION_TOPIC:
        raise ValueError(f"section {section!r} is not one of {', '.join(SECTION_TOPIC)}")
    topic = SECTION_TOPIC[section] if given else carried
    ctx, opened, marker_topic = build(sentence, CueView(cues), topic, given)
    faults: list[Fault] = []
    for check in (contradictions.check, quotes.check, support.check, entities.check):
        faults.extend(check(ctx))
    text = ctx.sent.cased
    faults = [Fault(f.kind, f.text, f.why, text) for f in faults]
    return faults, (marker_topic if opened else carried)


def licenses(word: str, cues: dict[str, Any]) -> bool | None:
    """Whether the cues support an emotion word (a nuance word the LLM wants to add, "frustrated").

    True/False by the rule of the emotion check; None when the word is not an emotion word the
    label set can place, or the record cannot judge emotions (see ``FAITHFULNESS.md``).
    """
    from ..emotions import label_of
    from .cueview import CueView, extractor

    view = CueView(cues)
    found = [m for m in extractor().extract(word).mentions if not m.negated]
    labels = {("neutral" if m.neutral else label_of(m.word)) for m in found} - {None}
    if not labels or not view.can_judge_emotions:
        return None
    supported = view.supported_labels
    return bool(labels & supported) or (not supported and "neutral" in labels)


def faithfulness_report(records: Iterable[dict[str, Any]], keep: int | None = None) -> dict[str, Any]:
    """Counts over ``{id, explanation, cues}`` records (see ``report.build_report``)."""
    from .report import build_report

    return build_report(records, keep=keep)
