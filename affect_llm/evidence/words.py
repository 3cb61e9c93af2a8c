"""The words channel: what the spoken or given words say about emotion, over ``emotions.LABELS``.

``words_evidence(text)`` reads English text (the lead passes the English translation when the
speech was not English) and returns a ``ModalityEvidence`` for the fusion.

Why not the NRC unigram vote it replaces: a word list counts words, not what a sentence says.
"This is completely unacceptable!" holds one NRC word, filed under *sadness*; "I got the job!"
holds none. Four readers were built and measured against each other (``eval/words_channel.py``,
figures below):

* ``nade``: a fastText model that predicts the emojis people put after a sentence, with one
  gradient-boosted regressor per Plutchik emotion on top (the ``nade`` wheel, MIT). It reads
  whole sentences, informal speech and insults, which is what subtitles are;
* ``prototypes``: all-MiniLM-L6-v2 sentence embeddings against a few short, generic prototype
  sentences per label (below). Good on plain, explicit sentences; blind to negation;
* ``lexicon``: the scorer's emotion-word reader (negation, hedges, intensifiers, phrases) for
  words that *name* an emotion, plus the NRC association lexicon for the rest;
* the bundled SmolLM2 scoring each label after a prompt (in the eval script only: see there).

The default, ``ensemble``, is the mean of ``prototypes`` and ``nade`` with a negation guard
(``negation_guard``: the scorer's reader finds "not happy" and takes happy out), read sentence by
sentence (:func:`read`). *Agreement* (as sure as the two members agree, unless the words back
the reading) was measured and is off: see the end of this section; the rule is not in the product
but in the script that measures it, ``AgreementEnsemble`` in ``eval/words_channel.py``. Figures of
``python eval/words_channel.py`` (114 development sentences; 311 EMER-v2 subtitles whose
reference is the human description of the whole clip; *false leads*: the share of 74 flat
sentences from real acted corpora's scripts, CREMA-D, RAVDESS, TESS, SAVEE, EmoDB, EMOVO, that
get a clear emotion, ``fusion.clear_label``; *EMER c&r*: the share of EMER subtitles read as a
clear emotion that is one of the reference's):

============================== ========== ======= ========= ========= ========= ======== ===========
reader                          sentences  pairs   EMER Fs   EMER hit  EMER val. EMER c&r false leads
============================== ========== ======= ========= ========= ========= ======== ===========
before: NRC unigram vote        0.29       0.30    0.20      0.43      0.35      n/a     (labels only)
lexicon                         0.33       0.37    0.18      0.39      0.32      0.26     0.57
nade                            0.68       0.51    0.23      0.49      0.45      0.29     0.15
prototypes                      0.74       0.63    0.31      0.59      0.67      0.48     0.41
prototypes + nade               0.82       0.67    0.34      0.67      0.71      0.44     0.23
ensemble (+ negation)           0.85       0.67    0.34      0.67      0.71      n/a     0.23
**ensemble, by sentence**       **0.87**   **0.83** **0.34** **0.66**  **0.71**  **0.43** **0.23**
... + agreement (628b204)       0.87       0.83    0.34      0.66      0.71      0.23     0.11
... unless words back it        0.87       0.83    0.34      0.66      0.71      0.33     0.11
============================== ========== ======= ========= ========= ========= ======== ===========

*pairs*: each emotional sentence joined to a flat one, plus flat pairs (:func:`read` says why);
``eval/results/words_channel.md`` has every column.

**Why agreement is off.** It halves the clear false leads of flat scripted sentences, but in
the product, on real speech, that changed nothing: re-fusing the saved pipeline runs of five real
corpora (Whisper's own words and translations, 56-60 clips each) gave the same first-named
emotion in CASIA, RAVDESS and Urdu, one clip more in EMOVO and one fewer in EmoDB. What it costs
is plain: real dialogue read as a clear emotion and right falls 0.43 -> 0.33 (EMER-v2), the
development set's emotional sentences 0.74 -> 0.69, and explicit anger without a named anger
word loses its clear reading ("No! I told you three times already. This is completely
unacceptable!" 0.62 -> 0.31, "Get out of my house!" -> 0.30, a threat -> 0.22), so
``examples/angry.mp4`` was answered "happy" from its smiling photo alone, anger not even named.
A flat sentence that leans is weighed down in the fusion instead (rule 1b there) only when it
shows no clear label; what decides between a flat script's lean and the voice remains open.

**Agreement** (``AgreementEnsemble`` there says why) keeps every label order, so the reading columns do
not move; it makes the channel unsure where its members disagree. Flat scripted sentences with
a clear emotion: 17 of 74 -> 8 (CREMA-D 4 -> 2 of 12, TESS 5 -> 2 of 34, EMOVO 6 -> 2 of 14;
SAVEE's "greasy wash water" and "oily rag" stay disgusted: both members read them so). The cost:
the development set's emotional sentences read clearly *and* right 0.74 -> 0.68, and EMER
subtitles read as a clear emotion 0.57 -> 0.30 (right 0.76 -> 0.77 of those times, its label
judged by the clip's description). Audio only, each clip's voice fused with the words of its
script sentence (this project's English): EMOVO (588 clips) 0.28 -> 0.34 first-named (each half of the speakers:
0.29 / 0.27 -> 0.35 / 0.32; the voice alone 0.37), EmoDB (454) 0.630 -> 0.628, RAVDESS (1,440)
0.415 both; re-fusing saved pipeline runs (56-60 clips each, Whisper's words and translation):
EmoDB 0.55 -> 0.53, EMOVO 0.30 -> 0.32, CASIA 0.20 and RAVDESS 0.43 unchanged. Measured and dropped (same script): the geometric mean (false leads 0.34), each
label at its weaker member's score (0.49), the members' disagreement added to neutral when their
top labels differ (0.12, but sentences 0.65, EMER Fs 0.13); a sharper clear-label margin for
the words alone would be the fusion's to set (0.15 gives 0.09 false leads but 0.65 clear and
right).

**Unless the words back it.** Agreement alone also doubted natural dialogue: EMER subtitles read
as a clear emotion 0.57 -> 0.30, and those lost were right about three times in four ("Shanshan
finally returned to your embrace.": happy; "You can't kick me out of the house, old Fang
family.": angry). There the lean is in the words, which a flat script is written not to hold; so
the reading is kept whole where the lexicon reader gives its top label weight (``words_back`` there).
EMER clear 0.30 -> 0.42, clear and right 0.23 -> 0.33 (31 of the 37 it makes clear are right);
false leads 0.11 unchanged (no flat script's clear label changes; 4 of 74 read differently, not
re-measured audio only); all 200 TESS words 0.04 -> 0.09 (0.23 without agreement: "Say the word
death", "pain", "kick" read as their emotion). Re-fusing the saved pipeline runs: first-named the
same as with agreement alone in all five (CASIA, EmoDB, EMOVO, RAVDESS, Urdu). Measured and
dropped (``KEEP_RULES`` there; false leads / clear and right): sqrt(overlap) 0.16 / 0.36; overlap
only where the members' top labels differ 0.15 / 0.26; unless a named emotion word 0.11 / 0.25;
unless the lexicon's top label is any emotion 0.15 / 0.33 but all TESS words 0.22 (NRC files
"word" as positive, so every "Say the word ..." was spared).

SmolLM2 (calibrated label likelihoods, ``eval/words_channel.py``) reached 0.21 on a 28-sentence
slice (4 per label; chance 0.14; 18 of 28 answered angry) at ~7.6 s of CPU per sentence, so it
was not run in full. The lexicon reader is kept as a dependency-free fallback (``method="lexicon"``), not as a
member: added to the ensemble it pulled every figure down (sentences 0.64, EMER Fs 0.21).

**Neutral.** Every reader gives ``neutral`` a score from the text's overall emotional intensity,
never a fixed share: a flat sentence ("The meeting is at three.") carries no emotion and must
come out neutral, not as the least-unlikely emotion. For ``nade`` the intensities are
annotator-scale regressions in [0, 1] that never reach 0 (flat sentences get ~0.2 somewhere), so
neutral scores at the level the model gives the neutral prototypes: an emotion must rise above
what flat text gets. For the prototypes neutral has its own prototype sentences; for the lexicon
a prior below one word association.

**Plutchik onto the labels.** joy -> happy, sadness -> sad, anger -> angry, fear -> fearful,
surprise -> surprised, disgust -> disgusted. *Trust* and *anticipation* have no label: they are
not emotions a face or voice shows, and neither says which of the seven is present (trust is
mild positive regard, anticipation is expectancy, and both are high on flat requests and
questions: "Who are you?" scores trust 0.21, anticipation 0.15). They are left out, so they
neither add an emotion nor count against neutral.

Speed: after loading (~1 s for nade, ~1-10 s for MiniLM), a sentence costs ~2 ms of CPU in nade
and ~10-20 ms in MiniLM on one core; the guard's look-ups are cached by the scorer.

Thread-safety: models load once behind a lock; fastText and LightGBM predictions run under a
per-model lock (they are fast, and LightGBM's C API is not documented as re-entrant).
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..emotions import LABELS, NEUTRAL, Label, label_of, mixture, normalize, ranked
from ..errors import ModelError
from . import ENGLISH_READING, ModalityEvidence, absent, one_turn
from .own_words import OwnWordsReading

log = logging.getLogger(__name__)

Scores = dict[Label, float]

METHODS = ("nade", "prototypes", "lexicon", "ensemble")
DEFAULT_METHOD = "ensemble"
MAX_CHARS = 2000  # a subtitle is a few sentences; a pasted essay is cut rather than slowing serve down
# Words that show no emotion keep this share of their weight in the fusion (rule 1b there): what
# people say is mostly about things, so a flat sentence ("Dogs are sitting by the door.") is no
# evidence that the speaker is calm, and its small tilts are noise. Measured with the sentences
# real acted speech says (RAVDESS's two, EmoDB's ten in English) beside each clip's voice,
# audio only: first-named 0.36 -> 0.39 (RAVDESS) and 0.33 -> 0.53 (EmoDB) at 0.25, in both halves
# of the speakers of each; 0.38 / 0.49 at 0.5; the same as 0.25 at 0.
FLAT_WORDS_WEIGHT = 0.25

_LOAD_LOCK = threading.RLock()  # re-entrant: the ensemble loads its members under it


class TextEmotionModel(Protocol):
    """English text -> scores over ``LABELS`` (summing to 1), one dict per text."""

    name: str

    def scores(self, texts: Sequence[str]) -> list[Scores]: ...


# --- nade: emoji prediction + Plutchik regressors ------------------------------------------------

NADE_PACKAGE = "nade"
NADE_FOLDER = "data/socialmedia_en"
NADE_CLASSIFIER = "nade_250k_hp.ftz"
NADE_EMOTIONS = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
PLUTCHIK_TO_LABEL: dict[str, Label] = {"joy": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
                                       "surprise": "surprised", "disgust": "disgusted"}
_PUNCT = re.compile(r"\s*([^\w\s]+)\s*")
_SPACE = re.compile(r"\s+")


class NadeModel:
    """The ``nade`` wheel's two stages, loaded straight from its files.

    Stage 1 is a fastText classifier over 151 emojis; its probabilities, in the order of the
    emoji ids, are the features of stage 2, one LightGBM regressor per Plutchik emotion. The
    package's own loader unpacks the regressors next to itself (fails on a read-only install)
    and needs pyarrow; reading the gzipped model text directly needs neither.
    """

    name = "nade"

    def __init__(self) -> None:
        import fasttext
        import lightgbm as lgb

        from ..assets import package_file

        base = package_file(NADE_PACKAGE, NADE_FOLDER, pip_name="nade")
        try:
            # _FastText directly: fasttext.load_model only adds a warning printed to stderr.
            self._ft = fasttext.FastText._FastText(model_path=str(base / NADE_CLASSIFIER))
            ids = sorted(int(lab.removeprefix("__label__")) for lab in self._ft.get_labels())
            self._column = {f"__label__{i}": col for col, i in enumerate(ids)}
            self._regs = {}
            for emo in NADE_EMOTIONS:
                if emo in PLUTCHIK_TO_LABEL:
                    with gzip.open(base / f"reg_{emo}.txt.gz", "rt", encoding="utf-8") as fh:
                        self._regs[emo] = lgb.Booster(model_str=fh.read())
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelError(f"cannot load the nade model from {base}: {exc}. Reinstall it with "
                             "`pip install --force-reinstall --no-deps nade==0.3.1`") from exc
        self._lock = threading.Lock()

    @staticmethod
    def _prepare(text: str) -> str:
        # The model's training preprocessing: punctuation runs spaced out, lower case.
        return _SPACE.sub(" ", _PUNCT.sub(r" \1 ", text)).lower().strip()

    def intensities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Plutchik intensities in [0, 1] (the six with a label), one dict per text."""
        if not texts:
            return []
        lines = [self._prepare(t) or "." for t in texts]
        with self._lock:
            labels, probs = self._ft.predict(lines, k=len(self._column))
            feats = np.zeros((len(lines), len(self._column)), dtype=np.float64)
            for row, (labs, ps) in enumerate(zip(labels, probs)):
                for lab, p in zip(labs, ps):
                    feats[row, self._column[lab]] = p
            raw = {emo: np.clip(reg.predict(feats, num_threads=1), 0.0, 1.0) for emo, reg in self._regs.items()}
        return [{emo: float(v[i]) for emo, v in raw.items()} for i in range(len(lines))]

    @functools.cached_property
    def flat_level(self) -> float:
        """The strongest intensity the model gives flat text, on average: measured on the
        neutral prototypes (generic everyday sentences), never on an evaluation set."""
        return float(np.mean([max(i.values()) for i in self.intensities(PROTOTYPES[NEUTRAL])]))

    def scores(self, texts: Sequence[str]) -> list[Scores]:
        # Neutral competes as if it were an emotion at the flat-text level: a sentence is neutral
        # unless some emotion is stronger than what flat sentences get anyway. (Measured
        # alternative: each emotion's excess over its own flat-text mean, neutral at the mean
        # excess. Worse on both sets: sentence accuracy 0.64 vs 0.68, EMER Fs 0.23 vs 0.23,
        # neutral recall 0.28 vs 0.78; the ensemble 0.82 vs 0.85.)
        flat = self.flat_level
        out = []
        for inten in self.intensities(texts):
            sc: dict[str, float] = {PLUTCHIK_TO_LABEL[e]: v for e, v in inten.items()}
            sc[NEUTRAL] = flat
            out.append(normalize(sc))
        return out


