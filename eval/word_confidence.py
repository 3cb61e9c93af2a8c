"""Which words did Whisper mishear, and does its own word probability say so?

Why: the whole-transcript checks (average log-probability, compression, no-speech, language)
pass on transcripts that hold one confidently misheard word ("This is completely acceptable."
for "... unacceptable!"), and a quote with an invented word is worse than no quote. A word whose
probability is below ``speech.WORD_PROB_THRESHOLD`` is shown as heard with doubt; this script
measures where that threshold should sit, on clips whose spoken sentence is known:

* the development corpus (``tests/devcorpus.py``: espeak-ng English, Spanish, Mandarin);
* RAVDESS (real actors; every clip says "Kids are talking by the door" or "Dogs are sitting by
  the door"; file ``03-01-EE-II-SS-RR-AA.wav``, SS 01 kids, 02 dogs), an evenly spaced subset.

Each clip is transcribed by Whisper base as the product does (language detected), its words are
grouped (``speech.group_words``) with both probability rules (weakest token, product of
tokens), and aligned to the reference words (characters for Mandarin): a word in a matching
stretch is right, any other is wrong; words holding digits ("6:30" for "six thirty") are left
out. EmoDB (German, real actors, ``--emodb``) is sampled evenly across speakers and sentences.
Per threshold it reports the share of wrong words flagged (want: high) and of right words
flagged (want: low). On English clips it also measures the second opinion of ``tiny.en``: a base
word that tiny.en's transcript does not hold is disputed. On non-English clips that pass the
checks, ``--rehear`` hears the audio again with the same Whisper base (beam search, or greedy on
audio resampled to another speed or shifted: :func:`rehear`); a word the second hearing does not
hold is disputed the same way.

    python eval/word_confidence.py --collect out.jsonl [--ravdess /tmp/ravdess --ravdess-n 120]
    python eval/word_confidence.py --collect out.jsonl --languages es,zh --ravdess-n 0 --emodb /tmp/emodb/wav \\
        --emodb-n 60 --rehear speed0.93          # + a second hearing by the same model
    python eval/word_confidence.py --add-rehear out.jsonl --rehear beam5,speed1.07   # more hearings later
    python eval/word_confidence.py --report out.jsonl [--markdown eval/results/word_confidence.md]
    python eval/word_confidence.py --timing examples/angry.mp4 examples/cheerful.mp4
    python eval/word_confidence.py --timing CLIP... --rehear beam5,speed0.93   # non-English clips
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
RAVDESS_SENTENCES = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
# EmoDB (Berlin, real actors): file "03a01Fa.wav", characters 2..5 the sentence code.
EMODB_SENTENCES = {
    "a01": "Der Lappen liegt auf dem Eisschrank.", "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen."}
# Second hearings by the same model (``--rehear``): "beam5" decodes the same encoder states with
# 5 beams; "speedF" resamples the audio to F times its speed (0.93: 7 % slower, lower) and
# decodes it greedily; "shiftS" puts S seconds of silence before the audio.
REHEAR_DEFAULT = "beam5,speed0.93"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_STRIP = re.compile(r"[^\w']+")


def _share(xs: list) -> float:
    """The mean of 0/1 outcomes (NaN for none)."""
    return sum(xs) / len(xs) if xs else float("nan")

def norm(word: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", word).lower()).strip("'")


# espeak reads "I am", Whisper writes "I'm": a contraction is the same words, not a mishearing.
CONTRACTIONS = {"i'm": "i am", "it's": "it is", "that's": "that is", "what's": "what is", "there's": "there is",
                "he's": "he is", "she's": "she is", "you're": "you are", "we're": "we are", "they're": "they are",
                "i've": "i have", "you've": "you have", "we've": "we have", "i'll": "i will", "you'll": "you will",
                "i'd": "i would", "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not",
                "cannot": "can not", "won't": "will not", "isn't": "is not", "aren't": "are not",
                "wasn't": "was not", "let's": "let us", "couldn't": "could not", "haven't": "have not",
                # EmoDB's gold keeps the old German spelling; "so weit" is the spelling of today
                "soweit": "so weit"}


def units(text_or_words: str | list[str], cjk: bool) -> list[str]:
    words = text_or_words.split() if isinstance(text_or_words, str) else text_or_words
    if cjk:
        return [ch for w in words for ch in norm(w)]
    return [u for n in (norm(w) for w in words) if n for u in CONTRACTIONS.get(n.replace("’", "'"), n).split()]


def label_words(reference: str, hyp: list[str], language: str) -> list[bool | None]:
    """Per hypothesis word: True heard right, False wrong, None left out (digits, punctuation)."""
    cjk = language in ("zh", "ja", "yue") or bool(_CJK.search(reference))
    ref = units(reference, cjk)
    pieces = [units([w], cjk) for w in hyp]
    flat = [u for p in pieces for u in p]
    matched = [False] * len(flat)
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, ref, flat, autojunk=False).get_opcodes():
        if tag == "equal":
            for j in range(j1, j2):
                matched[j] = True
    out: list[bool | None] = []
    pos = 0
    for w, p in zip(hyp, pieces):
        ok = all(matched[pos:pos + len(p)])
        pos += len(p)
        out.append(None if not p or any(ch.isdigit() for ch in w) else ok)
    return out


def _devcorpus_items() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("devcorpus", REPO / "tests" / "devcorpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["devcorpus"] = mod
    spec.loader.exec_module(mod)
    corpus = mod.build_corpus()
    return [{"id": g["id"], "corpus": "devcorpus", "path": str(corpus.root / g["video"]),
             "language": g["language"], "reference": g["sentence"]} for g in corpus.gold_records()]


def _ravdess_items(folder: Path, n: int) -> list[dict[str, Any]]:
    files = sorted(folder.glob("03-01-*.wav"))
    step = max(1, len(files) // n) if n else 1
    picked = files[::step][:n] if n else files
    return [{"id": p.stem, "corpus": "ravdess", "path": str(p), "language": "en",
             "reference": RAVDESS_SENTENCES[p.stem.split("-")[4]]} for p in picked]


def _emodb_items(folder: Path, n: int) -> list[dict[str, Any]]:
    """An evenly spaced sample of the sorted files: every speaker (the first two characters) and
    sentence appears."""
    files = sorted(p for p in folder.glob("*.wav") if p.stem[2:5] in EMODB_SENTENCES)
    step = max(1, len(files) // n) if n else 1
    picked = files[::step][:n] if n else files
    return [{"id": "emodb-" + p.stem, "corpus": "emodb", "path": str(p), "language": "de",
             "reference": EMODB_SENTENCES[p.stem[2:5]]} for p in picked]


def _audio(path: str):
    import numpy as np

    if path.endswith(".wav"):
        import subprocess

        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
                             check=True, capture_output=True).stdout
        return np.frombuffer(raw, dtype=np.float32).copy()
    from affect_llm.media.clip import read_clip

    return read_clip(path, num_frames=1).audio


def _words(wa, audio, language: str | None):
    """Whisper's greedy transcript of one ≤30 s window, as the product decodes it, grouped both ways."""
    import torch

    from affect_llm.encoders import speech

    audio = speech._as_mono(audio)
    with torch.no_grad():
        features = wa.model.encoder(wa.log_mel(torch.from_numpy(audio)[None]))
        if not wa.model.is_multilingual:
            language = "en"
        elif language is None:
            language, _ = speech._detect(wa, features)
        result = speech._decode(wa, features, language, "transcribe", True, audio.size / 16000, retry=False)
        tok = speech._tokenizer(wa, language, "transcribe")
        logprobs = speech._token_logprobs(wa, features, list(tok.sot_sequence), result.tokens)
    pieces = speech.token_units(tok, result.tokens, logprobs)
    space_free = language in speech.SPACE_FREE_LANGUAGES
    by_min = speech.group_words(pieces, "min", space_free=space_free)
    by_product = speech.group_words(pieces, "product", space_free=space_free)
    return language, result, by_min, by_product


