"""Check the voice channel on synthetic speech: espeak-ng voices with literature-shaped prosody.

    python eval/voice_synthetic.py [--aac] [--json out.json]

Why this exists and what it is not: there is no emotional-speech corpus on this machine, so the
rules in ``affect_llm.evidence.voice`` are set from the literature and only *checked* here.
espeak-ng prosody is not human prosody: its loudness is a pure gain (no change of voice quality),
its pitch range is capped at twice the default, it has no jitter, breathiness or tension. The
clips below therefore add what espeak cannot do, in the direction the literature reports, and
nothing is tuned on the result:

* vocal effort: a spectral tilt that rises linearly in log-frequency from 0 dB at 500 Hz to
  ``effort_db`` at 4 kHz (louder, pressed voices gain roughly 10 dB of 1-5 kHz energy over soft
  ones: Sundberg & Nordenberg 2006; Eyben et al. 2016);
* loudness variation: a smooth random gain with ``level_var_db`` standard deviation (250 ms knots);
* pauses: SSML breaks at clause boundaries; surprise as a question (espeak's rising contour).

The neutral setting uses espeak's pitch range at 150 %, which gives a 10-90 % F0 span of about
6 semitones, the human conversational value the norms assume; espeak's default is flatter.

Every sentence is spoken in English (en-us), Spanish (es) and Mandarin (cmn), in a male-like and
a female-like voice (the ``+f3`` variant), and each clip is also measured 20 dB quieter. The
script prints the confusion matrix (rows: intended profile, columns: the voice channel's top
label), and the invariance figures (same scores at -20 dB; same label across registers).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from affect_llm.emotions import LABELS
from affect_llm.evidence.voice import voice_evidence
from affect_llm.perception import listen

SR = 16000


@dataclass(frozen=True)
class Style:
    """espeak-ng SSML prosody plus the post-processing espeak cannot do itself."""

    rate: int = 100  # percent
    pitch: int = 0  # percent change of the base pitch
    range: int = 150  # percent of espeak's default pitch range (150 = human-like neutral)
    effort_db: float = 0.0  # spectral tilt at 4 kHz relative to 500 Hz
    level_var_db: float = 0.0  # std of a slow random gain
    break_ms: int = 0  # pause at clause boundaries
    question: bool = False


# Directions from Juslin & Laukka 2003 (Table 7), Banse & Scherer 1996, Scherer 2003.
STYLES: dict[str, Style] = {
    "neutral": Style(),
    "angry": Style(rate=120, pitch=10, range=200, effort_db=8, level_var_db=3),
    "happy": Style(rate=112, pitch=25, range=200, effort_db=4, level_var_db=2),
    "sad": Style(rate=75, pitch=-10, range=60, effort_db=-5, break_ms=500),
    "fearful": Style(rate=130, pitch=30, range=110, effort_db=3, level_var_db=1, break_ms=250),
    "surprised": Style(rate=100, pitch=20, range=200, effort_db=3, level_var_db=1, question=True),
    "disgusted": Style(rate=80, pitch=-15, range=110, effort_db=-2, break_ms=350),
}

SENTENCES: dict[str, list[str]] = {
    "en": ["I was walking home yesterday, and I saw the old house by the river.",
           "The meeting starts at nine, so we should leave the office early.",
           "She told me the letter arrived this morning, with the rest of the papers.",
           "We moved the table into the kitchen, next to the window."],
    "es": ["Ayer caminaba a casa, y vi la vieja casa junto al río.",
           "La reunión empieza a las nueve, así que saldremos temprano.",
           "Ella me dijo que la carta llegó esta mañana, con los demás papeles.",
           "Pusimos la mesa en la cocina, junto a la ventana."],
    "cmn": ["我昨天走路回家，看到了河边的老房子。",
            "会议九点开始，所以我们要早点出发。",
            "她告诉我信今天早上到了，和其他文件一起。",
            "我们把桌子搬到厨房，放在窗户旁边。"],
}
VOICES = {"en": "en-us", "es": "es", "cmn": "cmn"}
REGISTERS = {"male": "", "female": "+f3"}


def ssml(text: str, lang: str, style: Style) -> str:
    body = text
    if style.question:
        body = body.rstrip("。.") + "?"
        if lang == "es":
            body = "¿" + body
    if style.break_ms:
        brk = f'<break time="{style.break_ms}ms"/>'
        body = body.replace("，", "，" + brk).replace(", ", ", " + brk + " ")
    return (f'<speak><prosody rate="{style.rate}%" pitch="{style.pitch:+d}%" range="{style.range}%">'
            f"{body}</prosody></speak>")


def speak(text: str, voice: str, aac: bool) -> np.ndarray:
    """espeak-ng -> (optionally AAC 32k like the example clips) -> 16 kHz mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-m", "-w", str(wav), text], check=True, capture_output=True)
        src = wav
        if aac:
            src = Path(tmp) / "s.m4a"
            subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "32k", "-ar", str(SR),
                            "-ac", "1", str(src)], check=True, capture_output=True)
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-ar", str(SR), "-ac", "1", "-f", "f32le", "-"],
                             check=True, capture_output=True).stdout
    return np.frombuffer(out, np.float32).copy()