# --- prototypes: MiniLM similarity to short generic sentences -----------------------------------

# Written for this purpose: first-person, plain, one feeling each, no names or situations from
# any test set. Neutral ones are everyday statements and questions with no feeling in them.
PROTOTYPES: dict[Label, tuple[str, ...]] = {
    "neutral": ("Here is the information you asked for.", "What time is it?", "I will do it later today.",
                "The document is on the table.", "Where should we meet?", "It is a normal day.",
                "Let me explain how it works.", "I have a question about the schedule."),
    "happy": ("I am so happy.", "This is wonderful.", "I feel great today.", "What fantastic news!",
              "I am delighted and grateful.", "That is so funny, I am laughing.", "Hooray, we did it!",
              "I am glad and cheerful."),
    "sad": ("I feel so sad.", "I am heartbroken.", "I feel lonely and empty.", "This is so depressing.",
            "I want to weep.", "I am grieving.", "I feel hopeless.", "I am sorrowful and down."),
    "angry": ("I am so angry.", "This makes me furious!", "I am sick of this.", "That is outrageous!",
              "You infuriate me!", "I am mad at you.", "I am fed up with this nonsense.", "Enough, I am livid!"),
    "fearful": ("I am frightened.", "I am terrified.", "I feel anxious and panicked.", "Something bad is going to happen.",
                "I am in danger!", "I dread it.", "I am so nervous.", "It frightens me."),
    "surprised": ("What a surprise!", "I am astonished.", "That is unexpected.", "I am amazed.",
                  "That caught me off guard.", "I am stunned.", "Oh! I never saw that coming.",
                  "That is so surprising."),
    "disgusted": ("That is disgusting.", "Ew, gross!", "It makes me want to throw up.", "That smells awful.",
                  "Yuck, that is revolting.", "I find that repulsive.", "That is vile and filthy.",
                  "It is nauseating."),
}
PROTOTYPE_TOP_K = 3  # a label's similarity: mean of its best 3 prototypes (one lucky match is noise)
PROTOTYPE_TEMPERATURE = 0.05  # cosine differences of ~0.1 between labels are a clear preference


