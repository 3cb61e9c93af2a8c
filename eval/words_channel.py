"""Measure the words channel's candidate readers against each other and against the old NRC vote.

Two measurements:

1. **EMER-v2** (``../shared/data/emer-v2/final-EMER-reason.csv``: 332 human-checked English
   descriptions of real clips). Each description quotes the clip's subtitle ("In the text, the
   subtitle reads, "..."" ); that quote is the input. The reference is the description's own
   emotion words *outside* the quote (the scorer's extractor). The descriptions judge the whole
   clip (face, voice and words), so no words-only reader can match them fully: this measures how
   much of the clip's emotion the words alone recover. Figures: OV-MER Fs (affect mode, the
   five-wheel level-1 headline) of the top-1 label; *hit*: the top-1 label is the label of one of
   the reference words (``emotions.label_of``); *valence*: the top-1 label's valence sign equals
   the sign of the reference words' summed valence.
2. **The sentence set** ``tests/data/words_sentences.jsonl`` (written for this, >= 15 plain
   sentences per label, negations and anger without anger words among them): accuracy of the
   top-1 label, per-label recall, and milliseconds per sentence one at a time after warm-up
   (median wall time, and median CPU time of the process, which other load on the machine
   disturbs less).
3. **Sentence pairs** (``sentence_pairs``): each emotional sentence of that set joined to a flat
   one, and 30 pairs of flat sentences: *pairs_acc* is the top-1 accuracy, *pairs_neutral* how
   many flat pairs stay neutral.
4. **Flat scripts** (``FLAT_SCRIPTS``): the emotionally flat sentences that real acted corpora
   have every actor say in every emotion (CREMA-D's 12, RAVDESS's 2, TESS's carrier with every
   sixth NU-6 word, SAVEE's two common TIMIT sentences, EmoDB's 10 and EMOVO's 14 in English),
   written here from the corpora's published scripts, text only. *false_leads*: the share the
   reader gives a clear non-neutral label (``fusion.clear_label``), which the fusion trusts over
   the voice: the speaker's emotion is not in these words. Beside it, *clear_right*: the share of
   the sentence set's emotional sentences read clearly *and* right (what a cure must not cost),
   *emer_clear*: the share of EMER subtitles read as a clear emotion, and *emer_clear_right*: the
   share read clearly *and* as one of the reference's labels (what the flat-script cure must
   not cost in natural dialogue). *fl_TESS_all*: false leads on all 200 TESS words, some of which
   name a feeling ("hate", "death").

"before" is the old words channel: ``cues.word_cues`` and the words part of
``cues.candidate_emotions`` (face and voice absent) as they were at commit 66d3140, frozen here,
its words read to labels by ``label_of``.

5. **Saved pipeline runs re-fused** (``--refuse eval/results/real_speech_*_pipeline.json``): each
   clip's saved face and voice evidence with its words read again from the saved English (the
   translation, or what was heard when it was English; a doubtful word's "(word?)" taken as
   heard), by the ensemble with and without agreement (``AgreementEnsemble``), and fused (``fusion.fuse``): first-named
   accuracy, and how many clips' words give a clear emotion.

6. **Rough translations re-fused** (``--rough eval/results/real_speech_*_pipeline84.json``): those
   runs read a transcript's rough English (``translation_reliable`` False) at half weight and
   saved that evidence; each such clip is fused again with its words read always (as saved),
   never (its own-language emotion words, else nothing), or as shipped (``cues.rough_translation``:
   where the English names a feeling and no word was heard with doubt, or at most 1 word in 8 was heard with doubt, counted from
   the "(word?)" marks; the translation's log-probability is not saved, so its check is taken as
   passed where words were in doubt, and as failed where none were: then that is why it is rough); and each rule alone (names a feeling, whatever the doubt; the doubtful share up to 1/8, 1/6, 1/4). The
   figures in ``cues.rough_translation``'s docstring come from here.

Run: ``python eval/words_channel.py [--skip-llm] [--emer CSV] [--json OUT] [--refuse JSON ...] [--rough JSON ...]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from affect_llm.emotions import LABELS, NEUTRAL, VALENCE, Label, label_of, mixture, normalize, ranked, uniform  # noqa: E402
from affect_llm.evidence.words import SENTENCE_WEIGHT_POWER, EnsembleModel, negation_guard, sentences  # noqa: E402

DEFAULT_EMER = ROOT.parent / "shared" / "data" / "emer-v2" / "final-EMER-reason.csv"
SENTENCES = ROOT / "tests" / "data" / "words_sentences.jsonl"
QUOTE = re.compile(r"[\"\u201c]([^\"\u201d]{2,600})[\"\u201d]")
Predictor = Callable[[Sequence[str]], list[list[str]]]  # texts -> predicted words/labels, strongest first
Scorer = Callable[[Sequence[str]], list[dict[Label, float]]]  # texts -> scores over LABELS


# --- EMER: subtitle and reference --------------------------------------------------------------

def emer_items(path: Path) -> list[dict]:
    """``{"id", "subtitle", "reference"}`` for every description that quotes its subtitle."""
    from affect_llm.scoring.pipeline import default_extractor

    ex = default_extractor()
    items = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["english"]
            start = text.find("In the text")
            if start < 0:
                start = text.lower().find("subtitle")
            m = QUOTE.search(text, max(start, 0)) if start >= 0 else None
            if m is None:
                continue  # "the subtitle content cannot be determined": nothing to read
            rest = text[:m.start()] + " " + text[m.end():]
            ref = ex.extract(rest).words
            if ref:
                items.append({"id": row["name"], "subtitle": m.group(1).strip(), "reference": ref})
    return items


def valence_sign(words: Sequence[str]) -> int:
    total = sum(VALENCE[lab] for lab in (label_of(w) for w in words) if lab is not None)
    return (total > 0) - (total < 0)


def score_emer(items: list[dict], preds: list[list[str]]) -> dict[str, float]:
    from affect_llm.scoring.openset import score_openset
    from affect_llm.scoring.records import Record

    golds = {it["id"]: Record(it["id"], emotions=tuple(it["reference"])) for it in items}
    top1 = {it["id"]: Record(it["id"], emotions=tuple(p[:1])) for it, p in zip(items, preds)}
    fs = score_openset(top1, golds, mode="affect").headline.fscore
    hits = vals = 0
    for it, p in zip(items, preds):
        first = label_of(p[0]) if p else None
        hits += first is not None and first in {label_of(w) for w in it["reference"]}
        pred_sign = 0 if first is None else (VALENCE[first] > 0) - (VALENCE[first] < 0)
        vals += pred_sign == valence_sign(it["reference"])
    n = len(items)
    neutral = sum(bool(p) and label_of(p[0]) == NEUTRAL for p in preds)
    return {"emer_fs": fs, "emer_hit": hits / n, "emer_valence": vals / n, "emer_neutral": neutral / n}


# --- candidates ----------------------------------------------------------------------------------

# The words part of the channel before (cues.word_cues + cues.candidate_emotions at commit 66d3140,
# since replaced), kept here as the frozen baseline.
OLD_NRC_WORD = {"joy": "happy", "anger": "angry", "sadness": "sad", "fear": "worried", "surprise": "surprised",
                "disgust": "disgusted", "trust": "trusting", "anticipation": "expectant"}
OLD_NEGATORS = {"not", "no", "never", "n't", "cannot", "nothing", "nobody", "without"}


def old_nrc_vote(texts: Sequence[str]) -> list[list[str]]:
    """The channel before: NRC unigram categories, negated words skipped, voted into words."""
    from collections import Counter

    from affect_llm.assets import package_file

    lex = json.loads(package_file("nrclex", "data/nrc_en.json").read_text(encoding="utf-8"))
    out = []
    for text in texts:
        tokens = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())
        counts: Counter[str] = Counter()
        for i, tok in enumerate(tokens):
            if any(w in OLD_NEGATORS or w.endswith("n't") for w in tokens[max(0, i - 3):i]):
                continue
            counts.update(lex.get(tok, ()))
        counts.pop("positive", 0), counts.pop("negative", 0)
        total = sum(counts.values())
        score: Counter[str] = Counter()
        for cat, n in counts.items():
            score[OLD_NRC_WORD[cat]] += n / total
        out.append([w for w, s in score.most_common() if s >= 0.15][:3] or ["neutral"])
    return out


def model_scores(method: str) -> Scorer:
    from affect_llm.evidence.words import get_model

    return get_model(method).scores


def mix_scores(members: Sequence[str], negation: bool = True) -> Scorer:
    """A mix that is not a named method (to show what each member and the guard add)."""
    from affect_llm.evidence.words import get_model

    return EnsembleModel([get_model(m) for m in members], negation=negation).scores


# --- agreement: measured against the shipped ensemble, off in the product (words.py says why) -----

def overlap(dists: Sequence[dict]) -> float:
    """How much the members' readings agree, in [0, 1]: the share of probability every one of
    them gives, ``sum_l min_m p_m(l)`` (for two, 1 minus their total variation distance). One
    member agrees with itself (1)."""
    return sum(min(d[lab] for d in dists) for lab in LABELS)


def toward_uniform(scores: dict, keep: float) -> dict:
    """``keep`` of ``scores`` and the rest uniform: the same order of labels, less sure."""
    u = uniform()
    return {lab: keep * scores[lab] + (1.0 - keep) * u[lab] for lab in LABELS}


def words_back(text: str, label: Label) -> bool:
    """Whether ``text`` holds a word for the emotion ``label``: the lexicon reader (a named emotion
    word, else an NRC association, negation heeded) gives ``label`` some weight.

    The members' disagreement is a reason to doubt a reading only where nothing in the words
    grounds it: a flat scripted sentence ("I think I have a doctor's appointment.": fearful) is
    written to hold no emotion word, so a lean there is the prototypes' topical closeness; in
    dialogue ("Shanshan finally returned to your embrace.": happy; NRC: embrace, finally are joy)
    a third reader that only looks up words finds the same emotion the ensemble reads.
    """
    from affect_llm.evidence.words import get_model

    return label != NEUTRAL and get_model("lexicon").scores([text])[0][label] > 0


class AgreementEnsemble(EnsembleModel):
    """The shipped ensemble (mean, negation guard), then as sure as the members agree.

    Why agreement: the members fail differently. The prototypes read topical closeness as
    feeling ("I think I have a doctor's appointment.": fearful 0.86); nade reads emoji habits
    (neutral 0.23 there, its top). On an emotional sentence they agree ("My dog died
    yesterday.": both sad, overlap 0.58; the appointment: 0.30). On a flat one, the scripted kind
    acted corpora have their actors say in every emotion, each finds a different faint lean, and
    the mean of a sharp wrong lean and a soft other one is a *clear* label (top >= 0.25, margin
    >= 0.05: ``fusion.clear_label``), which the fusion then trusts over the voice. So the reading
    is moved toward uniform by the members' :func:`overlap`: the order of the labels (what the
    channel reads) is unchanged; how sure it is, is how much the members agree. No constant:
    the disagreement itself sets the shrink. Measured and off in the product (``words.py``).

    Read a text with :meth:`read`, not ``words.read``: agreement is judged on the whole text.
    """

    def __init__(self, members: Sequence, weights: Sequence[float] | None = None, negation: bool = True) -> None:
        super().__init__(members, weights, negation)
        self.name = "+".join(m.name for m in self.members) + "+agreement" + ("+negation" if negation else "")

    def combine(self, dists: Sequence[dict], text: str, agreement: bool = True) -> dict:
        """The members' readings ``dists`` of ``text`` as one: mean, negation guard, agreement."""
        mean = super().combine(dists, text)
        return toward_uniform(mean, self.keep(dists, text, mean)) if agreement else mean

    def keep(self, dists: Sequence[dict], text: str, reading: dict) -> float:
        """How much of ``reading`` (the members' ``dists`` of ``text``, combined) agreement keeps,
        the rest going uniform: their :func:`overlap`, or all of it where :func:`words_back` it."""
        agree = overlap(dists)
        return 1.0 if agree < 1.0 and words_back(text, ranked(reading)[0][0]) else agree

    def read(self, texts: Sequence[str]) -> list[dict]:
        """Each text read sentence by sentence, as ``words.read`` does, then as sure as the members
        agree on the whole of it.

        The sentences are weighted by their plain reading (before agreement: a flat sentence must
        not weigh more because its members disagree on it, so that its reading is near uniform);
        the members' agreement is that of their readings pooled with the same weights.
        """
        split = [sentences(t) for t in texts]
        flat = self.member_scores([s for parts in split for s in parts])
        out, at = [], 0
        for text, parts in zip(texts, split):
            rows, at = flat[at:at + len(parts)], at + len(parts)
            if len(rows) == 1:
                out.append(self.combine(rows[0], text))
                continue
            plain = [self.combine(dists, s, agreement=False) for dists, s in zip(rows, parts)]
            weights = [(1.0 - p[NEUTRAL]) ** SENTENCE_WEIGHT_POWER for p in plain]
            reading = mixture(plain, weights)
            pooled = [mixture([dists[k] for dists in rows], weights) for k in range(len(self.members))]
            out.append(toward_uniform(reading, self.keep(pooled, text, reading)))
        return out