def perturb(audio, how: str):
    """The audio a second hearing listens to: resampled to another speed, or shifted in time."""
    import numpy as np

    if how.startswith("speed"):
        speed = float(how[5:])
        n = round(audio.size / speed)
        return np.interp(np.arange(n) * speed, np.arange(audio.size), audio).astype(np.float32)
    if how.startswith("shift"):
        return np.concatenate([np.zeros(int(float(how[5:]) * 16000), np.float32), audio])
    raise ValueError(how)


def rehear(wa, audio, language: str, how: str) -> str:
    """The text of one second hearing by the same model (greedy with timestamps, as the first)."""
    import torch
    import whisper

    from affect_llm.encoders import speech

    audio = speech._as_mono(audio)
    with torch.no_grad():
        if how == "beam5":
            features = wa.model.encoder(wa.log_mel(torch.from_numpy(audio)[None]))
            options = whisper.DecodingOptions(task="transcribe", language=language, temperature=0.0, fp16=False,
                                              without_timestamps=False, beam_size=5,
                                              sample_len=int(min(224, 20 + 20 * audio.size / 16000)))
            return whisper.decode(wa.model, features, options)[0].text
        audio = perturb(audio, how)
        features = wa.model.encoder(wa.log_mel(torch.from_numpy(audio)[None]))
        return speech._decode(wa, features, language, "transcribe", True, audio.size / 16000, retry=False).text