class PrototypeModel:
    """Cosine similarity to each label's prototypes, softmax over labels."""

    name = "prototypes"

    def __init__(self) -> None:
        from ..scoring.embed import get_encoder

        # The scorer's MiniLM (one copy per process), cutting at 128 tokens: its 32 fit emotion
        # words, not subtitles.
        self._enc = get_encoder().with_max_length(128)
        self._labels = [lab for lab in LABELS for _ in PROTOTYPES[lab]]
        self._protos = self._enc.encode([p for lab in LABELS for p in PROTOTYPES[lab]])
        self._lock = threading.Lock()

    def scores(self, texts: Sequence[str]) -> list[Scores]:
        if not texts:
            return []
        with self._lock:
            sims = self._enc.encode(list(texts)) @ self._protos.T
        labels = np.array(self._labels)
        out = []
        for row in sims:
            per = np.array([np.sort(row[labels == lab])[-PROTOTYPE_TOP_K:].mean() for lab in LABELS])
            z = np.exp((per - per.max()) / PROTOTYPE_TEMPERATURE)
            out.append(dict(zip(LABELS, (z / z.sum()).tolist())))
        return out


# --- lexicon: the scorer's emotion-word reader + NRC associations --------------------------------

NRC_TO_LABEL: dict[str, Label] = {"joy": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
                                  "surprise": "surprised", "disgust": "disgusted"}
