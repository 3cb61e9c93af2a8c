"""How the voice channel reads real emotional speech recorded worse: noise, chatter, a phone, a room.

Why: the real corpora measured so far (``eval/real_speech_eval.py``) are studio recordings, but
users bring phone videos, vlogs and scenes from series, recorded in cafés, streets and halls.
The voice's measures are built to ignore the recording *level* (``media.prosody``); this script
asks whether they also ignore the recording *conditions*. Each clip of a labelled corpus is read
as recorded and again after one degradation at a time, all deterministic (seeded):

* ``white20`` / ``white10``: white noise 20 / 10 dB under the speech (the speech level is the
  RMS of the louder half of its 20 ms frames, so pauses do not count as quiet speech);
* ``pink10``: pink (1/f) noise 10 dB under the speech (traffic, ventilation);
* ``babble10``: five other speakers of the same corpus, summed, 10 dB under (a café, a crowd);
* ``phone``: a telephone channel: 300-3400 Hz, through 8 kHz, 8-bit mu-law;
* ``room``: a reverberant room (an exponentially decaying noise impulse response, RT60 0.6 s);
* ``quieter``: 20 dB lower, a check that the level still does not matter;
* ``music20`` / ``music10`` (with ``--music DIR``): music 20 / 10 dB under the speech, a seeded
  excerpt of one of DIR's sound files per clip (a scene from a film or a series, a vlog with a
  soundtrack: harmonic tones a pitch tracker may follow, and beats).

For each it reports the voice channel's top label against the gold label (``perception.listen``
then ``evidence.voice.voice_evidence``, as ``real_speech_eval.py --mode voice`` does), how often
the voice reads high arousal, and the median shift of each voice dimension against the same clip
as recorded. Nothing is fitted; the corpora are measured only.

    python eval/noise_robustness.py DIR [--labels FILE.csv] [--sample N] [--name noise_X]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import real_speech_eval as rse  # noqa: E402

SR = 16_000
CONDITIONS = ("clean", "white20", "white10", "pink10", "babble10", "phone", "room", "quieter")
MUSIC_CONDITIONS = ("music20", "music10")
BABBLE_VOICES = 5


def speech_rms(x: np.ndarray) -> float:
    """RMS of the louder half of the 20 ms frames: the speech's level, not its pauses'."""
    from affect_llm.media.prosody import frame_rms

    energy = np.sort(np.square(frame_rms(x, 320, 320), dtype=np.float64))
    return float(np.sqrt(energy[energy.size // 2:].mean()) + 1e-12)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def under(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``x`` with ``noise`` (tiled or cut to its length) ``snr_db`` under its speech level."""
    noise = np.resize(noise, x.size)
    gain = speech_rms(x) / (_rms(noise) * 10 ** (snr_db / 20))
    return (x + gain * noise).astype(np.float32)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spectrum.size, dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(f), n)


def phone(x: np.ndarray) -> np.ndarray:
    """300-3400 Hz, resampled through 8 kHz, 8-bit mu-law (G.711's companding)."""
    from scipy.signal import butter, resample_poly, sosfilt

    y = sosfilt(butter(6, [300, 3400], btype="band", fs=SR, output="sos"), x)
    y = resample_poly(y, 1, 2)
    peak = float(np.abs(y).max()) or 1.0
    mu = 255.0
    c = np.sign(y / peak) * np.log1p(mu * np.abs(y / peak)) / np.log1p(mu)
    c = np.round(c * 127.5) / 127.5
    y = np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu * peak
    return resample_poly(y, 2, 1)[: x.size].astype(np.float32)


def room(x: np.ndarray, rng: np.random.Generator, rt60_s: float = 0.6) -> np.ndarray:
    """``x`` in a room: convolved with decaying noise (60 dB down after ``rt60_s``) behind a direct path."""
    from scipy.signal import fftconvolve

    t = np.arange(int(rt60_s * SR)) / SR
    ir = rng.standard_normal(t.size) * np.exp(-6.9 * t / rt60_s)
    ir[0] = 3.0 * np.abs(ir).max()
    y = fftconvolve(x, ir)[: x.size]
    return (y / (np.abs(y).max() + 1e-12) * np.abs(x).max()).astype(np.float32)


def load_music(folder: Path) -> list[np.ndarray]:
    """Every sound file in ``folder``, as 16 kHz mono (read the way the corpora are)."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".wav", ".flac", ".mp3", ".ogg"})
    if not files:
        raise SystemExit(f"--music {folder}: no .wav/.flac/.mp3/.ogg files in it")
    return [rse.load_audio(p) for p in files]


def music_excerpt(music: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of one piece, from a seeded offset (tiled if the piece is shorter)."""
    piece = music[int(rng.integers(len(music)))]
    start = int(rng.integers(max(1, piece.size - n)))
    return np.resize(piece[start:], n)


def degrade(cond: str, x: np.ndarray, babble: np.ndarray, rng: np.random.Generator,
            music: list[np.ndarray] | None = None) -> np.ndarray:
    if cond == "clean":
        return x
    if cond.startswith("white"):
        return under(x, rng.standard_normal(x.size), float(cond[5:]))
    if cond == "pink10":
        return under(x, pink(x.size, rng), 10.0)
    if cond == "babble10":
        return under(x, babble, 10.0)
    if cond == "phone":
        return phone(x)
    if cond == "room":
        return room(x, rng)
    if cond == "quieter":
        return (x * 0.1).astype(np.float32)
    if cond.startswith("music") and music:
        return under(x, music_excerpt(music, x.size, rng), float(cond[5:]))
    raise ValueError(cond)