def by_sentence(model) -> Scorer:
    """Sentence by sentence, pooled by emotionality: ``words.read`` (what the channel ships), or
    an ``AgreementEnsemble``'s own reading."""
    from affect_llm.evidence.words import read

    if isinstance(model, AgreementEnsemble):
        return lambda texts: model.read(list(texts))
    return lambda texts: read(model, list(texts))


def ensemble_by_sentence(agreement: bool = True, rule: str | None = None) -> Scorer:
    """The shipped members read by sentence: with or without agreement (off in the product), or another ``rule``."""
    from affect_llm.evidence.words import ENSEMBLE_MEMBERS, get_model

    members = [get_model(m) for m in ENSEMBLE_MEMBERS]
    if rule:
        return by_sentence(VariantEnsemble(members, rule))
    return by_sentence(AgreementEnsemble(members) if agreement else EnsembleModel(members))


def _geometric(dists: Sequence[dict]) -> dict:
    return normalize({lab: math.prod(d[lab] for d in dists) ** (1 / len(dists)) for lab in LABELS})


def _weakest(dists: Sequence[dict]) -> dict:
    return normalize({lab: min(d[lab] for d in dists) for lab in LABELS})


def _disagreement_to_neutral(dists: Sequence[dict]) -> dict:
    mean = dict(mixture(dists))
    if len({ranked(d)[0][0] for d in dists}) > 1:  # the members' top labels differ
        mean[NEUTRAL] += 1 - sum(min(d[lab] for d in dists) for lab in LABELS)
    return normalize(mean)


