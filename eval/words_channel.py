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

"before" is the old words channel: ``cues.word_cues`` and the words part of
``cues.candidate_emotions`` (face and voice absent) as they were at commit 66d3140, frozen here,
its words read to labels by ``label_of``.

Run: ``python eval/words_channel.py [--skip-llm] [--emer CSV] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from affect_llm.emotions import LABELS, NEUTRAL, VALENCE, Label, label_of, normalize

DEFAULT_EMER = ROOT.parent / "shared" / "data" / "emer-v2" / "final-EMER-reason.csv"
SENTENCES = ROOT / "tests" / "data" / "words_sentences.jsonl"
QUOTE = re.compile(r"[\"\u201c]([^\"\u201d]{2,600})[\"\u201d]")
Predictor = Callable[[Sequence[str]], list[list[str]]]  # texts -> predicted words/labels, strongest first


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


def labels_of_model(method: str) -> Predictor:
    from affect_llm.evidence.words import get_model

    return _labels(get_model(method))


def labels_of_mix(members: Sequence[str], negation: bool = True) -> Predictor:
    """A mix that is not a named method (to show what each member and the guard add)."""
    from affect_llm.evidence.words import EnsembleModel, get_model

    return _labels(EnsembleModel([get_model(m) for m in members], negation=negation))


def labels_by_sentence(method: str) -> Predictor:
    """What the channel ships: ``words.read``, sentence by sentence, pooled by emotionality."""
    from affect_llm.emotions import ranked
    from affect_llm.evidence.words import get_model, read

    model = get_model(method)
    return lambda texts: [[lab for lab, _ in ranked(s)] for s in read(model, list(texts))]


def _labels(model) -> Predictor:
    from affect_llm.emotions import ranked

    return lambda texts: [[lab for lab, _ in ranked(s)] for s in model.scores(list(texts))]


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emer", type=Path, default=DEFAULT_EMER)
    ap.add_argument("--skip-llm", action="store_true", help="leave out the SmolLM2 candidate (slow)")
    ap.add_argument("--only", nargs="*", help="candidate names to run")
    ap.add_argument("--json", type=Path, help="also write the table as JSON")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    sents = load_sentences()
    pairs_set = sentence_pairs(sents)
    items = emer_items(args.emer) if args.emer.exists() else []
    if not items:
        print(f"note: {args.emer} not found or empty: EMER columns left out", file=sys.stderr)
    candidates: dict[str, Callable[[], Predictor]] = {
        "before: NRC vote": lambda: old_nrc_vote,
        "lexicon": lambda: labels_of_model("lexicon"),
        "prototypes": lambda: labels_of_model("prototypes"),
        "nade": lambda: labels_of_model("nade"),
        "prototypes+negation": lambda: labels_of_mix(["prototypes"]),
        "prototypes+nade (no guard)": lambda: labels_of_mix(["prototypes", "nade"], negation=False),
        "prototypes+nade+lexicon+negation": lambda: labels_of_mix(["prototypes", "nade", "lexicon"]),
        "ensemble, whole text": lambda: labels_of_model("ensemble"),
        "ensemble, by sentence (shipped)": lambda: labels_by_sentence("ensemble"),
    }
    if not args.skip_llm:
        candidates["smollm2"] = LLMScorer
    rows = {}
    for name, make in candidates.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        predict = make()
        load_s = time.perf_counter() - t0
        row = score_sentences(sents, predict)
        pairs = score_sentences(pairs_set, predict)
        row.update(pairs_acc=pairs["acc"], pairs_neutral=pairs["r_neut"])
        if items:
            row.update(score_emer(items, predict([it["subtitle"] for it in items])))
        row["load_s"] = load_s
        rows[name] = row
        print(f"{name}: " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()), file=sys.stderr, flush=True)

    cols = ["acc", *[f"r_{lab[:4]}" for lab in LABELS], "pairs_acc", "pairs_neutral", "ms", "cpu_ms", "load_s"] + (
        ["emer_fs", "emer_hit", "emer_valence", "emer_neutral"] if items else [])
    print(f"sentences: {len(sents)} ({SENTENCES.name}); EMER items: {len(items)}")
    print("| candidate | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[c]:.0f}" if c.endswith("ms") and row[c] >= 10 else f"{row[c]:.2f}"
                                         for c in cols) + " |")
    if args.json:
        args.json.write_text(json.dumps({"sentences": len(sents), "emer": len(items), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