NAMED_WEIGHT = 1.0  # a word that names an emotion ("furious") ...
ASSOCIATED_WEIGHT = 0.5  # ... counts twice an NRC association ("ridiculous": anger, disgust)
NEUTRAL_PRIOR = 0.4  # neutral's weight: below one word association, so any emotion word outweighs it
NEGATED_FLIP = 0.5  # "not happy" reads as discontent (sad), "not sad" as mildly positive
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class LexiconModel:
    """Named emotion words (through the scorer's extractor) plus NRC word associations."""

    name = "lexicon"

    def __init__(self) -> None:
        from ..assets import package_file
        from ..scoring.extract import HEDGES, INTENSIFIERS, NEGATORS
        from ..scoring.pipeline import default_extractor

        self._extractor = default_extractor()
        self._nrc: dict[str, list[str]] = json.loads(
            package_file("nrclex", "data/nrc_en.json").read_text(encoding="utf-8"))
        self._negators, self._hedges, self._intens = NEGATORS, HEDGES, INTENSIFIERS
        self._lemma = self._extractor.canon.light_lemma

    def _associations(self, text: str, acc: dict[str, float]) -> None:
        toks = _WORD.findall(text.lower())
        for i, tok in enumerate(toks):
            cats = self._nrc.get(tok) or self._nrc.get(self._lemma(tok))
            if not cats:
                continue
            window = toks[max(0, i - 3):i]
            weight = ASSOCIATED_WEIGHT
            if window and window[-1] in self._intens:
                weight *= 1.5
            elif window and window[-1] in self._hedges:
                weight *= 0.5
            negated = any(w in self._negators or w.endswith("n't") for w in window)
            labels = [NRC_TO_LABEL[c] for c in cats if c in NRC_TO_LABEL]
            if negated:
                if "positive" in cats and "negative" not in cats:
                    acc["sad"] += weight * NEGATED_FLIP
                continue
            if not labels and ("positive" in cats) != ("negative" in cats):
                labels = ["happy"] if "positive" in cats else []  # valence alone: only positive is one label
            for lab in labels:
                acc[lab] += weight / len(labels)

    def scores(self, texts: Sequence[str]) -> list[Scores]:
        out = []
        for text in texts:
            acc: dict[str, float] = dict.fromkeys(LABELS, 0.0)
            acc[NEUTRAL] = NEUTRAL_PRIOR
            ex = self._extractor.extract(text)
            for m in ex.mentions:
                lab = label_of(m.word) if not m.neutral else NEUTRAL
                if lab is None:
                    continue
                if m.negated:
                    if lab == "happy":
                        acc["sad"] += NAMED_WEIGHT * NEGATED_FLIP
                    elif lab != NEUTRAL:
                        acc["happy"] += NAMED_WEIGHT * NEGATED_FLIP * 0.5
                else:
                    acc[lab] += NAMED_WEIGHT * m.intensity
            if not ex.mentions:
                self._associations(text, acc)
            out.append(normalize(acc))
        return out


