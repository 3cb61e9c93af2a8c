"""Would a pitch-LEVEL dimension, relative to a sex-typical norm, help the voice? (diagnostic)

    python eval/voice_pitch_level.py measure NAME=DIR[:labels.csv] ...   # prosody + formants, cached
    python eval/voice_pitch_level.py analyse NAME=DIR[:labels.csv] ... [--json out.json]

NAME picks the corpus's known speaker sexes and the rule's five corpora: ravdess, emodb, casia,
emovo, urdu (savee and others are extra columns), e.g. ``ravdess=/data/ravdess
casia=/data/casia:/data/casia/labels.csv`` (labels as ``eval/real_speech_eval.py`` reads them).

Why: ``evidence.voice`` ignores absolute pitch because it mostly tells women from men, yet fear
and anger raise F0 level (Juslin & Laukka 2003), and the voice cannot tell a tense, high fearful
voice from a sad one. This script measures, on labelled real corpora you have (never shipped):

1. per corpus and label, Cohen's d of the clip's median F0 in semitones against the corpus's
   neutral clips, raw and within speaker (each speaker centred on their own neutral median: an
   oracle no product has, to show the signal's size);
2. how often a sex guess without speaker labels is right (from the F0 median, from formant
   spacing, and both), where the corpus's speaker sexes are known (``sex_of``);
3. the voice's top label with a ninth dimension, ``pitch_level`` = semitones of the clip's F0
   median above the guessed sex's norm, over a small grid of profile values and weights, with
   the project's rule (the five corpora's mean, no corpus loses more than 0.02, still chosen with
   any one corpus left out; SAVEE an extra check). Nothing is patched in ``affect_llm``: the
   scoring is recomputed here from ``voice.DIMS``/``PROFILES``/``DIM_WEIGHTS``.

Prosody is measured as the product measures it (``perception.listen``) and cached next to
``eval/voice_diagnose.py``'s cache (same key: corpus folder name + prosody/VAD source hash);
formants (LPC on the loudest low-ZCR frames of the VAD's speech) are cached beside it.

Found at 3c0ba95 (voice v5; 2026-11-30): the level moves with arousal, not with fear. Within
speaker, against neutral, anger +5..+9 st, joy +1..+9, surprise +4..+10, fear +1..+9, sadness
-2..+4 (RAVDESS and the Javanese video raise it for sadness), so fear is no higher than anger or
joy, and fear vs sadness differs by only ~1 st (d +0.3..+0.4) in CASIA and the Javanese video,
where the voice names fear sad. The best grid row (every high-arousal label +1, sadness -0.3,
weight 0.5) gained +0.002 on the five corpora's mean and lost with EmoDB left out (-0.022; held
out -0.004 on average); rows that raise fear alone lost 0.01-0.05. Not shipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_speech_eval import load_audio, read_items  # noqa: E402

CACHE = Path.home() / ".cache" / "affect-llm" / "voice_diagnose"
FIVE = ("ravdess", "emodb", "casia", "emovo", "urdu")

# Known speaker sexes (corpus documentation / file names): m or f.
EMODB_MALE = {"03", "10", "11", "12", "15"}


def sex_of(corpus: str, speaker: str) -> str | None:
    """The speaker's sex where the corpus documents it, else None."""
    if corpus == "ravdess":
        return "m" if int(speaker) % 2 == 1 else "f"
    if corpus == "emodb":
        return "m" if speaker in EMODB_MALE else "f"
    if corpus == "savee":
        return "m"
    if corpus == "emovo":
        return speaker[0] if speaker[:1] in ("m", "f") else None
    if corpus == "casia":  # no document found here: inferred, F0 (137/157 vs 269/279 Hz) and formants agree
        return {"zhaozuoxiang": "m", "wangzhe": "m", "liuchanhg": "f", "zhaoquanyin": "f"}.get(speaker.lower())
    if corpus == "urdu":  # speaker ids SM* / SF* (the dataset's male / female naming)
        return {"SM": "m", "SF": "f"}.get(speaker[:2].upper())
    return None


