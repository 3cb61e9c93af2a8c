"""Do the voice's zero points (``evidence.voice.NORMS``) still sit on neutral speech? (diagnostic)

    python eval/voice_norms.py NAME=DIR[:labels.csv] ... [--json out.json]

NAME as in ``eval/voice_pitch_level.py`` (ravdess, emodb, casia, emovo, urdu are the rule's five
corpora; savee and others are extra columns). Prosody is read from that script's cache (the
product's path, ``perception.listen``: VAD, then prosody inside its speech), measured once if the
cache is missing for the current ``prosody.py``/``vad.py``.

Why: several zero points were set from neutral clips measured over the whole clip with an energy
rule; since the VAD, prosody is measured inside the speech spans only (the pause share of neutral
RAVDESS fell to 0, its voiced share rose). This script

1. prints per corpus the median of each measure ``NORMS`` reads over the corpus's *neutral* clips,
   in the norm's own units (divided by the language's rate or tonal pitch factor, as
   ``voice.dimensions`` divides the norm), and its offset from the zero point in units of the
   norm's spread;
2. takes as a candidate every zero point off by more than ``OFF`` spreads, same sign, in at least
   three of the five corpora, moved to the median of the five corpora's neutral medians;
3. scores the voice's top label (no speech = wrong, as ``real_speech_eval`` counts) with each
   candidate and every combination of them, patched into ``voice.NORMS`` in memory only, under
   the project's rule: chosen on the five corpora's mean, no corpus loses more than 0.02, the mean
   gains, and the same change is still chosen with any one corpus left out (its zero point then
   the median of the other four's neutral medians).

Found at e9d0068 (voice v5, prosody inside the VAD's speech; 2026-11-30). Neutral medians, in
spreads from the zero point (RAVDESS / EmoDB / CASIA / EMOVO / Urdu): pause share 0 in four corpora
(-1.0; Urdu 0.10), level spread 4.0-5.1 dB (-0.3..-1.1), flux 0.122-0.160 (mixed sign), voiced share
0.72 / 0.55 / 0.53 / 0.56 / 0.48 (median 0.547: the 0.55 zero point holds; only RAVDESS moved).
Candidates: pause 0.0, level 4.5 dB, flux 0.145. Level has no label weight (top-1 unchanged). Chosen
on the five: pause 0.0 + flux 0.145, mean 0.4043 -> 0.4073 (RAVDESS -0.011, Urdu +0.027), but left
out RAVDESS loses 0.018 and without EMOVO or Urdu pause alone is chosen: it fails the rule. Pause
0.0 alone: +0.0015 (six clips), flux alone knife-edge (0.140 -0.0005, 0.142 +0.0024, 0.147 -0.0006;
all Urdu's, as v4 found). Nothing shipped.

Nothing is shipped from here; ``voice.py`` says what was.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from voice_pitch_level import FIVE, measure_all  # noqa: E402

OFF = 0.3  # spreads: a zero point this far from a corpus's neutral median is "off" there
LOSS_LIMIT = 0.02


def factor_of(measure_name: str, language: str) -> float:
    """The factor ``voice.dimensions`` scales this measure's norm by in this language."""
    from affect_llm.evidence import voice

    lang = voice._lang_key(language)
    if measure_name.startswith("pitch_") and "semitones" in measure_name and measure_name != "pitch_slope_semitones":
        return voice.TONAL_PITCH_FACTOR if lang in voice.TONAL else 1.0
    if measure_name == "speaking_rate_sps":
        return voice.RATE_FACTOR.get(lang or "en", 1.0)
    return 1.0


def neutral_medians(rows: list[dict]) -> dict[str, float]:
    """Median of each NORMS measure over the neutral clips with speech, in the norm's units."""
    from affect_llm.evidence.voice import NORMS

    neu = [r for r in rows if r["gold"] == "neutral" and r["prosody"]["speech_found"]]
    out = {}
    for m in NORMS:
        vals = [r["prosody"][m] / factor_of(m, r["language"]) for r in neu if r["prosody"].get(m) is not None]
        out[m] = statistics.median(vals) if vals else float("nan")
    return out


def top1(rows: list[dict], norms: dict) -> tuple[float, dict[str, float]]:
    """Voice top-1 over all clips with ``norms`` patched into ``voice.NORMS``; per-label recall."""
    from affect_llm.evidence import voice
    from voice_diagnose import _prosody

    saved = voice.NORMS
    voice.NORMS = norms  # type: ignore[assignment]
    try:
        per: dict[str, list[bool]] = {}
        for r in rows:
            ok = False
            if r["prosody"]["speech_found"]:
                scores = voice.label_scores(voice.dimensions(_prosody(r), r["language"]))
                ok = max(scores, key=scores.get) == r["gold"]
            per.setdefault(r["gold"], []).append(ok)
    finally:
        voice.NORMS = saved  # type: ignore[assignment]
    return (sum(sum(v) for v in per.values()) / len(rows),
            {lab: sum(v) / len(v) for lab, v in per.items()})


