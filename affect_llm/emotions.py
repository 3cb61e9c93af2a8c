"""The one label set every channel scores over: the basic emotions plus neutral.

Why a closed set underneath an open-vocabulary product: the face model, the voice rules and the
text model each speak a different vocabulary (FER2013 classes, arousal/valence, Plutchik or
prototype labels). Fusing them, telling where they agree or conflict, and checking an
explanation's emotion words against them all need one common set. The answer's ``emotions`` are
these labels (first the strongest); nuance words on top of them must be licensed by the checker.

The labels are words of the scorer's emotion wheels (level-1 classes of wheel 2, the wheel with
the basic-emotion layout), so a fused answer scores as itself under ``affect-llm eval``:

=========== ================== ========= =======
label       wheel-2 class       valence   arousal
=========== ================== ========= =======
neutral     (explicit neutral)  0         0
happy       happy              +1        +0.5
sad         sad                -1        -0.6
angry       angry              -1        +0.8
fearful     fearful            -1        +0.6
surprised   surprised           0        +0.8
disgusted   disgusted          -1        +0.2
=========== ================== ========= =======

Valence and arousal are the usual circumplex positions of these categories (Russell 1980;
Scherer's component process places them alike); the voice channel maps measured arousal and
valence onto the labels through them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal, get_args

Label = Literal["neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted"]
LABELS: tuple[Label, ...] = get_args(Label)
NEUTRAL: Label = "neutral"

VALENCE: dict[Label, float] = {"neutral": 0.0, "happy": 1.0, "sad": -1.0, "angry": -1.0,
                               "fearful": -1.0, "surprised": 0.0, "disgusted": -1.0}
AROUSAL: dict[Label, float] = {"neutral": 0.0, "happy": 0.5, "sad": -0.6, "angry": 0.8,
                               "fearful": 0.6, "surprised": 0.8, "disgusted": 0.2}

# The facial-expression model's classes (FER2013 order, the model's output order) and their labels.
EXPRESSION_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EXPRESSION_TO_LABEL: dict[str, Label] = {"angry": "angry", "disgust": "disgusted", "fear": "fearful",
                                         "happy": "happy", "sad": "sad", "surprise": "surprised",
                                         "neutral": "neutral"}

# Nouns and other forms people write for a label ("anger", "joy"): read back to the label.
_FORMS: dict[str, Label] = {
    "anger": "angry", "mad": "angry", "joy": "happy", "joyful": "happy", "happiness": "happy",
    "sadness": "sad", "fear": "fearful", "scared": "fearful", "afraid": "fearful", "worried": "fearful",
    "surprise": "surprised", "disgust": "disgusted", "calm": "neutral", "neutrality": "neutral",
}


def plain_label(word: str) -> Label | None:
    """The label a word plainly names ("angry", "anger", "scared", "calm"), else None: unlike
    :func:`label_of`, no wheel is consulted, so "upset" (sad or angry) names none."""
    word = word.strip().lower()
    return word if word in LABELS else _FORMS.get(word)  # type: ignore[return-value]


def check_label(value: str, where: str = "label") -> Label:
    """``value`` as a ``Label``, or a ``ValueError`` that lists the allowed values."""
    if value not in LABELS:
        raise ValueError(f"{where}: {value!r} is not one of {', '.join(LABELS)}")
    return value  # type: ignore[return-value]


def uniform() -> dict[Label, float]:
    """No information: every label equally likely."""
    return {lab: 1.0 / len(LABELS) for lab in LABELS}


def normalize(scores: dict[str, float]) -> dict[Label, float]:
    """Scores over ``LABELS`` (missing labels 0, negatives clipped) summing to 1; uniform if all 0."""
    clipped = {lab: max(0.0, float(scores.get(lab, 0.0))) for lab in LABELS}
    total = sum(clipped.values())
    return {lab: v / total for lab, v in clipped.items()} if total > 0 else uniform()


def mixture(dists: Sequence[dict[Label, float]], weights: Sequence[float] | None = None) -> dict[Label, float]:
    """The weighted mean of distributions over ``LABELS`` (equal weights by default), normalised:
    an ensemble's members, a text's sentences, the hypotheses of what was said."""
    ws = list(weights) if weights is not None else [1.0] * len(dists)
    total = sum(ws) or 1.0
    return normalize({lab: sum(w * d[lab] for w, d in zip(ws, dists)) / total for lab in LABELS})


def ranked(scores: dict[Label, float]) -> list[tuple[Label, float]]:
    """Labels from the highest score down; ties keep ``LABELS`` order."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], LABELS.index(kv[0])))


@functools.lru_cache(maxsize=4096)
def label_of(word: str) -> Label | None:
    """The basic label an emotion word belongs to, through the scorer's five wheels.

    ``"furious"`` -> ``"angry"``, ``"delighted"`` -> ``"happy"``, ``"table"`` -> ``None``. A word
    is read to its canonical form by the scorer's extractor, placed on each wheel, and the label
    whose own wheel classes it shares most often wins (ties: ``LABELS`` order). Neutral words
    ("calm", "neutral") map to ``"neutral"``.
    """
    word = word.strip().lower()
    if not word:
        return None
    if word in LABELS:
        return word  # type: ignore[return-value]
    if word in _FORMS:
        return _FORMS[word]
    votes = _wheel_votes(word)
    if not votes:
        return None
    best = max(LABELS, key=lambda lab: (votes.get(lab, 0), -LABELS.index(lab)))
    return best if votes.get(best, 0) > 0 else None


def _wheel_words(word: str) -> set[str]:
    """The wheel words a word stands for, through the published tables: its surface form's base
    words (``forms``), then the wheel words that list each base as a synonym (``synonyms``)."""
    from .scoring.data import load_tables

    tables = load_tables()
    bases = {word, *tables.forms.get(word, ())}
    out = {b for b in bases if b in tables.wheel_words}
    for base in bases:
        out.update(tables.synonyms.get(base, ()))
    return out


def _wheel_votes(word: str) -> dict[Label, int]:
    from .scoring.wheels import published_wheels

    wheels = published_wheels()
    own = _label_classes()
    votes: dict[Label, int] = {}
    for wheel_word in _wheel_words(word):
        for name, wheel in wheels.items():
            for pos in wheel.positions(wheel_word):
                for lab, classes in own.items():
                    if classes.get(name) == pos.level1:
                        votes[lab] = votes.get(lab, 0) + 1
    return votes


@functools.lru_cache(maxsize=1)
def _label_classes() -> dict[Label, dict[str, str]]:
    """For each label, its level-1 class in each wheel where the label word (or a form) sits."""
    from .scoring.wheels import published_wheels

    out: dict[Label, dict[str, str]] = {}
    for lab in LABELS:
        if lab == NEUTRAL:
            continue
        forms = [lab] + [f for f, target in _FORMS.items() if target == lab]
        for name, wheel in published_wheels().items():
            for form in forms:
                pos = wheel.positions(form)
                if pos:
                    out.setdefault(lab, {})[name] = pos[0].level1
                    break
    return out
