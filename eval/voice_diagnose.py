"""Why the voice channel names what it names on real speech: per-label dimensions, cross-corpus.

    python eval/voice_diagnose.py RAVDESS_DIR EMODB_DIR [--json out.json]

``eval/real_speech_eval.py`` says *how often* the voice is right; this script says *why*, for
two labelled corpora at once (file names as that script reads them), so that a change chosen
on one corpus can be checked on the other:

1. the mean z of each voice dimension (``evidence.voice.dimensions``) per gold label, next to
   the label's literature profile (``PROFILES``): a label whose clips sit far from its profile,
   or on top of another label's, cannot be named;
2. per measure and label, the standardised difference between the label's clips and the
   corpus's neutral clips (Cohen's d, pooled SD), in both corpora: a measure that separates a
   label from neutral in one corpus only is a corpus habit, not a cue;
3. the voice's top label with the shipped profiles, per corpus, per speaker half and per label;
4. a *diagnostic* fitted run: per-label mean dimensions fitted on the first half of one
   corpus's speakers, tested on its other half and on the other corpus. It says how far the
   dimensions can go; nothing from it is shipped unless ``voice.py`` says so.

Prosody is measured once per clip and cached by the content of ``media/prosody.py`` (a change
there re-measures), under ``~/.cache/affect-llm/voice_diagnose``. Nothing here is shipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
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


def prosody_version() -> str:
    """The cache key of measured prosody: the source of ``media/prosody.py`` and ``media/vad.py``
    (the measures depend on the VAD too: prosody is measured inside the speech it hears)."""
    from affect_llm.media import prosody as pros
    from affect_llm.media import vad

    return hashlib.sha256(Path(pros.__file__).read_bytes() + Path(vad.__file__).read_bytes()).hexdigest()[:12]


def measure(folder: Path) -> list[dict]:
    """Prosody of every labelled clip in ``folder``, as the product measures it (cached per ``prosody_version``)."""
    from affect_llm.perception import listen

    cache = CACHE / f"{folder.name}-{prosody_version()}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    items = read_items(folder, None)
    rows, start = [], time.time()
    for i, it in enumerate(items, 1):
        p, _ = listen(load_audio(it.path), 16_000)  # the product's path: VAD, then prosody in its speech
        rows.append({"file": it.path.name, "gold": it.label, "speaker": it.speaker,
                     "language": it.corpus_language or "en",
                     "prosody": {k: v for k, v in dataclasses.asdict(p).items() if k != "contour"}})
        if i % 200 == 0:
            print(f"  {folder.name}: {i}/{len(items)} ({time.time() - start:.0f} s)", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(rows))
    return rows


def _prosody(row: dict):
    from affect_llm.media.prosody import Prosody

    fields = {f.name for f in dataclasses.fields(Prosody)}
    return Prosody(**{k: v for k, v in row["prosody"].items() if k in fields})


def with_dims(rows: list[dict]) -> list[dict]:
    from affect_llm.evidence.voice import dimensions

    out = []
    for r in rows:
        if not r["prosody"]["speech_found"]:
            continue
        out.append({**r, "dims": dimensions(_prosody(r), r["language"])})
    return out


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _sd(xs: list[float]) -> float:
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / max(1, len(xs) - 1)) if len(xs) > 1 else float("nan")


def label_dims(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Mean z of each dimension per gold label."""
    from affect_llm.evidence.voice import DIMS

    labels = sorted({r["gold"] for r in rows})
    return {lab: {d: round(_mean([r["dims"][d] for r in rows if r["gold"] == lab and r["dims"][d] is not None]), 2)
                  for d in DIMS} for lab in labels}


def cohen_d(rows: list[dict], measures: list[str]) -> dict[str, dict[str, float]]:
    """Per label (not neutral) and measure: (label mean - neutral mean) / pooled SD."""
    neutral = [r for r in rows if r["gold"] == "neutral"]
    out: dict[str, dict[str, float]] = {}
    for lab in sorted({r["gold"] for r in rows} - {"neutral"}):
        group = [r for r in rows if r["gold"] == lab]
        out[lab] = {}
        for m in measures:
            a = [r["prosody"][m] for r in group if r["prosody"].get(m) is not None]
            b = [r["prosody"][m] for r in neutral if r["prosody"].get(m) is not None]
            if len(a) < 3 or len(b) < 3:
                continue
            pooled = math.sqrt((_sd(a) ** 2 + _sd(b) ** 2) / 2) or float("nan")
            out[lab][m] = round((_mean(a) - _mean(b)) / pooled, 2)
    return out