def formants(audio, sr: int, spans) -> dict:
    """Median F1-F4 (Hz) of the loudest, low zero-crossing 25 ms frames inside the speech spans.

    LPC (order 12 at 10 kHz, autocorrelation method): a vocal-tract cue that does not come from
    F0. Formant spacing ``dF`` (Reby & McComb 2003: mean of F_i / (i - 0.5)) is ~1000 Hz for men's
    ~17 cm tracts and ~1150-1250 Hz for women's.
    """
    import numpy as np
    from scipy.linalg import solve_toeplitz
    from scipy.signal import resample_poly

    x = resample_poly(audio, 5, 8).astype(np.float64)  # 16 kHz -> 10 kHz
    fs, n, hop = 10_000, 250, 100
    sel = []
    for a, b in spans:
        seg = x[int(a * fs): int(b * fs)]
        for i in range(0, len(seg) - n, hop):
            sel.append(seg[i: i + n])
    if not sel:
        return {}
    frames = np.stack(sel)
    energy = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
    zcr = (np.abs(np.diff(np.sign(frames), axis=1)) > 0).mean(axis=1)
    keep = (energy > np.percentile(energy, 50)) & (zcr < 0.25)
    frames = frames[keep]
    win = np.hamming(n)
    out: list[list[float]] = []
    for fr in frames[:400]:
        y = np.append(fr[0], fr[1:] - 0.97 * fr[:-1]) * win
        r = np.correlate(y, y, "full")[n - 1: n + 12]
        if r[0] <= 0:
            continue
        try:
            a = solve_toeplitz(r[:12], -r[1:13])
        except Exception:  # singular frame
            continue
        roots = np.roots(np.concatenate([[1.0], a]))
        roots = roots[np.imag(roots) > 0]
        f = np.angle(roots) * fs / (2 * np.pi)
        bw = -fs / np.pi * np.log(np.abs(roots))
        f = np.sort(f[(f > 200) & (f < 4800) & (bw < 500)])
        if len(f) >= 4:
            out.append(list(f[:4]))
    if len(out) < 5:
        return {}
    med = np.median(np.array(out), axis=0)
    return {"F1": float(med[0]), "F2": float(med[1]), "F3": float(med[2]), "F4": float(med[3]),
            "dF": float(np.mean([med[i] / (i + 0.5) for i in range(4)])), "frames": len(out)}


def parse_corpus(spec: str) -> tuple[str, Path, Path | None]:
    name, rest = spec.split("=", 1)
    folder, _, labels = rest.partition(":")
    return name, Path(folder), Path(labels) if labels else None


def measure_all(specs: list[str]) -> dict[str, list[dict]]:
    """Every corpus of ``NAME=DIR[:labels.csv]`` specs, measured (or read from the cache), by name."""
    data = {}
    for spec in specs:
        name, folder, labels = parse_corpus(spec)
        data[name] = measure(name, folder, labels)
        print(f"{name}: {len(data[name])} clips measured", flush=True)
    return data


