"""How the voice channel and the decision do on *real* labelled emotional speech you bring.

Why: the development corpus is espeak-ng, whose loudness is a gain and whose voice quality never
changes, so it cannot say how the voice channel reads people. The product is judged on real
recordings; this script measures it on any labelled real corpus a user has, without shipping
or training on that corpus. Nothing here is fitted: it reads the pipeline's own numbers.

Labels come from the file names of two common corpora, or from a CSV:

* RAVDESS (``03-01-EE-II-SS-RR-AA.wav``; EE 01 neutral, 02 calm (read as neutral), 03 happy,
  04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised; AA the actor);
* CREMA-D (``AAAA_SSS_EEE_II.wav``; EEE ANG, DIS, FEA, HAP, NEU, SAD; AAAA the actor);
* Berlin EmoDB, German (``SSTTTEV.wav``, e.g. ``03a01Fa.wav``; SS the speaker, TTT the text, E
  W Wut = angry, E Ekel = disgusted, A Angst = fearful, F Freude = happy, T Trauer = sad,
  N neutral, L Langeweile = boredom, which the label set lacks: those clips are skipped and
  counted; V the take); read with the German norms (``language="de"``);
* ``--labels FILE.csv`` with columns ``file,label`` (``path`` is read as ``file``; optional
  ``speaker``, ``language``); labels are read with ``emotions.label_of`` ("anger", "joy", "calm"
  ... all work). The language sets the voice's norms in voice mode; the pipeline detects it
  from the speech, as it does for a user's clip.

Two modes:

* ``--mode voice`` (default, ~0.1 s a clip): the product's VAD and prosody
  (``perception.listen``) -> the voice channel alone, and the fusion
  of the voice with the words read from ``--words`` (the corpus's sentence, or none). Both
  corpora above use emotionally flat sentences, so the voice must carry the emotion.
* ``--mode pipeline`` (~2-5 s a clip): each recording goes through ``perception.perceive`` as
  a user's sound file would (the product takes sound-only files; until ece2212 each was muxed
  with a grey still picture into an MP4, AAC at 128 kb/s):
  Whisper, the words channel on what it heard, the voice, the fusion (``emotions`` of the
  answer). No LLM runs: the emotions do not depend on it.

Figures: the voice's top label and the answer's first-named emotion against the gold label,
overall and per speaker half (the first half of the speakers against the second: a drop would
show a dependence on the speakers the zero points were checked on), what was named, and the
confusion matrix. Results go to ``eval/results/<name>.{md,json}``.

    python eval/real_speech_eval.py DIR [--mode voice|pipeline] [--labels FILE.csv]
        [--sample N] [--words "Kids are talking by the door."] [--name real_speech] [--note TEXT]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a"}
RAVDESS = {"01": "neutral", "02": "neutral", "03": "happy", "04": "sad", "05": "angry", "06": "fearful",
           "07": "disgusted", "08": "surprised"}
CREMA = {"ANG": "angry", "DIS": "disgusted", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
# EmoDB's German letters; L (Langeweile, boredom) maps to None: not in the label set, skipped.
EMODB = {"W": "angry", "E": "disgusted", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral", "L": None}
EMODB_NAME = re.compile(r"^(\d\d)([ab]\d\d)([WEAFTNL])([a-z])$")


@dataclass
class Item:
    path: Path
    label: str
    speaker: str
    corpus_language: str | None = None  # from the corpus's names or CSV: voice-mode norms only


def label_from_name(path: Path) -> tuple[str | None, str, str] | None:
    """(label, speaker, language) from a RAVDESS, CREMA-D or EmoDB file name, else None.

    The label is None for a known corpus's emotion the label set lacks (EmoDB's boredom).
    """
    parts = path.stem.split("-")
    if len(parts) == 7 and all(p.isdigit() for p in parts) and parts[2] in RAVDESS:
        return RAVDESS[parts[2]], parts[6], "en"
    parts = path.stem.split("_")
    if len(parts) == 4 and parts[2] in CREMA:
        return CREMA[parts[2]], parts[0], "en"
    m = EMODB_NAME.match(path.stem)
    if m:
        return EMODB[m.group(3)], m.group(1), "de"
    return None


def read_items(folder: Path, labels_csv: Path | None) -> list[Item]:
    from affect_llm.emotions import label_of

    if labels_csv is not None:
        items = []
        with labels_csv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                label = label_of(row["label"])
                if label is None:
                    sys.exit(f"{labels_csv}: label {row['label']!r} is not an emotion word the label set reads")
                name = row.get("file") or row.get("path")
                if not name:
                    sys.exit(f"{labels_csv}: needs a 'file' (or 'path') column beside 'label'")
                # The corpus's language sets the voice's norms in voice mode; the pipeline detects
                # it from the speech, as it would for a user's clip.
                items.append(Item(folder / name, label, row.get("speaker") or "?",
                                  corpus_language=row.get("language") or None))
        return items
    items, skipped = [], 0
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        named = label_from_name(path)
        if named and named[0] is None:
            skipped += 1
        elif named:
            items.append(Item(path, named[0], named[1], corpus_language=named[2]))
    if skipped:
        print(f"{folder}: skipped {skipped} clips whose emotion the label set lacks (EmoDB boredom)")
    if not items:
        sys.exit(f"{folder}: no RAVDESS-, CREMA-D- or EmoDB-named audio files; give --labels FILE.csv (file,label)")
    return items


def stratified(items: list[Item], n: int, seed: int = 0) -> list[Item]:
    """About ``n`` items, the same number per label where possible, deterministic."""
    rng = random.Random(seed)
    by_label: dict[str, list[Item]] = {}
    for it in items:
        by_label.setdefault(it.label, []).append(it)
    per = max(1, n // len(by_label))
    picked = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        picked += group[:per]
    return sorted(picked, key=lambda it: it.path.name)


def load_audio(path: Path, sample_rate: int = 16_000):
    """Mono float32 at ``sample_rate`` via ffmpeg (any format ffmpeg reads)."""
    import numpy as np

    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar",
                          str(sample_rate), "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def run_voice(items: list[Item], words: str | None) -> list[dict]:
    """The voice as the product hears it (``perception.listen``: the VAD, then prosody inside the
    speech it heard), read with the corpus's language norms, then fused with ``words``."""
    from affect_llm.evidence import absent
    from affect_llm.evidence.fusion import fuse
    from affect_llm.evidence.voice import voice_evidence
    from affect_llm.evidence.words import words_evidence
    from affect_llm.perception import listen

    words_ev = words_evidence(words) if words else absent("words", "no words given")
    rows = []
    for it in items:
        prosody, _ = listen(load_audio(it.path), 16_000)
        voice = voice_evidence(prosody, True, language=it.corpus_language or "en")
        fusion = fuse({"face": absent("face", "no picture"), "voice": voice, "words": words_ev})
        rows.append({"file": it.path.name, "gold": it.label, "speaker": it.speaker,
                     "voice_top": voice.top(1)[0][0] if voice.present else None,
                     "voice_reliability": round(voice.reliability, 3), "first": fusion.emotions[0],
                     "emotions": fusion.emotions})
    return rows