def post(x: np.ndarray, style: Style, seed: int) -> np.ndarray:
    """Add the effort tilt and the slow loudness variation espeak cannot produce."""
    if style.effort_db:
        spec = np.fft.rfft(x)
        f = np.fft.rfftfreq(x.size, 1 / SR)
        ramp = np.clip(np.log2(np.maximum(f, 1.0) / 500.0) / 3.0, 0.0, 1.0)
        x = np.fft.irfft(spec * 10 ** (style.effort_db * ramp / 20), x.size).astype(np.float32)
    if style.level_var_db:
        rng = np.random.default_rng(seed)
        knots = rng.normal(0.0, style.level_var_db, x.size // (SR // 4) + 2)
        gain_db = np.interp(np.arange(x.size), np.arange(knots.size) * (SR // 4), knots)
        x = (x * 10 ** (gain_db / 20)).astype(np.float32)
    peak = np.abs(x).max()
    return (x * (0.5 / peak)).astype(np.float32) if peak > 0 else x


def run(aac: bool) -> dict:
    rows = []
    for lang, sentences in SENTENCES.items():
        for si, text in enumerate(sentences):
            for label, style in STYLES.items():
                for reg, suffix in REGISTERS.items():
                    x = post(speak(ssml(text, lang, style), VOICES[lang] + suffix, aac), style, seed=si)
                    ev = voice_evidence(listen(x, SR)[0], True, language=lang)  # VAD, then prosody in its speech
                    quiet = voice_evidence(listen(x * 0.1, SR)[0], True, language=lang)
                    rows.append({"lang": lang, "sentence": si, "intended": label, "register": reg,
                                 "top": ev.top(1)[0][0], "top_p": ev.top(1)[0][1], "reliability": ev.reliability,
                                 "arousal": ev.detail["arousal"], "scores": ev.scores,
                                 "quiet_diff": max(abs(ev.scores[k] - quiet.scores[k]) for k in LABELS),
                                 "dims": ev.detail["dimensions"]})
    return summarize(rows)


def summarize(rows: list[dict]) -> dict:
    idx = {lab: i for i, lab in enumerate(LABELS)}
    conf = np.zeros((len(LABELS), len(LABELS)), int)
    for r in rows:
        conf[idx[r["intended"]], idx[r["top"]]] += 1
    conf_by_lang = {}
    for lang in SENTENCES:
        c = np.zeros((len(LABELS), len(LABELS)), int)
        for r in rows:
            if r["lang"] == lang:
                c[idx[r["intended"]], idx[r["top"]]] += 1
        conf_by_lang[lang] = c.tolist()
    worst = max(rows, key=lambda r: r["quiet_diff"])
    by_lang = {lang: float(np.mean([r["top"] == r["intended"] for r in rows if r["lang"] == lang]))
               for lang in SENTENCES}
    pairs = {}
    for r in rows:
        pairs.setdefault((r["lang"], r["sentence"], r["intended"]), {})[r["register"]] = r
    same = [p["male"]["top"] == p["female"]["top"] for p in pairs.values()]
    reg_diff = [max(abs(p["male"]["scores"][k] - p["female"]["scores"][k]) for k in LABELS) for p in pairs.values()]
    arousal = {lab: round(float(np.mean([r["arousal"] for r in rows if r["intended"] == lab])), 2) for lab in LABELS}
    dims = {lab: {d: round(float(np.mean([r["dims"][d] for r in rows if r["intended"] == lab and r["dims"][d] is not None])), 2)
                  for d in rows[0]["dims"]} for lab in LABELS}
    return {"n": len(rows), "accuracy": float(np.trace(conf) / conf.sum()), "chance": 1 / len(LABELS),
            "accuracy_by_lang": by_lang, "labels": list(LABELS), "confusion": conf.tolist(),
            "confusion_by_lang": conf_by_lang,
            "quiet_worst": {k: worst[k] for k in ("lang", "sentence", "intended", "register", "quiet_diff")},
            "quiet_max_score_diff": float(max(r["quiet_diff"] for r in rows)),
            "register_same_top": float(np.mean(same)), "register_mean_max_diff": float(np.mean(reg_diff)),
            "mean_top_p": float(np.mean([r["top_p"] for r in rows])),
            "mean_reliability": float(np.mean([r["reliability"] for r in rows])),
            "mean_arousal_by_intended": arousal, "mean_dims_by_intended": dims}


def _matrix(conf: list[list[int]]) -> str:
    width = max(len(lab) for lab in LABELS)
    lines = [f"{'intended':<{width}} " + " ".join(f"{lab[:5]:>5}" for lab in LABELS)]
    lines += [f"{lab:<{width}} " + " ".join(f"{v:>5}" for v in row) for lab, row in zip(LABELS, conf)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--aac", action="store_true", help="pass every clip through AAC 32 kb/s like the example clips")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    args = ap.parse_args()
    res = run(args.aac)
    width = max(len(lab) for lab in LABELS)
    print(_matrix(res["confusion"]))
    for lang, conf in res["confusion_by_lang"].items():
        print(f"-- {lang}\n{_matrix(conf)}")
    for k in ("n", "accuracy", "chance", "accuracy_by_lang", "quiet_max_score_diff", "quiet_worst", "register_same_top",
              "register_mean_max_diff", "mean_top_p", "mean_reliability", "mean_arousal_by_intended"):
        print(f"{k}: {res[k]}")
    for lab, d in res["mean_dims_by_intended"].items():
        print(f"  {lab:<{width}} {d}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