# --- the ensemble ---------------------------------------------------------------------------------

NEGATED_KEEP = 0.2  # a negated emotion ("not happy") keeps this share of its score


def negation_guard(text: str, scores: Scores) -> Scores:
    """Take a named-and-negated emotion out of ``scores``: "I am not happy" must not read happy.

    Sentence models see "not happy" close to "happy". The scorer's emotion-word reader knows the
    negation scope; each negated word's label keeps ``NEGATED_KEEP`` of its score and the rest of
    the evidence decides (no guess of what "not happy" means instead: sad, angry or just flat).
    """
    from ..scoring.pipeline import default_extractor

    negated = {label_of(w) for w in default_extractor().extract(text).negated} - {None, NEUTRAL}
    if not negated:
        return scores
    return normalize({lab: p * (NEGATED_KEEP if lab in negated else 1.0) for lab, p in scores.items()})


def names_a_feeling(text: str) -> bool:
    """Whether ``text`` names an emotion outright and does not negate it ("I'm so happy", "What a
    surprise!", not "I am not happy"): the scorer's emotion-word reader finds a word of a label
    other than neutral. A word that names a feeling survives a rough translation better than the
    rest of a sentence does (``cues.rough_translation`` says where this decides)."""
    from ..scoring.pipeline import default_extractor

    return any(label_of(w) not in (None, NEUTRAL) for w in default_extractor().extract(text).words)


