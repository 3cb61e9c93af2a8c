"""Whisper tiny.en against the multilingual base: word error rate and seconds per clip on this CPU.

    python eval/whisper_compare.py [--json out.json] [--limit N]

What it measures, and why:

* **English** (the only language tiny.en hears): 20 espeak-ng sentences of everyday emotional
  speech in 7 English voices (American, British, Scottish, Caribbean, New York, RP, Lancaster;
  male and ``+f3`` female variants) at 120-200 words per minute, plus ``examples/cheerful.mp4`` and
  ``examples/angry.mp4`` (exact words in ``examples/README.md``). Word error rate after a plain
  normalisation (lower case, no punctuation, contractions expanded, numbers up to twenty as
  words), and wall seconds per clip. base runs the product path: language detection, then the
  transcript (no translation is needed for English).
* **Spanish and Mandarin** (base only): detection, transcript, English translation, verdict; the
  table gives the detected language and its probability, the reliability verdict, the share of
  expected English key words the translation contains, and seconds per clip.

Timing is interleaved (tiny.en, base, then base, tiny.en on the next clip ...) because the
machine is shared: a load spike then hits both models alike. Both models are loaded and warmed
up first. espeak-ng speech is synthetic and clean: absolute WERs are lower than on real
recordings; the *difference* and the timings are what this is for.

Results (2 shared CPU cores, load average 5-10 from other jobs during the run, 4.3 s of audio
per clip): English corpus WER tiny.en 18.5 % vs base 14.6 % (clips with any error 16/22 vs
14/22; the same two example clips: cheerful 5.9 % vs 11.8 %, angry 9.1 % both); seconds per clip
tiny.en mean 7.4 / median 4.1, base (with detection) mean 13.1 / median 8.9, about 1.8x. Language
detected as English on 22/22 clips. Spanish and Mandarin with base: language right 6/8 (one
Latin-American Spanish voice heard as Japanese, one slow Mandarin clip as English); only 2/8
reliable and translated right; the others are flagged unreliable (their transcripts are often
right, e.g. 我很生氣 你為什麼不聽我的話, while base's translation is weak); 10-100 s per clip under
that load. Default chosen: base, the only model that hears languages other than English, at
similar English accuracy for under twice the time.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from affect_llm.encoders.whisper_audio import load_whisper  # noqa: E402

SR = 16_000

# (voice, words per minute, sentence)
ENGLISH = [
    ("en-us", 160, "I can't believe you did this to me after everything we have been through."),
    ("en-us+f3", 175, "This is the best day of my life, thank you so much for coming."),
    ("en-gb", 150, "I am really worried about my mother, she has not called me since Monday."),
    ("en-gb+f3", 140, "Please leave me alone, I don't want to talk about it right now."),
    ("en-gb-scotland", 150, "We finally won the match and everybody in the town was celebrating."),
    ("en-029", 145, "Why would anyone throw away food like that, it makes me sick."),
    ("en-us-nyc", 185, "Get out of my office and do not ever come back here again."),
    ("en-gb-x-rp", 130, "I miss him every single day and the house feels so empty without him."),
    ("en-gb-x-gbclan", 150, "Oh my goodness, I did not expect to see you here tonight."),
    ("en-us", 200, "Hurry up, the train leaves in five minutes and we still have to buy tickets."),
    ("en-us+f3", 120, "I think someone is following me, I heard footsteps behind the door."),
    ("en-gb", 190, "That was absolutely delicious, can I have the recipe for the soup?"),
    ("en-gb-scotland+f3", 140, "I told you twice already, stop touching my things."),
    ("en-029+f3", 160, "The doctor said the results are fine, so there is nothing to worry about."),
    ("en-us-nyc+f3", 150, "I passed my driving test on the first try and I am so proud."),
    ("en-gb-x-rp+f3", 170, "Nobody listens to me in this family and I am tired of it."),
    ("en-us", 130, "We lost the house in the storm and now we have nowhere to go."),
    ("en-gb+f3", 165, "What a lovely surprise, you remembered my birthday after all these years."),
    ("en-gb-x-gbclan+f3", 145, "The meeting is at ten tomorrow morning in the small room upstairs."),
    ("en-us+f3", 185, "Are you serious, they cancelled the concert an hour before it started?"),
]
EXAMPLES = [
    ("cheerful.mp4", "I just got the news, I passed the exam! I can't believe it, this is wonderful!"),
    ("angry.mp4", "No! I told you three times already. This is completely unacceptable!"),
]
# (voice, wpm, text spoken, expected English key words in the translation)
FOREIGN = [
    ("es", 140, "Hoy estoy muy feliz, esta es una noticia maravillosa para toda mi familia.",
     {"happy", "news", "family"}),
    ("es+f3", 150, "No puedo creer que me hayas mentido otra vez, estoy muy enfadado.",
     {"believe", "lied", "angry"}),
    ("es-419", 140, "Tengo mucho miedo, escuché un ruido extraño en la cocina.",
     {"afraid", "scared", "noise", "kitchen"}),
    ("es-419+f3", 130, "Mi abuelo murió la semana pasada y todavía estoy muy triste.",
     {"grandfather", "died", "week", "sad"}),
    ("cmn-latn-pinyin", 130, "jin1 tian1 wo3 fei1 chang2 gao1 xing4, zhe4 shi4 yi2 ge4 hao3 xiao1 xi1.",
     {"today", "happy", "news"}),
    ("cmn-latn-pinyin+f3", 130, "wo3 hen3 sheng1 qi4, ni3 wei4 shen2 me5 bu4 ting1 wo3 de5 hua4?",
     {"angry", "listen", "why"}),
    ("cmn-latn-pinyin", 120, "wo3 de5 gou3 si3 le5, wo3 fei1 chang2 nan2 guo4.",
     {"dog", "died", "sad"}),
    ("cmn-latn-pinyin+f3", 130, "wo3 hai4 pa4 yi2 ge4 ren2 zai4 jia1.",
     {"afraid", "scared", "alone", "home"}),
]

_CONTRACTIONS = {"can't": "can not", "won't": "will not", "n't": " not", "'m": " am", "'re": " are",
                 "'ll": " will", "'ve": " have", "'d": " would", "'s": " is"}
_NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen", "twenty"]


def normalize(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    for short, full in _CONTRACTIONS.items():
        text = text.replace(short, full)
    text = re.sub(r"\b(\d+)\b", lambda m: _NUMBERS[int(m.group(1))] if int(m.group(1)) <= 20
                  else m.group(1), text)
    return re.sub(r"[^\w\s]", " ", text).split()


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    r, h = normalize(ref), normalize(hyp)
    row = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, row[0] = row[0], i
        for j, hw in enumerate(h, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (rw != hw))
    return row[len(h)], len(r)


def espeak(voice: str, wpm: int, text: str, folder: Path) -> np.ndarray:
    wav = folder / "clip.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav), text], check=True,
                   capture_output=True)
    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
    n = round(len(x) * SR / rate)
    return np.interp(np.arange(n) * rate / SR, np.arange(len(x)), x).astype(np.float32)


def clip_audio(path: Path) -> np.ndarray:
    from affect_llm.media.clip import read_clip

    clip = read_clip(path, num_frames=1, sample_rate=SR)
    assert clip.audio is not None, f"{path} has no audio"
    return clip.audio


def timed(model, audio: np.ndarray, **kw):
    start = time.perf_counter()
    tr = model.transcribe(audio, **kw)
    return tr, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="also write every row here")
    ap.add_argument("--limit", type=int, default=None, help="only the first N espeak sentences (smoke run)")
    args = ap.parse_args(argv)

    models = {"tiny.en": load_whisper("tiny.en"), "base": load_whisper("base")}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = espeak("en-us", 160, "Warming up.", folder)
        for model in models.values():
            model.transcribe(warm)
        english = [(f"espeak {v} {s}wpm", espeak(v, s, t, folder), t) for v, s, t in ENGLISH[:args.limit]]
        english += [(name, clip_audio(ROOT / "examples" / name), t) for name, t in EXAMPLES]
        for i, (name, audio, ref) in enumerate(english):
            order = ["tiny.en", "base"] if i % 2 == 0 else ["base", "tiny.en"]
            for key in order:
                tr, seconds = timed(models[key], audio)
                errors, n = word_errors(ref, tr.text)
                rows.append({"set": "english", "clip": name, "model": key, "seconds": seconds,
                             "audio_s": audio.size / SR, "errors": errors, "words": n,
                             "language": tr.language, "language_probability": tr.language_probability,
                             "reliable": tr.reliable, "text": tr.text})
        for voice, wpm, text, keys in FOREIGN[:args.limit]:
            audio = espeak(voice, wpm, text, folder)
            tr, seconds = timed(models["base"], audio)
            got = set(normalize(tr.translation or ""))
            rows.append({"set": "foreign", "clip": f"espeak {voice} {wpm}wpm", "model": "base",
                         "seconds": seconds, "audio_s": audio.size / SR, "expected": "zh" if voice.startswith("cmn") else voice[:2],
                         "language": tr.language, "language_probability": tr.language_probability,
                         "reliable": tr.reliable, "reasons": tr.reasons, "text": tr.text,
                         "translation": tr.translation, "key_hits": len(keys & got), "keys": len(keys)})
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


def report(rows: list[dict]) -> None:
    print("English: word error rate and seconds per clip (interleaved runs)")
    print(f"{'clip':34} {'tiny.en WER':>11} {'base WER':>9} {'tiny.en s':>9} {'base s':>7}")
    english = [r for r in rows if r["set"] == "english"]
    for clip in dict.fromkeys(r["clip"] for r in english):
        t, b = (next(r for r in english if r["clip"] == clip and r["model"] == m) for m in ("tiny.en", "base"))
        print(f"{clip:34} {t['errors'] / t['words']:>11.1%} {b['errors'] / b['words']:>9.1%} "
              f"{t['seconds']:>9.2f} {b['seconds']:>7.2f}")
    for model in ("tiny.en", "base"):
        mine = [r for r in english if r["model"] == model]
        wer = sum(r["errors"] for r in mine) / sum(r["words"] for r in mine)
        secs = [r["seconds"] for r in mine]
        unreliable = sum(not r["reliable"] for r in mine)
        detected = sum(r["language"] == "en" for r in mine)
        print(f"  {model:8} corpus WER {wer:.1%}  clips with errors {sum(r['errors'] > 0 for r in mine)}"
              f"/{len(mine)}  s/clip mean {statistics.mean(secs):.2f} median {statistics.median(secs):.2f}"
              f"  audio s/clip {statistics.mean(r['audio_s'] for r in mine):.1f}  marked unreliable "
              f"{unreliable}  language en {detected}/{len(mine)}")
    foreign = [r for r in rows if r["set"] == "foreign"]
    if foreign:
        print("\nSpanish / Mandarin with base: detection + transcript + English translation")
        print(f"{'clip':32} {'lang':>4} {'p':>5} {'reliable':>8} {'keys':>5} {'s':>6}  translation")
        for r in foreign:
            p = r["language_probability"]
            print(f"{r['clip']:32} {r['language'] or '-':>4} {p if p is None else round(p, 2)!s:>5} "
                  f"{r['reliable']!s:>8} {r['key_hits']}/{r['keys']:<3} {r['seconds']:>6.2f}  "
                  f"{r['translation']!r}")
        right = sum(r["language"] == r["expected"] for r in foreign)
        print(f"  language right {right}/{len(foreign)}, s/clip mean "
              f"{statistics.mean(r['seconds'] for r in foreign):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