# Combinations of the members measured against the agreement rule and dropped (agreement itself is off: words.py).
RULES = {"geometric mean": _geometric, "weaker member per label": _weakest,
         "disagreement to neutral": _disagreement_to_neutral}


class VariantEnsemble(EnsembleModel):
    """The shipped ensemble with its combination replaced by one of ``RULES`` (then the guard)."""

    def __init__(self, members: Sequence, rule: str) -> None:
        super().__init__(members)
        self.rule = RULES[rule]

    def combine(self, dists, text):
        return negation_guard(text, self.rule(dists))


def _overlap_always(dists, text, reading) -> float:
    return overlap(dists)


def _sqrt_overlap(dists, text, reading) -> float:
    return math.sqrt(overlap(dists))


def _overlap_if_tops_differ(dists, text, reading) -> float:
    return 1.0 if len({ranked(d)[0][0] for d in dists}) == 1 else overlap(dists)


def _overlap_unless_named(dists, text, reading) -> float:
    """Kept whole where the scorer's reader finds a named, unnegated emotion word of any label."""
    from affect_llm.scoring.pipeline import default_extractor

    named = any(not m.neutral and not m.negated and label_of(m.word) not in (None, NEUTRAL)
                for m in default_extractor().extract(text).mentions)
    return 1.0 if named else overlap(dists)