class EnsembleModel:
    """Weighted mean of the members' distributions (each sums to 1), then the negation guard.

    No agreement step (the reading made as sure as the members agree): measured and off (the
    module docstring says why); it lives in ``eval/words_channel.py`` (``AgreementEnsemble``).
    """

    def __init__(self, members: Sequence[TextEmotionModel], weights: Sequence[float] | None = None,
                 negation: bool = True) -> None:
        self.members = list(members)
        self.weights = list(weights or [1.0] * len(self.members))
        self.negation = negation
        self.name = "+".join(m.name for m in self.members) + ("+negation" if negation else "")

    def combine(self, dists: Sequence[Scores], text: str) -> Scores:
        """The members' readings ``dists`` of ``text`` as one: their mean, then the negation guard."""
        mean = mixture(dists, self.weights)
        return negation_guard(text, mean) if self.negation else mean

    def member_scores(self, texts: Sequence[str]) -> list[list[Scores]]:
        """Each member's readings of ``texts``: one list per text, one dict per member."""
        per = [m.scores(texts) for m in self.members]
        return [[p[i] for p in per] for i in range(len(texts))]

    def scores(self, texts: Sequence[str]) -> list[Scores]:
        return [self.combine(dists, text) for dists, text in zip(self.member_scores(texts), texts)]


ENSEMBLE_MEMBERS = ("prototypes", "nade")


@functools.cache
def _load(method: str) -> TextEmotionModel:
    if method == "ensemble":
        members = []
        for name in ENSEMBLE_MEMBERS:
            try:
                members.append(get_model(name))
            except (ImportError, ModelError) as exc:  # a broken install degrades, loudly, not fatally
                log.warning("words channel: %s unavailable (%s); the ensemble goes on without it", name, exc)
        return EnsembleModel(members or [get_model("lexicon")])
    start = time.perf_counter()
    model: TextEmotionModel = {"nade": NadeModel, "prototypes": PrototypeModel, "lexicon": LexiconModel}[method]()
    log.info("words channel: loaded %s in %.1f s", method, time.perf_counter() - start)
    return model