def with_zero(points: dict[str, float]) -> dict:
    """A copy of ``NORMS`` with the given zero points (spreads and sources kept)."""
    from dataclasses import replace

    from affect_llm.evidence.voice import NORMS

    return {m: (replace(n, mean=points[m]) if m in points else n) for m, n in NORMS.items()}


def analyse(data: dict[str, list[dict]]) -> dict:
    from affect_llm.evidence.voice import NORMS

    names = list(data)
    five = [n for n in FIVE if n in data]
    med = {n: neutral_medians(data[n]) for n in names}
    out: dict = {"neutral_median": med, "offset_sd": {}, "candidates": {}, "grid": {}, "loco": {}}
    print("\n== neutral median per corpus (norm units) | offset in spreads; NORMS zero point +- spread")
    print(f"  {'measure':26s} {'NORMS':>13s} " + " ".join(f"{n:>14s}" for n in names) + "  median5")
    for m, norm in NORMS.items():
        offs = {n: (med[n][m] - norm.mean) / norm.sd for n in names}
        out["offset_sd"][m] = offs
        m5 = statistics.median([med[n][m] for n in five])
        print(f"  {m:26s} {norm.mean:7.3f}+-{norm.sd:<5.3f} "
              + " ".join(f"{med[n][m]:7.3f}|{offs[n]:+5.2f}" for n in names) + f"  {m5:.3f}")
        signs = [math.copysign(1, offs[n]) for n in five if abs(offs[n]) > OFF]
        if max(signs.count(1.0), signs.count(-1.0), 0) >= 3:
            out["candidates"][m] = m5
    cands = list(out["candidates"])
    print("\n  candidates (off by >", OFF, "spreads, same sign, in >= 3 of 5):",
          {m: round(v, 3) for m, v in out["candidates"].items()})

    subsets = [()] + [c for k in range(1, len(cands) + 1) for c in itertools.combinations(cands, k)]

    def score(subset: tuple, pool: list[str]) -> dict[str, tuple[float, dict]]:
        points = {m: statistics.median([med[n][m] for n in pool]) for m in subset}
        norms = with_zero(points)
        return {n: top1(data[n], norms) for n in names}

    res = {s: score(s, five) for s in subsets}
    base = res[()]
    print("\n== voice top-1, zero points from the five corpora's neutral medians")
    print(f"  {'change':58s} " + " ".join(f"{n:>8s}" for n in names) + "    mean5  worst5")
    for s, r in res.items():
        mean5 = statistics.mean(r[n][0] for n in five)
        worst = min(r[n][0] - base[n][0] for n in five)
        out["grid"][" + ".join(s) or "baseline"] = {n: round(r[n][0], 4) for n in names} | {"mean5": round(mean5, 4)}
        print(f"  {' + '.join(s) or 'baseline':58s} " + " ".join(f"{r[n][0]:8.3f}" for n in names)
              + f"   {mean5:.4f}  {worst:+.3f}")
    chosen = max(subsets, key=lambda s: (statistics.mean(res[s][n][0] for n in five), s == ()))
    print(f"\n  chosen on the five: {' + '.join(chosen) or 'baseline'}")
    print("\n== one corpus left out: zero points from the other four, chosen on their mean")
    held_rows = {}
    for held in five:
        others = [n for n in five if n != held]
        fold = {s: score(s, others) for s in subsets}
        pick = max(subsets, key=lambda s: (statistics.mean(fold[s][n][0] for n in others), s == ()))
        gain = statistics.mean(fold[pick][n][0] - fold[()][n][0] for n in others)
        held_delta = fold[pick][held][0] - fold[()][held][0]
        pts = {m: round(statistics.median([med[n][m] for n in others]), 3) for m in pick}
        held_rows[held] = {"chosen": " + ".join(pick) or "baseline", "points": pts, "gain_others": round(gain, 4),
                           "held_out_delta": round(held_delta, 4), "held_out_acc": round(fold[pick][held][0], 4)}
        print(f"  {held:8s} -> {held_rows[held]['chosen']} {pts} (others {gain:+.4f}); "
              f"{held} {fold[pick][held][0]:.3f} ({held_delta:+.3f})")
    out["loco"] = held_rows
    out["chosen"] = " + ".join(chosen) or "baseline"
    if chosen:
        print("\n== per-label recall, baseline -> chosen")
        for n in names:
            b, c = base[n][1], res[chosen][n][1]
            print(f"  {n:8s}", " ".join(f"{lab[:4]} {b[lab]:.2f}->{c[lab]:.2f}" for lab in sorted(b)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpora", nargs="+", help="NAME=DIR[:labels.csv]")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    out = analyse(measure_all(args.corpora))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