def _overlap_unless_lexicon_emotional(dists, text, reading) -> float:
    """Kept whole where the lexicon reader's top label is an emotion (whichever)."""
    from affect_llm.evidence.words import get_model

    return 1.0 if ranked(get_model("lexicon").scores([text])[0])[0][0] != NEUTRAL else overlap(dists)


# How much of the reading agreement keeps (``AgreementEnsemble.keep``), measured against its own
# (the overlap unless :func:`words_back`) and dropped.
KEEP_RULES = {"overlap always (628b204)": _overlap_always, "sqrt(overlap)": _sqrt_overlap,
              "overlap if the members' tops differ": _overlap_if_tops_differ,
              "overlap unless a named emotion word": _overlap_unless_named,
              "overlap unless the lexicon reads an emotion": _overlap_unless_lexicon_emotional}


class KeepVariant(AgreementEnsemble):
    """The agreement ensemble with its ``keep`` replaced by one of ``KEEP_RULES``."""

    def __init__(self, members: Sequence, keep: str) -> None:
        super().__init__(members)
        self.keep_rule = KEEP_RULES[keep]

    def keep(self, dists, text, reading):
        return self.keep_rule(dists, text, reading)


def keep_by_sentence(keep: str) -> Scorer:
    from affect_llm.evidence.words import ENSEMBLE_MEMBERS, get_model

    return by_sentence(KeepVariant([get_model(m) for m in ENSEMBLE_MEMBERS], keep))


def as_labels(score: Scorer) -> Predictor:
    return lambda texts: [[lab for lab, _ in ranked(s)] for s in score(list(texts))]