def measure(name: str, folder: Path, labels: Path | None) -> list[dict]:
    """Prosody (the product's path) and formants of every labelled clip, cached."""
    from affect_llm.media.prosody import analyze_prosody
    from affect_llm.perception import speech_spans
    from voice_diagnose import prosody_version

    version = prosody_version()  # voice_diagnose's key: the two scripts share one cache
    cache = CACHE / f"{folder.name}-{version}.json"
    fcache = CACHE / f"{folder.name}-{version}-formants.json"
    if cache.exists() and fcache.exists():
        rows, forms = json.loads(cache.read_text()), json.loads(fcache.read_text())
        return [{**r, "formants": forms.get(r["file"], {})} for r in rows]
    items = read_items(folder, labels)
    rows, forms, start = [], {}, time.time()
    for i, it in enumerate(items, 1):
        audio = load_audio(it.path)
        spans = speech_spans(audio, 16_000)  # as perception.listen, keeping the spans
        p = analyze_prosody(audio, 16_000, speech=spans)
        key = str(it.path.relative_to(folder))
        rows.append({"file": key, "gold": it.label, "speaker": it.speaker, "language": it.corpus_language or "en",
                     "prosody": {k: v for k, v in dataclasses.asdict(p).items() if k != "contour"}})
        forms[key] = formants(audio, 16_000, spans) if spans else {}
        if i % 100 == 0:
            print(f"  {name}: {i}/{len(items)} ({time.time() - start:.0f} s)", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(rows))
    fcache.write_text(json.dumps(forms))
    return [{**r, "formants": forms.get(r["file"], {})} for r in rows]


# ---------------------------------------------------------------- analysis

MALE_HZ, FEMALE_HZ, SPLIT_HZ = 115.0, 210.0, 160.0  # typical adult speaking F0 (Titze 1994 ~ 120 / 210 Hz)
LEVEL_SD_ST = 3.0  # z unit of the level dimension: speakers' F0 medians spread ~2-3 st within a sex
DF_SPLIT = 1075.0  # formant spacing between men's ~1000 Hz and women's ~1150 Hz (literature, not fitted)
AMBIGUOUS_HZ = (135.0, 195.0)  # where the F0 guess defers to the formants in the combined rule


def st(hz: float) -> float:
    """Semitones re 1 Hz."""
    return 12.0 * math.log2(hz)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _sd(xs: list[float]) -> float:
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else float("nan")


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return float("nan") if not n else s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def cohen_d(a: list[float], b: list[float]) -> float:
    """(mean a - mean b) / pooled SD."""
    if len(a) < 3 or len(b) < 3:
        return float("nan")
    return (_mean(a) - _mean(b)) / (math.sqrt((_sd(a) ** 2 + _sd(b) ** 2) / 2) or float("nan"))


def guess_sex(row: dict, rule: str) -> str | None:
    """The sex a product could guess from one clip, without speaker labels."""
    f0 = row["prosody"].get("pitch_median_hz")
    dF = row["formants"].get("dF")
    by_f0 = None if f0 is None else ("m" if f0 < SPLIT_HZ else "f")
    by_df = None if dF is None else ("m" if dF < DF_SPLIT else "f")
    if rule == "f0":
        return by_f0
    if rule == "formants":
        return by_df or by_f0
    if rule == "combined":  # F0 where it is clear, the formants in the band both sexes reach
        if f0 is not None and AMBIGUOUS_HZ[0] <= f0 <= AMBIGUOUS_HZ[1] and by_df:
            return by_df
        return by_f0
    if rule == "oracle_sex":
        return row["sex"]
    raise ValueError(rule)


def level_z(row: dict, rule: str, neutral_st: dict | None = None) -> float | None:
    """Semitones of the clip's F0 median above the norm ``rule`` picks, in z units (clipped +-3)."""
    f0 = row["prosody"].get("pitch_median_hz")
    if f0 is None:
        return None
    if rule == "oracle_speaker":  # the speaker's own neutral median: no product has it
        ref = (neutral_st or {}).get(row["speaker"])
        if ref is None:
            return None
    else:
        sex = guess_sex(row, rule)
        if sex is None:
            return None
        ref = st(MALE_HZ if sex == "m" else FEMALE_HZ)
    return max(-3.0, min(3.0, (st(f0) - ref) / LEVEL_SD_ST))