def get_model(method: str = DEFAULT_METHOD) -> TextEmotionModel:
    """The process-wide reader ``method`` (loaded on first use, once, even from many threads)."""
    if method not in METHODS:
        raise ValueError(f"unknown words-channel method {method!r}: use one of {', '.join(METHODS)}")
    with _LOAD_LOCK:
        return _load(method)


# --- reading a text: sentence by sentence, over the hypotheses of what was said -------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A sentence counts by (1 - its neutral score) ** SENTENCE_WEIGHT_POWER: a flat sentence beside an
# emotional one weighs little. Measured (eval/words_channel.py): one flat sentence joined to each
# emotional sentence of the sentence set, and 30 pairs of flat ones; reading the whole text, an
# emotional sentence with a flat one was read right 0.68 of the time; by sentences, with power 1,
# 2, 3, 4: 0.80, 0.83, 0.83, 0.83; flat pairs stayed neutral 0.90 whole, 0.93, 0.87, 0.87, 0.83.
# EMER-v2 Fs 0.335 whole, 0.338 at power 2 (99 of its 311 subtitles hold more than one sentence).
SENTENCE_WEIGHT_POWER = 2


def sentences(text: str) -> list[str]:
    """``text`` cut after each ``.``, ``!`` or ``?`` that a space follows; pieces without letters
    ("...") are left out. A text that does not split is one sentence."""
    parts = [s for s in _SENTENCE_END.split(text.strip()) if any(ch.isalpha() for ch in s)]
    return parts or [text]


def read(model: TextEmotionModel, texts: Sequence[str]) -> list[Scores]:
    """Each text read sentence by sentence, one model call for all of them.

    Why not the whole text at once: a sentence model averages what a text says, so "No, I told
    you three times already. This is completely unacceptable." reads as barely angry (0.23, the
    first sentence being flat), though the second sentence alone reads angry at 0.39 (read by
    sentences, the whole: 0.33). People say one
    emotional sentence among plain ones; the emotional one carries the feeling. Each sentence's
    scores are weighted by how emotional it reads (:data:`SENTENCE_WEIGHT_POWER`); a text of flat
    sentences stays flat.
    """
    return [combine_sentences(rows) for rows in read_sentences(model, texts)]


def read_sentences(model: TextEmotionModel, texts: Sequence[str]) -> list[list[Scores]]:
    """Each text's sentences (:func:`sentences`), each read on its own: one model call for all."""
    split = [sentences(t) for t in texts]
    flat = model.scores([s for parts in split for s in parts])
    out, at = [], 0
    for parts in split:
        out.append(flat[at:at + len(parts)])
        at += len(parts)
    return out


def combine_sentences(rows: Sequence[Scores]) -> Scores:
    """One text's reading from its sentences' (:func:`read`): each weighted by how emotional it reads."""
    if len(rows) == 1:
        return rows[0]
    return mixture(list(rows), [(1.0 - r[NEUTRAL]) ** SENTENCE_WEIGHT_POWER for r in rows])


# A sentence *plainly* says an emotion when that emotion reads more than half of it (and leads the
# next by the fusion's clear margin): "I'm so happy for you." 0.85, "I'm furious." 0.69. Real dialogue rarely does:
# of EMER-v2's 99 subtitles of several sentences, 25 hold two sentences whose clear labels
# (the fusion's bar, 0.25) differ, and the later label was among the human description's emotions
# 13 times, no more often than the text's runner-up label (43 of 76); at 0.5 none of the 99 turns.
# So a turn is claimed only where the words say each emotion outright.
PLAIN_SENTENCE = 0.5