class LLMScorer:
    """The bundled SmolLM2: log-likelihood of each label word after a one-word-answer prompt,
    calibrated by the same prompt on a content-free input (Zhao et al. 2021, "Calibrate before
    use"), because a 135M model's label prior is stronger than its reading of the sentence."""

    name = "smollm2"
    PROMPT = ('Which emotion does the speaker of this sentence feel?\nSentence: "{text}"\n'
              "Answer with one word: " + ", ".join(LABELS) + ".")

    def __init__(self) -> None:
        import torch

        from affect_llm.llm import chat_prompt, load_llm

        self.torch = torch
        self.llm = load_llm("smollm2", dtype="float32")
        self.chat_prompt = chat_prompt
        self.prior = self._logprobs("N/A")

    def _logprobs(self, text: str) -> dict[Label, float]:
        torch, tok = self.torch, self.llm.tokenizer
        prompt = self.chat_prompt(self.llm, [{"role": "user", "content": self.PROMPT.format(text=text)}])
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        rows = [p_ids + tok(lab, add_special_tokens=False)["input_ids"] for lab in LABELS]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), tok.pad_token_id)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):  # right padding: the label tokens sit right after the prompt
            ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        with torch.inference_mode():
            logp = self.llm.model(input_ids=ids, attention_mask=mask).logits.log_softmax(-1)
        out = {}
        for i, (lab, r) in enumerate(zip(LABELS, rows)):
            out[lab] = sum(float(logp[i, t - 1, r[t]]) for t in range(len(p_ids), len(r)))
        return out

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        import math

        res = []
        for t in texts:
            lp = self._logprobs(t)
            sc = normalize({lab: math.exp(lp[lab] - self.prior[lab]) for lab in LABELS})
            res.append(sorted(LABELS, key=lambda lab: -sc[lab]))
        return res


# --- the sentence set ----------------------------------------------------------------------------