def measure(items: list, audios: list[np.ndarray], music: list[np.ndarray] | None = None) -> list[dict]:
    from affect_llm.evidence.voice import voice_evidence
    from affect_llm.perception import listen

    rng = np.random.default_rng(0)
    rows = []
    for i, (it, x) in enumerate(zip(items, audios, strict=True)):
        others = [j for j, o in enumerate(items) if o.speaker != it.speaker] or [j for j in range(len(items)) if j != i]
        picked = random.Random(i).sample(others, min(BABBLE_VOICES, len(others)))
        babble = sum(np.resize(audios[j], x.size) / _rms(audios[j]) for j in picked)
        for cond in conditions(music):
            # The music draws from its own generator, seeded by the clip: the other conditions
            # draw exactly as before it existed, and music20 and music10 use the same excerpt.
            draw = np.random.default_rng([7, i]) if cond in MUSIC_CONDITIONS else rng
            prosody, _ = listen(degrade(cond, x, babble, draw, music), SR)
            voice = voice_evidence(prosody, True, language=it.corpus_language or "en")
            rows.append({"file": it.path.name, "gold": it.label, "speaker": it.speaker, "condition": cond,
                         "voice_top": voice.top(1)[0][0] if voice.present else None,
                         "arousal": voice.arousal if voice.present else None,
                         "dimensions": (voice.detail or {}).get("dimensions")})
        print(f"{i + 1}/{len(items)}", end="\r", flush=True)
    print()
    return rows


def conditions(music: list[np.ndarray] | None) -> tuple[str, ...]:
    return CONDITIONS + (MUSIC_CONDITIONS if music else ())


def report(rows: list[dict]) -> dict:
    from affect_llm.evidence.voice import DIMS

    by = defaultdict(list)
    for r in rows:
        by[r["condition"]].append(r)
    clean = {r["file"]: r for r in by["clean"]}
    out = {}
    for cond in [c for c in CONDITIONS + MUSIC_CONDITIONS if c in by]:
        rs = by[cond]
        n = len(rs)
        shifts = {}
        for dim in DIMS:
            d = [r["dimensions"][dim] - clean[r["file"]]["dimensions"][dim] for r in rs
                 if r["dimensions"] and clean[r["file"]]["dimensions"]
                 and r["dimensions"].get(dim) is not None and clean[r["file"]]["dimensions"].get(dim) is not None]
            shifts[dim] = round(float(np.median(d)), 2) if d else None
        n = max(n, 1)  # a share of no clips is 0, not a division by zero
        out[cond] = {"n": len(rs), "voice_top": round(sum(r["voice_top"] == r["gold"] for r in rs) / n, 3),
                     "no_voice": sum(r["voice_top"] is None for r in rs),
                     "high_arousal": round(sum(r["arousal"] == "high" for r in rs) / n, 3),
                     "named": dict(Counter(r["voice_top"] for r in rs).most_common(3)),
                     "dimension_shift": shifts}
    return out


def markdown(name: str, meta: dict, rep: dict) -> str:
    dims = list(rep["clean"]["dimension_shift"])
    lines = [f"# Voice under recording conditions: {name}", "",
             f"{meta['when']}; {meta['clips']} clips of `{meta['folder']}` (stratified by label); pipeline "
             f"{meta['pipeline']}; `eval/noise_robustness.py`.", "",
             "| condition | voice's top label right | reads high arousal | no voice found | named most |",
             "|---|---|---|---|---|"]
    for cond, r in rep.items():
        named = ", ".join(f"{k} {v}" for k, v in r["named"].items())
        lines.append(f"| {cond} | {r['voice_top']:.2f} | {r['high_arousal']:.2f} | {r['no_voice']} | {named} |")
    lines += ["", "Median shift of each voice dimension (z units) against the same clip as recorded:", "",
              "| condition | " + " | ".join(dims) + " |", "|---|" + "---|" * len(dims)]
    for cond, r in rep.items():
        if cond != "clean":
            lines.append(f"| {cond} | " + " | ".join("" if r["dimension_shift"][d] is None
                                                       else f"{r['dimension_shift'][d]:+.2f}" for d in dims) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--sample", type=int, default=140, help="clips, stratified by label (default 140)")
    ap.add_argument("--name", default="noise_robustness")
    ap.add_argument("--music", type=Path, help="a folder of music files: adds music 20 and 10 dB under the speech")
    args = ap.parse_args(argv)
    music = load_music(args.music) if args.music else None
    items = rse.stratified(rse.read_items(args.folder, args.labels), args.sample, seed=0)
    audios = [rse.load_audio(it.path) for it in items]
    rows = measure(items, audios, music)
    rep = report(rows)
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "clips": len(items), "folder": args.folder.name,
            "pipeline": rse.pipeline_rev()}
    out = Path(__file__).resolve().parent / "results"
    (out / f"{args.name}.json").write_text(json.dumps({"meta": meta, "report": rep, "rows": rows}, indent=1))
    (out / f"{args.name}.md").write_text(markdown(args.name, meta, rep))
    print(markdown(args.name, meta, rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