def turn_of(rows: Sequence[Scores]) -> tuple[Label, Label] | None:
    """``(before, after)`` when the sentences that plainly say an emotion say one, then another, and
    do not go back: "This is the best news I've heard all year. I'm so happy for you. ... You lied
    to me again. I'm furious." -> ``("happy", "angry")``. None otherwise (one emotion, none, or a
    back-and-forth that no single turn describes). Why: the words' mixture named the happiness
    and hid the anger the speaker ended on ("happy, and possibly sad" from a sad-looking face)."""
    from .fusion import clear_label_of

    return one_turn([lab for r in rows if (lab := clear_label_of(r, PLAIN_SENTENCE)) not in (None, NEUTRAL)])


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_CHARS]


def words_evidence(text: str | Sequence[str] | None, *, reliability: float = 1.0,
                   method: str = DEFAULT_METHOD, own: OwnWordsReading | None = None,
                   own_reliability: float = 1.0) -> ModalityEvidence:
    """The words channel's reading of ``text`` (English), as evidence for the fusion.

    ``text`` may be several hypotheses of what was said (two speech models heard a word
    differently: "completely acceptable" / "completely unacceptable"); each is read and the
    channel's scores are their mean, so a disputed word counts as much as the hypotheses that hold
    it. Empty or missing text, or text with no letters, is absent evidence (reliability 0).
    ``reliability`` is the caller's trust in the words (a shaky transcript: lower); it is passed
    through, clipped to [0, 1].

    ``own`` is the reading of the words in their own language (``own_words``: emotion words of
    the languages it lists), found only when the words name or express a feeling; it is trusted
    at ``own_reliability`` (the share of words heard well). The channel is then the mean of the
    two readings weighted by their trust, and trusted as the better of them: a
    named feeling heard clearly ("triste") stands even when the translation is rough or was
    never made (a given Chinese subtitle).

    ``detail["turn"]`` is ``[before, after]`` where the English sentences plainly say one emotion,
    then another (:func:`turn_of`; every hearing must hold it), or the own-language words do
    (``own.turn``; where both readings find a turn and they differ, there is none), None where
    they do not; absent without a reading.
    """
    given = [text] if text is None or isinstance(text, str) else list(text)
    readable = [c for c in dict.fromkeys(_clean(t) for t in given) if any(ch.isalpha() for ch in c)]
    if not readable and own is None:
        return absent("words", "no words" if not any(_clean(t) for t in given) else "no words in the text")
    readings, weights = [], []  # each reading with its trust; the channel is trusted as the best
    turn = None
    if readable:
        per_text = read_sentences(get_model(method), readable)
        readings.append(mixture([combine_sentences(rows) for rows in per_text]))
        weights.append(_unit(reliability))
        # Claimed only when every hearing holds it: a turn that rests on a disputed word is not one.
        turns = {turn_of(rows) for rows in per_text}
        turn = turns.pop() if len(turns) == 1 else None
    if own is not None:
        readings.append(own.scores)
        weights.append(_unit(own_reliability))
    scores = mixture(readings, weights if sum(weights) > 0 else None)
    top = ranked(scores)
    detail: dict = {"top": top[0][0], "margin": round(top[0][1] - top[1][1], 3)}
    if len(readable) > 1:
        detail["hypotheses"] = len(readable)
    if own is not None and own.turn is not None:  # the own-language words' turn, unless the English says another
        turn = own.turn if turn in (None, own.turn) else None
    if readable or own is not None:  # read by sentences: a turn, or None (the checker holds change claims to it)
        detail["turn"] = list(turn) if turn is not None else None
    if any(len(_clean(t)) < len(" ".join((t or "").split())) for t in given):
        detail["truncated_to"] = MAX_CHARS
    # Which readings the scores hold: the English models' and/or the own-language list's. Only
    # words the English models read are handed to the LLM to interpret (``textualized._has``).
    detail["readings"] = ([ENGLISH_READING] if readable else []) + (["own_words"] if own is not None else [])
    if own is not None:
        detail["own_words"] = own.to_dict()
    name = "+".join(([f"words-{method}-v2"] if readable else []) + (["own-words-v1"] if own is not None else []))
    return ModalityEvidence(modality="words", scores=scores, reliability=max(weights), method=name, detail=detail,
                            flat_weight=FLAT_WORDS_WEIGHT)


def _unit(x: float) -> float:
    return min(1.0, max(0.0, float(x)))
