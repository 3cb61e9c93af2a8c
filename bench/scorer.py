"""Scorer throughput: pred/gold pairs of 3 to 8 words scored per second, on one core.

Builds synthetic answers from emotion words, hedges, negations and filler, warms the
scorer's caches on a separate sample (decisions for every word are then on disk), and times
``score_openset`` end to end (extraction, mapping, the five wheels at two levels, M1, M2)
on fresh pairs in both modes. Target: 10,000 pairs/s or more.

    python -m bench.scorer [--quick]

writes ``bench/results/scorer.json`` and prints a markdown row. ``run(quick)`` returns the
same dict for the ``python -m bench`` driver.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "scorer.json"
TARGET = 10_000
EMOTIONS = ["happy", "angry", "sad", "worried", "surprised", "disgusted", "fearful", "nervous", "anxious", "relaxed", "calm", "excited", "furious", "joyful", "content", "frustrated", "disappointed", "dissatisfied", "confused", "tense", "serious", "relieved", "proud", "grateful", "lonely", "guilty", "ashamed", "embarrassed", "bored", "tired", "hopeful", "curious", "shocked", "upset", "irritated", "annoyed", "cheerful", "pleased", "satisfied", "amused", "scared", "terrified", "helpless", "jealous", "bitter", "resentful", "sarcastic", "happiness", "sadness", "anger", "fear", "joy", "surprise", "disgust", "anxiety", "excitement", "worry", "neutral", "elated", "livid", "gloomy", "melancholy"]
PHRASES = ("fed up", "let down", "on edge", "at ease", "left out", "burnt out")
MODIFIERS = ("slightly", "very", "a bit", "somewhat", "extremely", "not", "no longer")
FILLER = ("she", "he", "looks", "seems", "and", "but", "feels", "is", "the", "person", "quite", "rather", "then")


def make_text(rng: random.Random) -> str:
    """3 to 8 words: emotion words with the odd phrase, modifier or filler word."""
    n = rng.randint(3, 8)
    words: list[str] = []
    while len(words) < n:
        r = rng.random()
        if r < 0.55:
            words.append(rng.choice(EMOTIONS))
        elif r < 0.65:
            words.extend(rng.choice(PHRASES).split())
        elif r < 0.80:
            words.extend(rng.choice(MODIFIERS).split())
        else:
            words.append(rng.choice(FILLER))
    return " ".join(words[:n])


def make_pairs(n: int, seed: int):
    from affect_llm.scoring.records import Record

    rng = random.Random(seed)
    golds = {f"s{i}": Record(f"s{i}", text=make_text(rng)) for i in range(n)}
    preds = {f"s{i}": Record(f"s{i}", text=make_text(rng)) for i in range(n)}
    return preds, golds


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "not pinned"


def run(quick: bool = False) -> dict:
    """Time both modes; returns the result dict (also written to ``bench/results/scorer.json``)."""
    from affect_llm.scoring import SCORER_VERSION
    from affect_llm.scoring.openset import score_openset
    from affect_llm.scoring.pipeline import default_extractor

    pinned = _pin_one_core()
    n = 10_000 if quick else 100_000
    warm_preds, warm_golds = make_pairs(5_000, seed=1)
    preds, golds = make_pairs(n, seed=2)
    extractor = default_extractor()
    modes = {}
    for mode in ("affect", "ovmer"):
        score_openset(warm_preds, warm_golds, mode, extractor)  # warm: decisions and lemmas cached
        extractor._memo.clear()  # no credit for texts seen while warming
        start = time.perf_counter()
        report = score_openset(preds, golds, mode, extractor)
        seconds = time.perf_counter() - start
        modes[mode] = {"seconds": round(seconds, 3), "pairs_per_s": round(n / seconds),
                       "fs": round(report.headline.fscore, 4)}
    result = {
        "benchmark": "scorer", "pairs": n, "words_per_text": "3-8", "target_pairs_per_s": TARGET,
        "modes": modes, "pass": all(m["pairs_per_s"] >= TARGET for m in modes.values()),
        "scorer_version": SCORER_VERSION, "quick": quick, "cpu": pinned,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(RESULTS)
    return result


def markdown_row(result: dict) -> str:
    m = result["modes"]
    return (f"| scorer | {result['pairs']:,} pairs | affect {m['affect']['pairs_per_s']:,}/s | "
            f"ovmer {m['ovmer']['pairs_per_s']:,}/s | target {result['target_pairs_per_s']:,}/s | "
            f"{'pass' if result['pass'] else 'FAIL'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scorer throughput benchmark (pairs per second, one core).")
    parser.add_argument("--quick", action="store_true", help="10,000 pairs instead of 100,000")
    args = parser.parse_args(argv)
    result = run(args.quick)
    print("| bench | size | affect | ovmer | target | result |\n|---|---|---|---|---|---|")
    print(markdown_row(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
