"""Does the speech gate hear real emotional speech, and does it reject music and other sound?

Why: the pitch tracker (``media.prosody``) calls any periodic sound a voice, so a chord of sine
tones under pink noise was answered as a "quiet, monotone, slow" sad voice, and Whisper was asked
for its words. ``perception`` now claims speech only where Silero VAD (``media.vad``) hears it.
The risk of that gate is real speech it misses (shouting, crying, whispering): the voice and
the words would be dropped. This script measures both sides, before and after:

* speech: a seeded sample of real emotional speech per corpus (RAVDESS, EmoDB, CASIA, EMOVO,
  URDU, SAVEE: audio; Javanese AV and CREMA-D: video), the espeak-ng development corpus
  (``tests/devcorpus.py``) and whispered espeak-ng sentences (as ``tests/test_unpitched_speech.py``);
  the share where speech is found (voice channel) and where Whisper is asked (should stay ~1.0);
* non-speech: synthetic sounds made with ffmpeg's lavfi sources (chords, pulsing and vibrato tones,
  harmonic buzzes, sweeps, clicks, noise colours, drum-like bursts): the share rejected (the target).

Three rules. "before": the pitch tracker alone (speech: ``Prosody.speech_found``; Whisper: speech
found or ``active_s`` >= ``BEFORE_ACTIVE_S``, the rule the gate replaced). "segments": Silero's
own segments (>= 0.25 s), tried first. "adopted": ``media.vad.VoiceActivity.heard`` (at least
``MIN_VAD_SPEECH_S`` of 32 ms windows at probability >= 0.5). Speech found also needs the pitch
tracker's voice, as before. Nothing is fitted here; the per-clip measures go to
``eval/results/vad.json`` (``--score-only`` re-scores them with the current gate, measuring
nothing), the table and the VAD's CPU time per 5 s of audio to ``eval/results/vad.md``.
Decoding is ffmpeg's (16 kHz mono), as ``media.clip`` reads a file.

    python eval/vad_eval.py [--sample 100] [--seed 0] [--name vad] [--score-only]

Corpus folders default to the ones below (``--root NAME=DIR`` to change one); a missing folder is
skipped and said so. Not run by the tests (minutes of CPU).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "eval"))

SR = 16_000
BEFORE_ACTIVE_S = 0.3  # the Whisper gate before the VAD: seconds of sound above the activity threshold
CORPORA = {  # name -> (folder, how its files are listed)
    "ravdess": ("/tmp/ravdess", "glob:*.wav"),
    "emodb": ("/tmp/emodb/wav", "glob:*.wav"),
    "casia": ("/tmp/realdata/casia", "labels.csv"),
    "emovo": ("/tmp/realdata/emovo", "labels.csv"),
    "urdu": ("/tmp/realdata/urdu", "labels.csv"),
    "savee": ("/tmp/realdata/savee", "labels.csv"),
    "javanese_av": ("/tmp/realdata/javanese_av/clips", "glob:*.mp4"),
    "cremad6": ("/tmp/realdata/cremad6/clips", "glob:*.flv"),
}
NONSPEECH_S = 6
# ffmpeg lavfi filtergraphs (mono, 16 kHz, NONSPEECH_S long): name -> graph.
_T = f"d={NONSPEECH_S}:s={SR}"  # aevalsrc
_S = f"duration={NONSPEECH_S}:sample_rate={SR}"  # sine, anoisesrc
NONSPEECH = {
    # the reported clip: a C major chord with pink noise, mixed and pulsed
    "chord+pink+pulse": (f"sine=f=261:{_S}[a];sine=f=329:{_S}[b];sine=f=392:{_S}[c];"
                         f"anoisesrc=color=pink:a=0.05:{_S}[n];[a][b][c][n]amix=inputs=4,apulsator=hz=1"),
    "chord": f"aevalsrc=0.2*(sin(2*PI*261*t)+sin(2*PI*329*t)+sin(2*PI*392*t)):{_T}",
    "sine440": f"aevalsrc=0.5*sin(2*PI*440*t):{_T}",
    "pulsing220": f"aevalsrc=0.5*sin(2*PI*220*t)*(0.5+0.5*sin(2*PI*2*t)):{_T}",
    "tremolo300": f"aevalsrc=0.5*sin(2*PI*300*t)*(0.6+0.4*sin(2*PI*6*t)):{_T}",
    "vibrato220": f"aevalsrc=0.5*sin(2*PI*220*t+2.2*sin(2*PI*5*t)):{_T}",
    "sawtooth120": f"aevalsrc=0.3*(2*(120*t-floor(120*t+0.5))):{_T}",
    "square150": f"aevalsrc=0.3*sgn(sin(2*PI*150*t)):{_T}",
    "hum50": f"aevalsrc=0.2*(sin(2*PI*50*t)+0.5*sin(2*PI*100*t)+0.3*sin(2*PI*150*t)):{_T}",
    "sweep100-4000": f"aevalsrc=0.5*sin(2*PI*(100*t+(3900/{2 * NONSPEECH_S})*t*t)):{_T}",
    "sweep80-400": f"aevalsrc=0.5*sin(2*PI*(80*t+(320/{2 * NONSPEECH_S})*t*t)):{_T}",
    "melody": f"aevalsrc=0.4*sin(2*PI*262*pow(2\\,floor(mod(t*4\\,8))/12)*t)*exp(-4*mod(t\\,0.25)):{_T}",
    "chords-changing": (f"aevalsrc=0.2*(sin(2*PI*220*pow(2\\,floor(mod(t*2\\,4))*5/12)*t)"
                        f"+sin(2*PI*277*pow(2\\,floor(mod(t*2\\,4))*5/12)*t)"
                        f"+sin(2*PI*330*pow(2\\,floor(mod(t*2\\,4))*5/12)*t)):{_T}"),
    "bells": f"aevalsrc=0.5*sin(2*PI*880*t)*exp(-6*mod(t\\,0.7))+0.3*sin(2*PI*1320*t)*exp(-8*mod(t\\,0.7)):{_T}",
    "metronome2hz": f"aevalsrc=0.8*sin(2*PI*1500*t)*lt(mod(t\\,0.5)\\,0.01):{_T}",
    "clicks10hz": f"aevalsrc=0.8*lt(mod(t\\,0.1)\\,0.001):{_T}",
    "drums": f"aevalsrc=0.6*(random(0)*2-1)*exp(-30*mod(t\\,0.5))+0.6*sin(2*PI*60*t)*exp(-20*mod(t+0.25\\,0.5)):{_T}",
    "white": f"anoisesrc=color=white:a=0.3:{_S}",
    "pink": f"anoisesrc=color=pink:a=0.3:{_S}",
    "brown": f"anoisesrc=color=brown:a=0.3:{_S}",
    "blue": f"anoisesrc=color=blue:a=0.3:{_S}",
    "chord+brown": (f"aevalsrc=0.2*(sin(2*PI*261*t)+sin(2*PI*329*t)+sin(2*PI*392*t)):{_T}[a];"
                    f"anoisesrc=color=brown:a=0.1:duration={NONSPEECH_S}:sample_rate={SR}[n];[a][n]amix=inputs=2"),
}
WHISPERED = ["I think I left my keys at the office yesterday.",
             "Please close the door quietly, the baby is asleep.",
             "Do not tell anyone what you saw here tonight."]


def decode(path: Path | str, lavfi: bool = False):
    """Mono float32 16 kHz audio of a file (any format ffmpeg reads) or of a lavfi graph."""
    import numpy as np

    src = ["-f", "lavfi", "-i", str(path)] if lavfi else ["-i", str(path)]
    raw = subprocess.run(["ffmpeg", "-v", "error", *src, "-f", "f32le", "-ac", "1", "-ar", str(SR), "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def corpus_files(folder: Path, listing: str, sample: int, rng: random.Random) -> list[Path]:
    if listing == "labels.csv":
        with (folder / listing).open(encoding="utf-8", newline="") as fh:
            files = [folder / (row.get("path") or row["file"]) for row in csv.DictReader(fh)]
    else:
        files = sorted(folder.glob(listing.split(":", 1)[1]))
    return sorted(rng.sample(files, min(sample, len(files))))


def _make_examples():
    import importlib.util

    spec = importlib.util.spec_from_file_location("affect_llm_make_examples", REPO / "examples" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def speech_items(sample: int, seed: int, roots: dict[str, str], tmp: Path):
    """Yield (kind, group, id, audio) for every clip measured."""
    rng = random.Random(seed)
    for name, (folder, listing) in CORPORA.items():
        folder = Path(roots.get(name, folder))
        if not folder.exists():
            print(f"{name}: {folder} missing, skipped", file=sys.stderr)
            continue
        for path in corpus_files(folder, listing, sample, rng):
            yield "speech", name, str(path.relative_to(folder)), decode(path)
    from devcorpus import build_corpus

    corpus = build_corpus(name="vad_eval")  # cached clips; its own manifest name, not the shared one
    for rec in corpus.gold_records():
        yield "speech", "espeak_devcorpus", rec["id"], decode(corpus.root / rec["video"])
    make = _make_examples()
    for i, text in enumerate(WHISPERED):
        wav = tmp / f"whispered{i}.wav"
        make.synthesize(text, ["-v", "en+whisper", "-s", "150"], wav)
        yield "speech", "espeak_whispered", f"whispered{i}", decode(wav)
    for name, graph in NONSPEECH.items():
        yield "nonspeech", "synthetic", name, decode(graph, lavfi=True)


def measure(audio) -> dict:
    """The pitch tracker's and the VAD's numbers for one clip, and the VAD's time."""
    from affect_llm.media.prosody import analyze_prosody
    from affect_llm.media.vad import voice_activity

    prosody = analyze_prosody(audio, SR)
    start = time.perf_counter()
    activity = voice_activity(audio, SR)
    vad_ms = (time.perf_counter() - start) * 1000.0
    return {"duration_s": round(audio.size / SR, 3), "speech_found": prosody.speech_found,
            "active_s": prosody.active_s, "vad_segments_s": activity.speech_s,
            "vad_confident_s": activity.confident_s,
            "vad_max_prob": round(float(activity.probs.max()) if activity.probs.size else 0.0, 3),
            "vad_ms": round(vad_ms, 2)}


