"""Check 3: emotion words that no modality supports.

The explanation's emotion words are read by the project's one emotion-word reader
(``scoring.extract.RuleExtractor``: lemmas, phrases, negation; negated mentions are not
claims) and placed on the label set with ``emotions.label_of`` ("furious" -> angry). A word is
supported when its label is in ``CueView.supported_labels``:

* with an ``evidence`` record: some channel with reliability >= 0.2 gives the label >= 0.2
  (uniform is 0.14), or the fusion ranks it >= 0.1, names it among its emotions, or a channel
  expresses it, or it is the face's measured look overall or in either half; neutral also when
  some present label channel shows no clear label. (Until then 6 of 240 of our own rendered
  explanations of real video were flagged for stating these measured facts.)
* without one (other systems, older outputs): the face shows it (mean probability >= 0.15, a
  half's or the clip's dominant class, or the top class of >= 1/4 of the face frames), the
  words contain an emotion word of that label, or the voice's measured arousal matches the
  label's (high: angry, fearful, surprised, happy; low: sad, neutral; moderate: neutral,
  happy, disgusted).

"Neutral" is also supported when no channel carried anything. A record that says nothing about
some modality (neither measured nor marked missing) and has no evidence record is not judged here. A word the label set cannot place
("nostalgic") is not judged: the checker only speaks where the cues can.
"""

from __future__ import annotations

from .context import Ctx
from .fault import Fault


def check(ctx: Ctx) -> list[Fault]:
    if not ctx.view.can_judge_emotions:
        return []
    supported = ctx.view.supported_labels
    nothing = not supported
    out: list[Fault] = []
    for c in ctx.claims:
        if c.negated or c.face_action or not c.labels or not ctx.live(c.first):
            continue
        if any(k in ctx.covered for k in range(c.first, c.last + 1)):
            continue
        if c.labels & supported or (nothing and "neutral" in c.labels):
            continue
        label = "/".join(sorted(c.labels))
        backing = ", ".join(sorted(supported)) or "nothing"
        out.append(Fault("emotion", ctx.sent.span(c.first, c.last),
                         f"{c.word} ({label}) is supported by no modality; the cues support: {backing}"))
        ctx.covered.update(range(c.first, c.last + 1))
    return out