def run_pipeline(items: list[Item]) -> list[dict]:
    from affect_llm.perception import PerceiveOptions, perceive

    rows = []
    for i, it in enumerate(items, 1):
        p = perceive(it.path, PerceiveOptions())
        voice, words = p.cues.evidence["voice"], p.cues.words
        rows.append({"file": it.path.name, "gold": it.label, "speaker": it.speaker,
                     "voice_top": voice.top(1)[0][0] if voice.present else None,
                     "voice_reliability": round(voice.reliability, 3), "first": p.cues.candidates[0],
                     "emotions": p.cues.candidates, "heard": words.subtitle or words.heard,
                     "transcript_reliable": words.transcript_reliable,
                     "words_top": p.cues.evidence["words"].top(1)[0][0] if p.cues.evidence["words"].present else None,
                     # each channel's evidence, so a fusion rule can be re-measured offline
                     "evidence": {m: {**ev.to_dict(), "flat_weight": ev.flat_weight} for m, ev in p.cues.evidence.items()},
                     "translation": words.translation, "translation_reliable": words.translation_reliable})
        if i % 10 == 0:
            print(f"  {i}/{len(items)}", flush=True)
    return rows


def report(rows: list[dict]) -> dict:
    from affect_llm.emotions import LABELS

    def acc(key: str, subset: list[dict]) -> str:
        ok = sum(r[key] == r["gold"] for r in subset)
        return f"{ok / len(subset):.2f} ({ok}/{len(subset)})" if subset else "-"

    speakers = sorted({r["speaker"] for r in rows})
    half = set(speakers[: len(speakers) // 2])
    first_half = [r for r in rows if r["speaker"] in half]
    second_half = [r for r in rows if r["speaker"] not in half]
    gold_counts = Counter(r["gold"] for r in rows)
    return {
        "clips": len(rows),
        "speakers": len(speakers),
        "chance_uniform": round(1 / len(gold_counts), 3),
        "majority_label_rate": round(max(gold_counts.values()) / len(rows), 3),
        "voice_top": {"all": acc("voice_top", rows), "first_half_speakers": acc("voice_top", first_half),
                      "second_half_speakers": acc("voice_top", second_half)},
        "first_named": {"all": acc("first", rows), "first_half_speakers": acc("first", first_half),
                        "second_half_speakers": acc("first", second_half)},
        "per_label_first_named": {lab: acc("first", [r for r in rows if r["gold"] == lab])
                                  for lab in LABELS if gold_counts.get(lab)},
        "per_label_voice_top": {lab: acc("voice_top", [r for r in rows if r["gold"] == lab])
                                for lab in LABELS if gold_counts.get(lab)},
        "named_first": dict(Counter(r["first"] for r in rows).most_common()),
        "voice_named": dict(Counter(r["voice_top"] for r in rows).most_common()),
        "confusion": {g: dict(Counter(r["first"] for r in rows if r["gold"] == g)) for g in LABELS if gold_counts.get(g)},
    }


def markdown(name: str, meta: dict, rep: dict) -> str:
    from affect_llm.emotions import LABELS

    lines = [f"# Real speech: {name}", "",
             f"{meta['when']}; {rep['clips']} clips, {rep['speakers']} speakers; mode `{meta['mode']}`; "
             f"pipeline {meta['pipeline']}; words: {meta['words']!r}.",
             "Real recordings, labelled; not shipped, not trained on. Built by `eval/real_speech_eval.py`.", "",
             *([meta["note"], ""] if meta.get("note") else []),
             f"Chance (uniform over the corpus's labels): {rep['chance_uniform']}; always naming the most "
             f"common label: {rep['majority_label_rate']}.", "",
             "| figure | all | first half of speakers | second half |", "|---|---|---|---|"]
    for key, title in (("voice_top", "voice channel's top label"), ("first_named", "answer's first-named emotion")):
        v = rep[key]
        lines.append(f"| {title} | {v['all']} | {v['first_half_speakers']} | {v['second_half_speakers']} |")
    lines += ["", "Voice's top label, per gold label: "
              + ", ".join(f"{k} {v}" for k, v in rep.get("per_label_voice_top", {}).items()),
              "", "First-named, per gold label: " + ", ".join(f"{k} {v}" for k, v in rep["per_label_first_named"].items()),
              "", "Named first: " + ", ".join(f"{k} {v}" for k, v in rep["named_first"].items()),
              "", "Voice's top label: " + ", ".join(f"{k} {v}" for k, v in rep["voice_named"].items()),
              "", *confusion_table(rep["confusion"], LABELS, "named first", "named")]
    return "\n".join(lines) + "\n"


def confusion_table(confusion: dict[str, dict[str, int]], columns: list[str] | tuple[str, ...], read_as: str,
                    head: str) -> list[str]:
    """A confusion matrix as markdown lines, rows the gold labels; one home for the eval reports."""
    lines = [f"Confusion (rows gold, columns {read_as}):", "",
             f"| gold \\ {head} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    return lines + [f"| {gold} | " + " | ".join(str(row.get(c, "")) for c in columns) + " |"
                    for gold, row in confusion.items()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="folder of labelled audio files (searched recursively)")
    p.add_argument("--labels", type=Path, help="CSV with file,label[,speaker,language] (else labels from the file names)")
    p.add_argument("--mode", choices=("voice", "pipeline"), default="voice")
    p.add_argument("--sample", type=int, default=0, help="a stratified sample of about N clips (0: all)")
    p.add_argument("--words", default=None, help="voice mode: the sentence the clips say, read by the words channel")
    p.add_argument("--name", default="real_speech")
    p.add_argument("--note", default="", help="a line for the report, e.g. the corpus and its licence")
    args = p.parse_args(argv)

    items = read_items(args.folder, args.labels)
    if args.sample:
        items = stratified(items, args.sample)
    start = time.time()
    rows = run_voice(items, args.words) if args.mode == "voice" else run_pipeline(items)
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "mode": args.mode, "words": args.words,
            "pipeline": pipeline_rev(), "seconds": round(time.time() - start, 1), "folder": args.folder.name,
            "note": args.note}
    rep = report(rows)
    write_results(args.name, {"meta": meta, "report": rep, "rows": rows}, markdown(args.name, meta, rep))
    return 0


def pipeline_rev() -> str:
    """The commit the figures come from ("-dirty" when the tree had changes)."""
    rev = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return rev.stdout.strip() or "?"


def write_results(name: str, data: dict, text: str) -> None:
    """``eval/results/<name>.json`` (every row) and ``.md`` (``text``, also printed)."""
    out = REPO / "eval" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / f"{name}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