# Decisions per rule: (speech found for the voice channel, Whisper asked). "segments": Silero's
# own segments (>= 0.25 s) only, the rule tried first; "adopted": media.vad.VoiceActivity.heard.
RULES = ("before", "segments", "adopted")


def gates(row: dict) -> dict:
    """Each rule's decisions for one clip."""
    from affect_llm.media.vad import MIN_SEGMENT_S
    from affect_llm.media.vad import MIN_VAD_SPEECH_S

    heard = {"segments": row["vad_segments_s"] >= MIN_SEGMENT_S,
             "adopted": row["vad_confident_s"] >= MIN_VAD_SPEECH_S}  # as media.vad.VoiceActivity.heard
    out = {"speech_before": row["speech_found"],
           "whisper_before": row["speech_found"] or row["active_s"] >= BEFORE_ACTIVE_S}
    for rule in RULES[1:]:
        out[f"speech_{rule}"] = row["speech_found"] and heard[rule]
        out[f"whisper_{rule}"] = heard[rule]
    return out


def table(rows: list[dict]) -> str:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["kind"], r["group"]), []).append(r)
    lines = ["| clips | n | speech found: before | segments | adopted | Whisper asked: before | segments | adopted "
             "| VAD max prob (min / median / max) |", "|---|---|---|---|---|---|---|---|---|"]
    for (kind, group), rs in groups.items():
        n = len(rs)

        def share(key: str, rs: list[dict] = rs, kind: str = kind) -> str:
            hit = sum(bool(r[key]) for r in rs)
            return f"{(n - hit if kind == 'nonspeech' else hit) / n:.2f}"

        ps = [r["vad_max_prob"] for r in rs]
        label = f"{group} ({'rejected' if kind == 'nonspeech' else 'found'})"
        cells = [share(f"speech_{rule}") for rule in RULES] + [share(f"whisper_{rule}") for rule in RULES]
        lines.append(f"| {label} | {n} | {' | '.join(cells)} | {min(ps):.2f} / {statistics.median(ps):.2f} / {max(ps):.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=100, help="clips per real corpus (seeded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="vad")
    ap.add_argument("--root", action="append", default=[], help="NAME=DIR: another folder for a corpus")
    ap.add_argument("--score-only", action="store_true", help="re-score eval/results/NAME.json, measure nothing")
    args = ap.parse_args(argv)
    roots = dict(r.split("=", 1) for r in args.root)
    out = REPO / "eval" / "results"
    if args.score_only:  # the measures kept by an earlier run, scored with the current gate
        measures = json.loads((out / f"{args.name}.json").read_text())
    else:
        measures = []
        with tempfile.TemporaryDirectory(prefix="vad_eval_") as tmp:
            for kind, group, clip_id, audio in speech_items(args.sample, args.seed, roots, Path(tmp)):
                measures.append({"kind": kind, "group": group, "id": clip_id, **measure(audio)})
    rows = [row | gates(row) for row in measures]
    per_5s = sorted(r["vad_ms"] * 5.0 / max(r["duration_s"], 0.1) for r in rows)
    cost = (f"VAD CPU time per 5 s of audio over {len(rows)} clips: median {statistics.median(per_5s):.0f} ms, "
            f"90th percentile {per_5s[int(0.9 * len(per_5s))]:.0f} ms (OMP_NUM_THREADS as set; numpy pass).")
    from affect_llm.media.vad import MIN_VAD_SPEECH_S

    def listed(kind: str, key: str, want: bool) -> str:
        hits = [f"{r['group']}/{r['id']} (max {r['vad_max_prob']}, {r['vad_confident_s']} s)"
                for r in rows if r["kind"] == kind and bool(r[key]) == want]
        return ", ".join(hits) or "none"

    md = "\n".join(["# Speech gate: pitch tracker alone (before) vs Silero VAD", "",
                    f"`python eval/vad_eval.py --sample {args.sample} --seed {args.seed}`", "",
                    "Speech rows: share where speech is found / Whisper is asked (keep ~1.0). "
                    "Non-speech rows: share *rejected* (the target). *before*: the pitch tracker alone "
                    f"(Whisper also on >= {BEFORE_ACTIVE_S} s of sound). *segments*: Silero's own segments "
                    "(>= 0.25 s at probability >= 0.5), tried first. *adopted*: `media.vad.VoiceActivity.heard`, "
                    f">= {MIN_VAD_SPEECH_S} s of 32 ms windows at probability >= 0.5. Speech found also "
                    "needs the pitch tracker's voice, as before.", "",
                    table(rows), "", cost, "",
                    f"Speech the adopted gate misses: {listed('speech', 'whisper_adopted', False)}.", "",
                    f"Speech Silero's segments alone miss: {listed('speech', 'whisper_segments', False)}.", "",
                    f"Non-speech the adopted gate lets through: {listed('nonspeech', 'whisper_adopted', True)}.", ""])
    (out / f"{args.name}.json").write_text("[\n" + ",\n".join(json.dumps(m) for m in measures) + "\n]\n")
    (out / f"{args.name}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