def disputed(words: list[str], other: str) -> list[bool]:
    from affect_llm.encoders.speech import disputed as product_rule

    return product_rule(words, other)


def collect(out: Path, ravdess: Path | None, ravdess_n: int, languages: list[str],
            emodb: Path | None = None, emodb_n: int = 0, rehearings: list[str] = ()) -> None:
    from affect_llm.encoders.whisper_audio import load_whisper

    groups = [[it for it in _devcorpus_items() if it["language"] == lang] for lang in languages]
    if ravdess and ravdess.is_dir() and ravdess_n:
        groups.append(_ravdess_items(ravdess, ravdess_n))
    if emodb and emodb.is_dir() and emodb_n:
        groups.append(_emodb_items(emodb, emodb_n))
    groups = [g for g in groups if g]
    # round robin over the sets, so a run stopped early still covers each of them
    items = [g[i] for i in range(max(map(len, groups))) for g in groups if i < len(g)]
    base = load_whisper("base")
    tiny = load_whisper("tiny.en") if any(it["language"] == "en" for g in groups for it in g) else None
    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    with out.open("a", encoding="utf-8") as f:
        for n, it in enumerate(items):
            if it["id"] in done:
                continue
            audio = _audio(it["path"])
            t0 = time.perf_counter()
            language, result, by_min, by_product = _words(base, audio, None)
            base_s = time.perf_counter() - t0
            hyp = [w.text for w in by_min]
            row = {**it, "detected": language, "text": result.text, "avg_logprob": result.avg_logprob,
                   "words": hyp, "p_min": [w.probability for w in by_min],
                   "p_product": [w.probability for w in by_product],
                   "right": label_words(it["reference"], hyp, it["language"]), "base_s": base_s}
            if it["language"] == "en":
                t0 = time.perf_counter()
                _, tiny_result, _, _ = _words(tiny, audio, "en")
                row["tiny_s"] = time.perf_counter() - t0
                row["tiny_text"] = tiny_result.text
                row["disputed"] = disputed(hyp, tiny_result.text)
            if it["language"] != "en" and passes(row):  # the product hears again only what it may quote
                for how in rehearings:
                    t0 = time.perf_counter()
                    row[f"rehear_{how}"] = rehear(base, audio, language, how)
                    row[f"rehear_{how}_s"] = time.perf_counter() - t0
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{n + 1}/{len(items)} {it['id']} {result.text!r}", file=sys.stderr)


def add_rehearings(out: Path, rehearings: list[str]) -> None:
    """Hear again, in the ways not yet stored, the non-English clips of ``out`` that pass the
    checks (so a second hearing can be measured later on the same first transcripts)."""
    from affect_llm.encoders.whisper_audio import load_whisper

    base = load_whisper("base")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, row in enumerate(rows):
        if row["language"] == "en" or not passes(row):
            continue
        audio = None
        for how in rehearings:
            if f"rehear_{how}" in row:
                continue
            audio = _audio(row["path"]) if audio is None else audio
            t0 = time.perf_counter()
            row[f"rehear_{how}"] = rehear(base, audio, row["detected"], how)
            row[f"rehear_{how}_s"] = time.perf_counter() - t0
            print(f"{n + 1}/{len(rows)} {row['id']} {how} {row[f'rehear_{how}']!r}", file=sys.stderr)
        if audio is not None:  # written after every clip, so a stopped run keeps its work
            tmp = out.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            tmp.replace(out)