def load_sentences(path: Path = SENTENCES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentence_pairs(sents: list[dict], flat_pairs: int = 30, seed: int = 0) -> list[dict]:
    """Two-sentence texts: each emotional sentence of the set joined (before or after, at random)
    to one of its flat sentences, labelled with the emotion; and ``flat_pairs`` pairs of flat
    sentences, labelled neutral. People say one emotional sentence among plain ones."""
    import random

    rng = random.Random(seed)
    flat = [s["text"] for s in sents if s["label"] == NEUTRAL]
    out = []
    for s in sents:
        if s["label"] != NEUTRAL:
            other = rng.choice(flat)
            text = f"{other} {s['text']}" if rng.random() < 0.5 else f"{s['text']} {other}"
            out.append({"text": text, "label": s["label"]})
    for _ in range(flat_pairs):
        a, b = rng.sample(flat, 2)
        out.append({"text": f"{a} {b}", "label": NEUTRAL})
    return out


def score_sentences(sents: list[dict], predict: Predictor) -> dict[str, float]:
    predict([sents[0]["text"]])  # warm-up: loading is not what serve pays per request
    times, cpu, right = [], [], {lab: [0, 0] for lab in LABELS}
    for s in sents:
        t0, c0 = time.perf_counter(), time.process_time()
        p = predict([s["text"]])[0]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        first = label_of(p[0]) if p else NEUTRAL
        right[s["label"]][0] += first == s["label"]
        right[s["label"]][1] += 1
    out = {"acc": sum(r[0] for r in right.values()) / len(sents),
           "ms": 1000 * statistics.median(times), "cpu_ms": 1000 * statistics.median(cpu)}
    out.update({f"r_{lab[:4]}": r[0] / r[1] for lab, r in right.items()})
    return out

# --- flat scripts of real acted corpora ----------------------------------------------------------

# Written from each corpus's published script (text only, no audio): sentences chosen to carry no
# emotion, so that actors can say each in every emotion. EmoDB's and EMOVO's in plain English.
NU6_WORDS = """back bar base bath bean beg bite boat bone book bought burn cab calm came cause chain chair chalk
chat check cheek chief choice cool dab date dead death deep dime dip ditch dodge dog doll door fail fall far fat fit
five food gap gas gaze germ get gin goal good goose gun half hall hash hate have haze hire hit hole home hurl jail
jar join judge jug juice keen keep keg kick kill king kite knock late laud lean learn lease lid life limb live loaf
long lore lose lot love luck make match merge mess met mill mob mode mood moon mop mouse nag name near neat nice
note numb pad page pain pass pearl peg perch phone pick pike pole pool puff rag raid rain raise rat reach read red
ring ripe road roof room rose rot rough rush said sail search seize sell shack shall shawl sheep shirt should shout
size soap soup sour south sub such sure take talk tape team tell thin third thought thumb time tip tire ton tool
tough turn vine voice void vote wag walk wash week wheat when which whip white wife wire witch yearn yes young
youth""".split()  # TESS: "Say the word ..." with the 200 words of the NU-6 list
FLAT_SCRIPTS: dict[str, list[str]] = {
    "CREMA-D": ["It's eleven o'clock.", "That is exactly what happened.", "I'm on my way to the meeting.",
                "I wonder what this is about.", "The airplane is almost full.", "Maybe tomorrow it will be cold.",
                "I would like a new alarm clock.", "I think I have a doctor's appointment.",
                "Don't forget a jacket.", "I think I've seen this before.", "The surface is slick.",
                "We'll stop in a couple of minutes."],
    "RAVDESS": ["Kids are talking by the door.", "Dogs are sitting by the door."],
    "TESS": [f"Say the word {w}." for w in NU6_WORDS[::6]],  # every sixth word: 34, no choosing
    "SAVEE": ["She had your dark suit in greasy wash water all year.",
              "Don't ask me to carry an oily rag like that."],
    "EmoDB": ["The tablecloth is lying on the fridge.", "She will hand it in on Wednesday.",
              "Tonight I could tell him.", "The black sheet of paper is up there beside the piece of wood.",
              "In seven hours it will be time.", "What are those bags standing under the table?",
              "They just carried it upstairs and now they are going down again.",
              "At the weekends I always drove home and visited Agnes.",
              "I just want to take this away and then go for a drink with Karl.",
              "It will be in the place where we always put it."],
    "EMOVO": ["The workers get up early.", "The traffic wardens are armed with pistols.",
              "The waterfall makes a lot of noise.",
              "Next autumn Tony will leave for Spain in the first half of October.",
              "Now I'll take the sweatshirt from over there and go out for a walk.",
              "A moment later he set off and tripped.", "I would like Mr. Piatti's telephone number.",
              "The strong house wants with the bread.", "The strength finds the step and the red garlic.",
              "The cat is running in the pear.", "Salad, pasta, leg of lamb, limoncello.",
              "One forty-three ten thousand fifty-seven twenty.", "What will you do on Saturday evening?",
              "Are you bringing that thing with you?"],
}


TESS_ALL = [f"Say the word {w}." for w in NU6_WORDS]  # beside the sample: all 200 (some name a feeling)


def clear_emotion(scores: dict[Label, float]) -> Label | None:
    """The non-neutral label the fusion would take as this reading's clear label, or None."""
    from affect_llm.evidence import ModalityEvidence
    from affect_llm.evidence.fusion import clear_label

    lab = clear_label(ModalityEvidence(modality="words", scores=scores, reliability=1.0))
    return None if lab in (None, NEUTRAL) else lab


def score_clarity(score: Scorer, sents: list[dict], items: list[dict]) -> dict[str, float]:
    """false_leads (per corpus too), clear_right and emer_clear (see the module docstring)."""
    out: dict[str, float] = {}
    leads = 0
    for corpus, texts in FLAT_SCRIPTS.items():
        n = sum(clear_emotion(s) is not None for s in score(texts))
        out[f"fl_{corpus}"] = n / len(texts)
        leads += n
    out["false_leads"] = leads / sum(map(len, FLAT_SCRIPTS.values()))
    emo = [s for s in sents if s["label"] != NEUTRAL]
    out["clear_right"] = sum(clear_emotion(r) == s["label"] for s, r in zip(emo, score([s["text"] for s in emo]))) / len(emo)
    out["fl_TESS_all"] = sum(clear_emotion(s) is not None for s in score(TESS_ALL)) / len(TESS_ALL)
    if items:
        clear = [clear_emotion(r) for r in score([it["subtitle"] for it in items])]
        out["emer_clear"] = sum(c is not None for c in clear) / len(items)
        out["emer_clear_right"] = sum(c is not None and c in {label_of(w) for w in it["reference"]}
                                      for c, it in zip(clear, items)) / len(items)
    return out

# --- saved pipeline runs, re-fused ----------------------------------------------------------------

DOUBTFUL = re.compile(r"\(([^()]*?)\?\)")  # "(word?)": a word the transcript marks as doubtful


def _evidence(d: dict):
    """A saved channel's evidence as ``refuse_saved`` fuses it: without its detail, the words at
    the words channel's flat weight."""
    from dataclasses import replace

    from affect_llm.evidence import ModalityEvidence
    from affect_llm.evidence.words import FLAT_WORDS_WEIGHT

    return replace(ModalityEvidence.from_dict(d), detail={}, pool_share=1.0,
                   flat_weight=FLAT_WORDS_WEIGHT if d["modality"] == "words" else 1.0)


def refuse_saved(path: Path, score: Scorer) -> dict[str, float]:
    """First-named accuracy of a saved pipeline run with its words read by ``score``."""
    from dataclasses import replace

    from affect_llm.evidence.fusion import fuse

    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    right = leads = 0
    for r in rows:
        ev = {m: _evidence(d) for m, d in r["evidence"].items()}
        if ev["words"].present:
            text = r.get("translation") or DOUBTFUL.sub(r"\1", r["heard"])
            ev["words"] = replace(ev["words"], scores=score([text])[0])
            leads += clear_emotion(ev["words"].scores) is not None
        right += fuse(ev).emotions[0] == r["gold"]
    return {"clips": len(rows), "first": right / len(rows), "word_leads": leads}


ROUGH_POLICIES = ("always", "never", "shipped", "names a feeling", "few 1/8", "few 1/6", "few 1/4")


def refuse_rough(path: Path) -> dict[str, int]:
    """Right first-named answers among a saved run's clips whose words were read through a rough
    transcript translation, under each of ``ROUGH_POLICIES`` (the docstring's item 6)."""
    from affect_llm.cues import rough_translation
    from affect_llm.encoders.speech import LOGPROB_THRESHOLD
    from affect_llm.evidence import ENGLISH_READING, ModalityEvidence
    from affect_llm.evidence.fusion import fuse
    from affect_llm.evidence.own_words import read_own_words
    from affect_llm.evidence.words import names_a_feeling, words_evidence

    out = dict.fromkeys(("clips", *ROUGH_POLICIES), 0)
    for r in json.loads(path.read_text(encoding="utf-8"))["rows"]:
        ev = {m: ModalityEvidence.from_dict(d) for m, d in r["evidence"].items()}
        words = ev["words"]
        if r.get("translation_reliable") is not False or ENGLISH_READING not in words.detail.get("readings", []):
            continue
        heard = r.get("heard") or ""
        doubtful = len(DOUBTFUL.findall(heard)) / max(1, len(heard.split()))
        # Unread, the channel is what ``cues.decide`` makes of the words alone: their own-language
        # reading, trusted as the words heard well, or nothing.
        own = read_own_words(heard, (words.detail.get("own_words") or {}).get("language"))
        unread = dict(ev, words=words_evidence([], own=own, own_reliability=1.0 - doubtful))
        answers = {"always": fuse(ev).emotions[0], "never": fuse(unread).emotions[0]}
        # The translation's log-probability is not saved. With no word in doubt it is rough only
        # because it failed its check; with some, it is taken as passed (the docstring's item 6).
        logprob = 0.0 if doubtful else LOGPROB_THRESHOLD - 0.1
        record = {"translation": r["translation"], "translation_reliable": False, "source": "whisper",
                  "doubtful_share": doubtful, "reliability": {"translation_avg_logprob": logprob}}
        answers["shipped"] = answers["always" if rough_translation(record) == "read" else "never"]
        answers["names a feeling"] = answers["always" if names_a_feeling(r["translation"]) else "never"]
        for name, bound in {"1/8": 1 / 8, "1/6": 1 / 6, "1/4": 1 / 4}.items():  # the doubtful share alone
            answers[f"few {name}"] = answers["always" if 0 < doubtful <= bound else "never"]
        out["clips"] += 1
        for policy, answer in answers.items():
            out[policy] += answer == r["gold"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emer", type=Path, default=DEFAULT_EMER)
    ap.add_argument("--skip-llm", action="store_true", help="leave out the SmolLM2 candidate (slow)")
    ap.add_argument("--only", nargs="*", help="candidate names to run")
    ap.add_argument("--json", type=Path, help="also write the table as JSON")
    ap.add_argument("--refuse", type=Path, nargs="*", default=[],
                    help="saved pipeline runs (real_speech_*_pipeline.json) to re-fuse; then only that")
    ap.add_argument("--rough", type=Path, nargs="*", default=[],
                    help="saved pipeline runs that read rough translations (real_speech_*_pipeline84.json): "
                         "re-fuse those clips under each policy; then only that")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.rough:
        print("| run | clips with a rough transcript translation | " + " | ".join(ROUGH_POLICIES) + " |")
        print("|---" * (len(ROUGH_POLICIES) + 2) + "|")
        total = dict.fromkeys(("clips", *ROUGH_POLICIES), 0)
        for path, r in [(p.stem, refuse_rough(p)) for p in args.rough] + [("all", None)]:
            if r is None:
                r = total
            else:
                total = {k: total[k] + r[k] for k in total}
            print(f"| {path} | " + " | ".join(str(r[k]) for k in ("clips", *ROUGH_POLICIES)) + " |", flush=True)
        return 0
    if args.refuse:
        print("| run | clips | agreement | first-named | clips whose words give a clear emotion |")
        print("|---|---|---|---|---|")
        readers = {"no (shipped)": lambda: ensemble_by_sentence(agreement=False),
                   "overlap always (628b204)": lambda: keep_by_sentence("overlap always (628b204)"),
                   "unless words back it (off)": ensemble_by_sentence}
        for agreement, make in readers.items():
            score = make()
            for path in args.refuse:
                r = refuse_saved(path, score)
                print(f"| {path.stem} | {r['clips']} | {agreement} | {r['first']:.3f} | {r['word_leads']} |",
                      flush=True)
        return 0

    sents = load_sentences()
    pairs_set = sentence_pairs(sents)
    items = emer_items(args.emer) if args.emer.exists() else []
    if not items:
        print(f"note: {args.emer} not found or empty: EMER columns left out", file=sys.stderr)
    # Each candidate: a Scorer (scores over the labels: every column) or a Predictor (labels
    # only: no clarity columns).
    candidates: dict[str, Callable[[], Scorer | Predictor]] = {
        "before: NRC vote": lambda: old_nrc_vote,
        "lexicon": lambda: model_scores("lexicon"),
        "prototypes": lambda: model_scores("prototypes"),
        "nade": lambda: model_scores("nade"),
        "prototypes+negation": lambda: mix_scores(["prototypes"]),
        "prototypes+nade (no guard)": lambda: mix_scores(["prototypes", "nade"], negation=False),
        "prototypes+nade+lexicon+negation": lambda: mix_scores(["prototypes", "nade", "lexicon"]),
        "ensemble, whole text": lambda: model_scores("ensemble"),
        "ensemble, by sentence, no agreement (shipped)": lambda: ensemble_by_sentence(agreement=False),
        **{f"{rule}, by sentence": (lambda r=rule: ensemble_by_sentence(rule=r)) for rule in RULES},
        **{f"agreement: {k}": (lambda k=k: keep_by_sentence(k)) for k in KEEP_RULES},
        "ensemble, by sentence, agreement unless words back it (off)": lambda: ensemble_by_sentence(),
    }
    labels_only = {"before: NRC vote", "smollm2"}
    if not args.skip_llm:
        candidates["smollm2"] = LLMScorer
    rows = {}
    for name, make in candidates.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        made = make()
        load_s = time.perf_counter() - t0
        predict = made if name in labels_only else as_labels(made)
        row = score_sentences(sents, predict)
        pairs = score_sentences(pairs_set, predict)
        row.update(pairs_acc=pairs["acc"], pairs_neutral=pairs["r_neut"])
        if items:
            row.update(score_emer(items, predict([it["subtitle"] for it in items])))
        if name not in labels_only:
            row.update(score_clarity(made, sents, items))
        row["load_s"] = load_s
        rows[name] = row
        print(f"{name}: " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()), file=sys.stderr, flush=True)

    cols = ["acc", *[f"r_{lab[:4]}" for lab in LABELS], "pairs_acc", "pairs_neutral", "ms", "cpu_ms", "load_s"] + (
        ["emer_fs", "emer_hit", "emer_valence", "emer_neutral", "emer_clear", "emer_clear_right"] if items else []) + [
        "clear_right", "false_leads", *[f"fl_{c}" for c in FLAT_SCRIPTS], "fl_TESS_all"]
    print(f"sentences: {len(sents)} ({SENTENCES.name}); EMER items: {len(items)}")
    print("| candidate | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(_cell(row, c) for c in cols) + " |")
    if args.json:
        args.json.write_text(json.dumps({"sentences": len(sents), "emer": len(items), "flat_scripts": FLAT_SCRIPTS,
                                         "rows": rows}, indent=1))
    return 0


def _cell(row: dict, col: str) -> str:
    if col not in row:
        return "-"  # a labels-only candidate has no clarity
    return f"{row[col]:.0f}" if col.endswith("ms") and row[col] >= 10 else f"{row[col]:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