def top_label(dims: dict, level: float | None, profile: dict | None, weight: float) -> str:
    """``voice.label_scores``'s argmax with an optional ninth dimension (same order, same ties)."""
    from affect_llm.emotions import LABELS
    from affect_llm.evidence.voice import DIM_WEIGHTS, DIMS, PROFILES, SPREAD

    used = [d for d in DIMS if dims.get(d) is not None]
    best, best_logit = None, -math.inf
    for lab in LABELS:
        dist = sum(DIM_WEIGHTS[d] * (dims[d] - PROFILES[lab][d]) ** 2 for d in used)
        if profile is not None and level is not None:
            dist += weight * (level - profile.get(lab, 0.0)) ** 2
        logit = -0.5 * dist / SPREAD ** 2
        if logit > best_logit:
            best, best_logit = lab, logit
    return best


# Profile values for the level dimension: the literature's direction only (Juslin & Laukka 2003:
# F0 level up for anger, fear, joy; down or unchanged for sadness; Banse & Scherer 1996: fear and
# elation highest, hot anger high). Neutral and disgust at the norm.
PROFILE_SETS = {
    "A fear+1 ang/joy+.5 sur+1 sad0": {"fearful": 1.0, "angry": 0.5, "happy": 0.5, "surprised": 1.0},
    "B as A, sad-.3": {"fearful": 1.0, "angry": 0.5, "happy": 0.5, "surprised": 1.0, "sad": -0.3},
    "C all high +1, sad-.3": {"fearful": 1.0, "angry": 1.0, "happy": 1.0, "surprised": 1.0, "sad": -0.3},
    "D fear+1 only": {"fearful": 1.0},
}
WEIGHTS = (0.5, 1.0)
RULES = ("f0", "formants", "combined")
ORACLES = ("oracle_sex", "oracle_speaker")