def _rates(rows: list[dict[str, Any]], key: str, t: float) -> tuple[float, float, int, int]:
    wrong = [p < t for r in rows for p, ok in zip(r[key], r["right"]) if ok is False]
    right = [p < t for r in rows for p, ok in zip(r[key], r["right"]) if ok is True]
    return _share(wrong), _share(right), len(wrong), len(right)


def report(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:  # labels from the stored words, so the alignment can change without a rerun
        r["right"] = label_words(r["reference"], r["words"], r["language"])
        if "tiny_text" in r:
            r["disputed"] = disputed(r["words"], r["tiny_text"])
    quoted = [r for r in rows if passes(r)]
    lines = ["# Word confidence: which misheard words Whisper base's own probabilities flag", "",
             (f"{len(rows)} clips; {len(quoted)} of them pass today's whole-transcript checks (average "
              "log-probability >= -1, no loop, compression <= 2.4, the expected language detected): the "
              "transcripts that would be quoted, where a misheard word matters."), "",
             ("Cell: flagged wrong / flagged right (share of wrong words below the threshold, share of right "
              "words below it). Rows: words grouped by their weakest token (min) or the product of their "
              "tokens."), ""]
    for title, population in (("Transcripts that pass the whole-transcript checks", quoted),
                              ("Every transcript", rows)):
        lines += [f"## {title}", ""]
        lines += _table(population)
    english = [r for r in quoted if "disputed" in r]
    if english:
        lines += _second_opinion(english)
    reheard = [r for r in quoted if any(k.startswith("rehear_") for k in r)]
    if reheard:
        lines += _rehearing(reheard)
    return "\n".join(lines) + "\n"


def passes(r: dict[str, Any]) -> bool:
    """Whether the whole transcript passes the checks it is judged by today (``speech.judge``)."""
    from affect_llm.encoders.speech import (
        COMPRESSION_RATIO_THRESHOLD,
        LOGPROB_THRESHOLD,
        compression_ratio,
        looping,
    )

    return (r["avg_logprob"] >= LOGPROB_THRESHOLD and not looping(r["text"])
            and compression_ratio(r["text"]) <= COMPRESSION_RATIO_THRESHOLD and r["detected"] == r["language"])


def _table(rows: list[dict[str, Any]]) -> list[str]:
    groups = {"devcorpus en": [r for r in rows if r["corpus"] == "devcorpus" and r["language"] == "en"],
              "devcorpus es": [r for r in rows if r["corpus"] == "devcorpus" and r["language"] == "es"],
              "devcorpus zh": [r for r in rows if r["corpus"] == "devcorpus" and r["language"] == "zh"],
              "ravdess (en, real)": [r for r in rows if r["corpus"] == "ravdess"],
              "emodb de (real)": [r for r in rows if r["corpus"] == "emodb"]}
    groups["all"] = rows
    lines = []
    head = "| set | clips | words (wrong/right) | rule | " + " | ".join(f"< {t}" for t in THRESHOLDS) + " |"
    lines += [head, "|" + "---|" * (4 + len(THRESHOLDS))]
    for name, rs in groups.items():
        if not rs:
            continue
        for key in ("p_min", "p_product"):
            cells = []
            for t in THRESHOLDS:
                fw, fr, nw, nr = _rates(rs, key, t)
                cells.append(f"{fw:.2f} / {fr:.2f}")
            lines.append(f"| {name} | {len(rs)} | {nw}/{nr} | {key[2:]} | " + " | ".join(cells) + " |")
    return lines + [""]


def _second_opinion(english: list[dict[str, Any]]) -> list[str]:
    if english:
        lines = ["## Second opinion from tiny.en (English clips passing the checks)", "",
                  ("| set | wrong words | flagged by p_min < t | disputed by tiny.en | either | "
                   "right words flagged: p_min < t / disputed / either | base s/clip | tiny.en s/clip |"),
                  "|---|---|---|---|---|---|---|---|"]
        for name, rs in (("devcorpus en", [r for r in english if r["corpus"] == "devcorpus"]),
                         ("ravdess", [r for r in english if r["corpus"] == "ravdess"]), ("all English", english)):
            if not rs:
                continue
            for t in (0.5, 0.6, 0.7):
                triples = [(p < t, d, ok) for r in rs for p, d, ok in zip(r["p_min"], r["disputed"], r["right"])
                           if ok is not None]
                wrong = [(a, b) for a, b, ok in triples if ok is False]
                right = [(a, b) for a, b, ok in triples if ok is True]
                lines.append(
                    f"| {name} (t {t}) | {len(wrong)} | {_share([a for a, _ in wrong]):.2f} | "
                    f"{_share([b for _, b in wrong]):.2f} | {_share([a or b for a, b in wrong]):.2f} | "
                    f"{_share([a for a, _ in right]):.2f} / {_share([b for _, b in right]):.2f} / "
                    f"{_share([a or b for a, b in right]):.2f} | "
                    f"{sum(r['base_s'] for r in rs) / len(rs):.2f} | {sum(r['tiny_s'] for r in rs) / len(rs):.2f} |")
    return lines + [""]


def _rehearing(rows: list[dict[str, Any]], t: float = 0.5) -> list[str]:
    """Second hearing by the same model: which wrong words it disputes beyond p_min < t, and at
    what cost in right words and seconds."""
    hows = sorted({k[7:] for r in rows for k in r if k.startswith("rehear_") and not k.endswith("_s")})
    perturbed = [h for h in hows if h != "beam5"]
    if len(perturbed) > 1:  # a word either perturbed hearing does not hold, at the cost of both
        hows.append("+".join(perturbed))
    lines = [f"## Second hearing by the same model (Whisper base), non-English clips passing the checks (t {t})", "",
             ("Cell columns: wrong words; share of them flagged by p_min < t / disputed by the second hearing / "
              "either; of the wrong words p_min leaves unflagged, the share the second hearing catches; right "
              "words flagged by p_min / disputed / either; seconds per clip of the first transcription "
              "(detection, greedy decoding, word probabilities) and of the second hearing."), "",
             ("| set | second hearing | clips | wrong | p / disputed / either | unflagged caught | right | "
              "right flagged p / disputed / either | first s | second s | ratio |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    sets = {"devcorpus es": [r for r in rows if r["corpus"] == "devcorpus" and r["language"] == "es"],
            "devcorpus zh": [r for r in rows if r["corpus"] == "devcorpus" and r["language"] == "zh"],
            "emodb de (real)": [r for r in rows if r["corpus"] == "emodb"], "all": rows}
    for name, rs in sets.items():
        for how in hows:
            parts = how.split("+")
            rs_h = [r for r in rs if all(f"rehear_{h}" in r for h in parts)]
            if not rs_h:
                continue
            triples = [(p < t, d, ok) for r in rs_h
                       for p, d, ok in zip(r["p_min"], _disputed_by_any(r, parts), r["right"]) if ok is not None]
            wrong = [(a, b) for a, b, ok in triples if ok is False]
            right = [(a, b) for a, b, ok in triples if ok is True]
            missed = [b for a, b in wrong if not a]
            first = sum(r["base_s"] for r in rs_h) / len(rs_h)
            second = sum(r[f"rehear_{h}_s"] for r in rs_h for h in parts) / len(rs_h)
            lines.append(
                f"| {name} | {how} | {len(rs_h)} | {len(wrong)} | {_share([a for a, _ in wrong]):.2f} / "
                f"{_share([b for _, b in wrong]):.2f} / {_share([a or b for a, b in wrong]):.2f} | "
                f"{sum(missed)}/{len(missed)} | {len(right)} | {_share([a for a, _ in right]):.2f} / "
                f"{_share([b for _, b in right]):.2f} / {_share([a or b for a, b in right]):.2f} | "
                f"{first:.2f} | {second:.2f} | {second / first:.2f} |")
    return lines + [""]


def _disputed_by_any(row: dict[str, Any], hows: list[str]) -> list[bool]:
    votes = [disputed(row["words"], row[f"rehear_{h}"]) for h in hows]
    return [any(v) for v in zip(*votes)]


def timing(clips: list[str], reps: int = 3) -> str:
    """Warm seconds per clip: Whisper base's transcript (as ``perceive`` asks for it) and tiny.en's
    second opinion, median of ``reps`` runs each, in one process."""
    import statistics

    from affect_llm.encoders.whisper_audio import load_whisper

    base, tiny = load_whisper("base"), load_whisper("tiny.en")
    lines = ["| clip | base transcript s | tiny.en second opinion s | ratio |", "|---|---|---|---|"]
    for clip in clips:
        audio = _audio(clip)
        base.transcribe(audio), tiny.transcribe(audio, "en", translate=False)  # warm-up
        b, t = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            base.transcribe(audio)
            b.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            tiny.transcribe(audio, "en", translate=False)
            t.append(time.perf_counter() - t0)
        mb, mt = statistics.median(b), statistics.median(t)
        lines.append(f"| {Path(clip).name} | {mb:.2f} | {mt:.2f} | {mt / mb:.2f} |")
    return "\n".join(lines) + "\n"


def timing_rehear(clips: list[str], hows: list[str], reps: int = 3) -> str:
    """Warm seconds per non-English clip, interleaved in one process so the machine's load falls
    on both alike: Whisper base's transcription as ``perceive`` asks for it (detection, transcript,
    word probabilities, English translation) and each second hearing, median of ``reps`` runs."""
    import statistics

    from affect_llm.encoders.whisper_audio import load_whisper

    base = load_whisper("base")
    lines = ["| clip | base transcription s | " + " | ".join(f"{h} s (ratio)" for h in hows) + " |",
             "|---|---|" + "---|" * len(hows)]
    for clip in clips:
        audio = _audio(clip)
        language = base.transcribe(audio).language  # warm-up
        first, second = [], {h: [] for h in hows}
        for _ in range(reps):
            t0 = time.perf_counter()
            base.transcribe(audio)
            first.append(time.perf_counter() - t0)
            for h in hows:
                t0 = time.perf_counter()
                rehear(base, audio, language, h)
                second[h].append(time.perf_counter() - t0)
        mb = statistics.median(first)
        cells = [f"{statistics.median(second[h]):.2f} ({statistics.median(second[h]) / mb:.2f})" for h in hows]
        lines.append(f"| {Path(clip).name} | {mb:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--collect", type=Path)
    ap.add_argument("--report", type=Path)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--ravdess", type=Path, default=Path("/tmp/ravdess"))
    ap.add_argument("--ravdess-n", type=int, default=120)
    ap.add_argument("--languages", default="en,es,zh")
    ap.add_argument("--emodb", type=Path, default=Path("/tmp/emodb/wav"))
    ap.add_argument("--emodb-n", type=int, default=0, help="EmoDB clips, evenly spaced (German, real speech)")
    ap.add_argument("--rehear", default="", metavar="HOW,...",
                    help=f"second hearings by the same model for non-English clips, e.g. {REHEAR_DEFAULT}")
    ap.add_argument("--add-rehear", type=Path, metavar="OUT",
                    help="add the --rehear hearings missing from the collected clips of OUT")
    ap.add_argument("--timing", nargs="+", metavar="CLIP", help="time base and tiny.en on these clips (with --rehear: base and those hearings)")
    args = ap.parse_args(argv)
    if args.timing and args.rehear:
        print(timing_rehear(args.timing, [x for x in args.rehear.split(",") if x]))
    elif args.timing:
        print(timing(args.timing))
    if args.collect:
        collect(args.collect, args.ravdess, args.ravdess_n, [x for x in args.languages.split(",") if x],
                args.emodb, args.emodb_n, [x for x in args.rehear.split(",") if x])
    if args.add_rehear:
        add_rehearings(args.add_rehear, [x for x in args.rehear.split(",") if x])
    if args.report or args.collect or args.add_rehear:
        text = report(args.report or args.collect or args.add_rehear)
        print(text)
        if args.markdown:
            args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