def top_label(dims: dict, profiles: dict | None = None) -> str:
    from affect_llm.evidence import voice

    if profiles is None:
        scores = voice.label_scores(dims)
    else:
        saved = voice.PROFILES
        try:
            voice.PROFILES = profiles  # type: ignore[assignment]
            scores = voice.label_scores(dims)
        finally:
            voice.PROFILES = saved  # type: ignore[assignment]
    return max(scores, key=scores.get)


def accuracy(rows: list[dict], profiles: dict | None = None) -> dict:
    speakers = sorted({r["speaker"] for r in rows})
    first = set(speakers[: len(speakers) // 2])
    named = [(r, top_label(r["dims"], profiles)) for r in rows]

    def acc(sub: list) -> float:
        return round(sum(r["gold"] == t for r, t in sub) / len(sub), 3) if sub else float("nan")

    return {"all": acc(named), "first_half": acc([x for x in named if x[0]["speaker"] in first]),
            "second_half": acc([x for x in named if x[0]["speaker"] not in first]),
            "per_label": {lab: acc([x for x in named if x[0]["gold"] == lab])
                          for lab in sorted({r["gold"] for r in rows})},
            "named": dict(Counter(t for _, t in named).most_common())}


def fitted_profiles(rows: list[dict]) -> dict:
    """Per-label mean dimensions of ``rows``; labels absent from ``rows`` keep the literature's."""
    from affect_llm.evidence.voice import PROFILES

    fit = label_dims(rows)
    return {lab: ({d: (0.0 if math.isnan(v) else v) for d, v in fit[lab].items()} if lab in fit else dict(prof))
            for lab, prof in PROFILES.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpora", type=Path, nargs="+", help="folders of labelled clips (RAVDESS, EmoDB, CREMA-D names)")
    p.add_argument("--json", type=Path, help="write every figure here")
    args = p.parse_args(argv)

    from affect_llm.evidence.voice import NORMS, PROFILES

    data = {f.name: with_dims(measure(f)) for f in args.corpora}
    measures = sorted(set(NORMS) | {k for rows in data.values() for k, v in rows[0]["prosody"].items()
                                    if isinstance(v, float) and k not in NORMS})
    out: dict = {"profiles": PROFILES, "corpora": {}}
    for name, rows in data.items():
        speakers = sorted({r["speaker"] for r in rows})
        first = set(speakers[: len(speakers) // 2])
        fit = fitted_profiles([r for r in rows if r["speaker"] in first])
        out["corpora"][name] = {
            "clips": len(rows), "label_dims": label_dims(rows), "cohen_d_vs_neutral": cohen_d(rows, measures),
            "shipped": accuracy(rows),
            "fitted_on_first_half": {"profiles": fit, "on_own_second_half":
                                     accuracy([r for r in rows if r["speaker"] not in first], fit),
                                     "on_other_corpora": {o: accuracy(orows, fit)
                                                          for o, orows in data.items() if o != name}},
        }
    for name, rep in out["corpora"].items():
        print(f"\n== {name}: {rep['clips']} clips; shipped profiles: top {rep['shipped']['all']} "
              f"(halves {rep['shipped']['first_half']} / {rep['shipped']['second_half']})")
        print("   per label:", rep["shipped"]["per_label"])
        print("   named:", rep["shipped"]["named"])
        print("   mean z per label (profile in brackets):")
        for lab, dims in rep["label_dims"].items():
            print(f"     {lab:10s}", "  ".join(f"{d} {v:+.2f} ({PROFILES[lab][d]:+.1f})" for d, v in dims.items()))
        print("   Cohen's d vs neutral:")
        for lab, ds in rep["cohen_d_vs_neutral"].items():
            print(f"     {lab:10s}", "  ".join(f"{m} {v:+.2f}" for m, v in ds.items()))
        f = rep["fitted_on_first_half"]
        print(f"   fitted on first half: own second half {f['on_own_second_half']['all']} "
              f"{f['on_own_second_half']['per_label']}")
        for o, a in f["on_other_corpora"].items():
            print(f"     on {o}: {a['all']} {a['per_label']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