def prepare(data: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Dimensions, sex, semitones and each speaker's neutral median, per clip."""
    from affect_llm.evidence.voice import dimensions
    from voice_diagnose import _prosody

    out = {}
    for name, rows in data.items():
        prepared = []
        for r in rows:
            dims = dimensions(_prosody(r), r["language"]) if r["prosody"]["speech_found"] else None
            f0 = r["prosody"].get("pitch_median_hz")
            prepared.append({**r, "dims": dims, "sex": sex_of(name, r["speaker"]),
                             "st": None if not f0 else st(f0)})
        neutral = {}
        for spk in {r["speaker"] for r in prepared}:
            vals = [r["st"] for r in prepared if r["speaker"] == spk and r["gold"] == "neutral" and r["st"]]
            if vals:
                neutral[spk] = _median(vals)
        for r in prepared:
            r["neutral_st"] = neutral
        out[name] = prepared
    return out


def pitch_d(rows: list[dict]) -> dict:
    """Cohen's d of the F0 median (st) per label vs neutral: raw and within speaker."""
    labels = sorted({r["gold"] for r in rows} - {"neutral"})
    neu = rows[0]["neutral_st"]
    res = {}
    for lab in labels:
        a = [r["st"] for r in rows if r["gold"] == lab and r["st"]]
        b = [r["st"] for r in rows if r["gold"] == "neutral" and r["st"]]
        aw = [r["st"] - neu[r["speaker"]] for r in rows if r["gold"] == lab and r["st"] and r["speaker"] in neu]
        bw = [r["st"] - neu[r["speaker"]] for r in rows if r["gold"] == "neutral" and r["st"] and r["speaker"] in neu]
        res[lab] = {"raw": round(cohen_d(a, b), 2), "within": round(cohen_d(aw, bw), 2),
                    "st_within": round(_mean(aw) - _mean(bw), 1)}
    # the question behind it all: does the level tell fear from sadness?
    f = [r["st"] - neu[r["speaker"]] for r in rows if r["gold"] == "fearful" and r["st"] and r["speaker"] in neu]
    sd = [r["st"] - neu[r["speaker"]] for r in rows if r["gold"] == "sad" and r["st"] and r["speaker"] in neu]
    fr = [r["st"] for r in rows if r["gold"] == "fearful" and r["st"]]
    sr = [r["st"] for r in rows if r["gold"] == "sad" and r["st"]]
    if f and sd:
        res["fear_vs_sad"] = {"raw": round(cohen_d(fr, sr), 2), "within": round(cohen_d(f, sd), 2),
                              "st_within": round(_mean(f) - _mean(sd), 1)}
    return res


def sex_accuracy(rows: list[dict]) -> dict:
    known = [r for r in rows if r["sex"] and r["st"]]
    out = {}
    for rule in RULES:
        ok = [guess_sex(r, rule) == r["sex"] for r in known]
        by_lab = {lab: round(_mean([guess_sex(r, rule) == r["sex"] for r in known if r["gold"] == lab]), 2)
                  for lab in sorted({r["gold"] for r in known})}
        out[rule] = {"all": round(_mean(ok), 3) if ok else None, "per_label": by_lab}
    return out


def accuracy(rows: list[dict], profile: dict | None, weight: float, rule: str) -> tuple[float, dict, Counter]:
    """Top-1 over all clips (no speech = wrong, as real_speech_eval counts), per-label recall, confusions."""
    hits, per, conf = 0, {}, Counter()
    for r in rows:
        if r["dims"] is None:
            t = None
        else:
            lev = level_z(r, rule, r["neutral_st"]) if profile is not None else None
            t = top_label(r["dims"], lev, profile, weight)
        hits += t == r["gold"]
        per.setdefault(r["gold"], []).append(t == r["gold"])
        conf[(r["gold"], t)] += 1
    return hits / len(rows), {k: _mean(v) for k, v in per.items()}, conf


def speaker_summary(rows: list[dict]) -> list[str]:
    """``speaker:sex F0/dF`` per speaker (medians over their clips): the sex facts at a glance."""
    out = []
    for spk in sorted({r["speaker"] for r in rows}):
        mine = [r for r in rows if r["speaker"] == spk]
        f0 = _median([r["prosody"]["pitch_median_hz"] for r in mine if r["st"]])
        dF = _median([r["formants"]["dF"] for r in mine if r["formants"].get("dF")])
        out.append(f"{spk}:{mine[0]['sex'] or '?'} {f0:.0f}/{dF:.0f}")
    return out


def fear_vs_sad(rows: list[dict]) -> dict[str, float]:
    """Cohen's d, fearful vs sad clips, of each dimension and of the level (combined rule)."""
    from affect_llm.evidence.voice import DIMS

    def vals(lab: str, d: str) -> list[float]:
        if d == "level":
            return [x for r in rows if r["gold"] == lab and (x := level_z(r, "combined")) is not None]
        return [r["dims"][d] for r in rows if r["gold"] == lab and r["dims"] and r["dims"][d] is not None]

    return {d: round(cohen_d(vals("fearful", d), vals("sad", d)), 2) for d in (*DIMS, "level")}


def analyse(data: dict[str, list[dict]]) -> dict:
    """Print and return every figure (steps 1-4 of the module docstring)."""
    rows = prepare(data)
    out: dict = {"pitch_d": {}, "sex": {}, "grid": {}}
    print("\n== F0 median (st) vs neutral, Cohen's d raw / within speaker (mean st within)")
    for name, rs in rows.items():
        out["pitch_d"][name] = pitch_d(rs)
        print(f"  {name:8s}", "  ".join(f"{lab[:4]} {v['raw']:+.2f}/{v['within']:+.2f} ({v['st_within']:+.1f})"
                                        for lab, v in out["pitch_d"][name].items()))
    print("\n== speaker F0 medians (Hz) / formant spacing dF (Hz), sex as documented")
    for name, rs in rows.items():
        print(f"  {name:8s}", ", ".join(speaker_summary(rs)))
    print("\n== neutral clips' level z against the documented sex's norm (median), per sex")
    for name, rs in rows.items():
        print(f"  {name:8s}", "  ".join(
            f"{sx} {_median([level_z(r, 'oracle_sex') for r in rs if r['gold'] == 'neutral' and r['sex'] == sx and r['st']]):+.2f}"
            for sx in ("m", "f") if any(r["sex"] == sx for r in rs)))
    print("\n== fearful vs sad clips, Cohen's d per dimension (level: combined sex rule)")
    out["fear_vs_sad"] = {}
    for name, rs in rows.items():
        if {"fearful", "sad"} <= {r["gold"] for r in rs}:
            out["fear_vs_sad"][name] = fear_vs_sad(rs)
            print(f"  {name:8s}", "  ".join(f"{d} {v:+.2f}" for d, v in out["fear_vs_sad"][name].items()))
    print("\n== sex guessed per clip without speaker labels: share right")
    for name, rs in rows.items():
        out["sex"][name] = sex_accuracy(rs)
        print(f"  {name:8s}", "  ".join(f"{rule} {v['all']} {v['per_label']}" for rule, v in out["sex"][name].items()))
    grid = [("baseline", None, 0.0, "-")] + [(f"{p} w{w} {rule}", prof, w, rule)
                                            for p, prof in PROFILE_SETS.items() for w in WEIGHTS
                                            for rule in RULES + ORACLES]
    names = list(rows)
    print("\n== voice top-1 (all clips; no speech counts wrong)", "  ".join(names), " mean5  worst5-delta")
    results = {}
    for key, prof, w, rule in grid:
        accs = {n: accuracy(rows[n], prof, w, rule) for n in names}
        results[key] = accs
        a5 = [accs[n][0] for n in FIVE if n in accs]
        base = results["baseline"]
        worst = min(accs[n][0] - base[n][0] for n in FIVE if n in accs)
        out["grid"][key] = {n: round(accs[n][0], 4) for n in names}
        print(f"  {key:44s}", "  ".join(f"{accs[n][0]:.3f}" for n in names), f" {_mean(a5):.4f}  {worst:+.3f}")
    # leave one corpus out: the product-feasible configs (not the oracles), chosen on the other four
    feasible = [k for k, _, _, rule in grid if rule not in ORACLES]
    print("\n== left out -> chosen on the other four (mean gain there); held-out corpus's change")
    held_out = []
    for held in FIVE:
        others = [n for n in FIVE if n != held and n in results["baseline"]]
        best = max(feasible, key=lambda k: (_mean([results[k][n][0] for n in others]), k == "baseline"))
        gain = _mean([results[best][n][0] - results["baseline"][n][0] for n in others])
        held_out.append(results[best][held][0] - results["baseline"][held][0])
        print(f"  {held:8s} -> {best} ({gain:+.4f}); {held} {held_out[-1]:+.3f}")
    print(f"  held-out mean change {_mean(held_out):+.4f}")
    out["per_label"] = {}
    print("\n== per-label recall, baseline -> product configs with weight 1 (C also 0.5); fear named sad, sad named fearful")
    for key in ["baseline"] + [k for k in feasible if k != "baseline"]:
        out["per_label"][key] = {n: {lab: round(v, 3) for lab, v in results[key][n][1].items()} for n in names}
    for n in names:
        b = results["baseline"][n]
        print(f"  {n}: baseline", " ".join(f"{lab[:4]} {v:.2f}" for lab, v in sorted(b[1].items())),
              f"| fear->sad {b[2][('fearful', 'sad')]} sad->fear {b[2][('sad', 'fearful')]}")
        for key in feasible[1:]:
            if " w1.0 " not in key and not key.startswith("C "):
                continue
            r = results[key][n]
            print(f"    {key:40s}", " ".join(f"{lab[:4]} {v - b[1][lab]:+.2f}" for lab, v in sorted(r[1].items())),
                  f"| fear->sad {r[2][('fearful', 'sad')]} sad->fear {r[2][('sad', 'fearful')]}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("measure", "analyse"))
    p.add_argument("corpora", nargs="+", help="NAME=DIR[:labels.csv]")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    data = measure_all(args.corpora)
    if args.what == "analyse":
        out = analyse(data)
        if args.json:
            args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
