"""Turn what was perceived in a clip into *cues*: a JSON-able record and short text lines.

The cues are the model-independent evidence of a clip (face found? which expression, and how
it changes; pitch, loudness, rate, pauses; the words). The embedded default model reasons over
their text form; ``describe --json`` reports them so a user can see why an answer was given and
what was missing.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .assets import bundled_available, package_file

EXPRESSION_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# How a facial-expression class reads as an emotion word.
EXPRESSION_WORD = {"angry": "angry", "disgust": "disgusted", "fear": "fearful", "happy": "happy",
                   "sad": "sad", "surprise": "surprised", "neutral": "calm"}
# NRC lexicon categories -> emotion words (positive/negative are valence, handled apart).
NRC_WORD = {"joy": "happy", "anger": "angry", "sadness": "sad", "fear": "worried", "surprise": "surprised",
            "disgust": "disgusted", "trust": "trusting", "anticipation": "expectant"}
NEGATORS = {"not", "no", "never", "n't", "cannot", "nothing", "nobody", "without"}


@dataclass
class FaceCues:
    frames: int
    frames_with_face: int
    mean_probs: dict[str, float] = field(default_factory=dict)
    dominant: str | None = None
    first_half: str | None = None
    second_half: str | None = None
    per_frame: list[str | None] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.frames_with_face > 0

    def text(self) -> str:
        if not self.found:
            return (f"No face was detected in any of the {self.frames} sampled frames, so facial "
                    "expression is unknown.")
        # Words, not percentages: small LLMs garble numbers but paraphrase words faithfully.
        ranked = sorted(self.mean_probs.items(), key=lambda kv: -kv[1])
        main = ranked[0][0] + (f", sometimes {ranked[1][0]}" if ranked[1][1] >= 0.15 else "")
        change = (f"it changes from {self.first_half} to {self.second_half} during the clip"
                  if self.first_half != self.second_half else f"it stays {self.dominant} throughout")
        return (f"A face is visible in {self.frames_with_face} of {self.frames} sampled frames. "
                f"Facial expression: mostly {main}; {change}.")


@dataclass
class VoiceCues:
    audio_track: bool
    speech_found: bool
    phrases: list[str] = field(default_factory=list)
    prosody: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        if not self.audio_track:
            return "The clip has no audio track, so tone of voice is unknown."
        if not self.speech_found:
            return "The audio track holds no clear speech."
        return "Voice: " + "; ".join(self.phrases) + "."


@dataclass
class WordCues:
    subtitle: str | None
    source: str
    lexicon: dict[str, int] = field(default_factory=dict)
    valence: str | None = None

    def text(self) -> str:
        if not self.subtitle:
            return "No words were spoken or given."
        lex = ", ".join(self.lexicon) if self.lexicon else "none"
        return f'Words: "{self.subtitle}" (emotion words found: {lex}; overall {self.valence or "neutral"}).'


@dataclass
class Cues:
    """Everything the default model reasons over, plus what was missing."""

    face: FaceCues
    voice: VoiceCues
    words: WordCues
    candidates: list[str]
    missing: list[str]

    def text(self) -> str:
        return "\n".join([self.face.text(), self.voice.text(), self.words.text(),
                          "Emotions suggested by these clues: " + (", ".join(self.candidates) or "unclear") + "."])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["face"]["found"] = self.face.found
        return d


def face_cues(probs: np.ndarray | None, found: np.ndarray | None, frames: int) -> FaceCues:
    """Summarize per-frame expression probabilities ``[N, 7]`` over frames where a face was found."""
    if probs is None or found is None or not np.any(found):
        return FaceCues(frames=frames, frames_with_face=0, per_frame=[None] * frames)
    probs = np.asarray(probs, dtype=np.float64)
    idx = np.flatnonzero(found)
    mean = probs[idx].mean(0)
    half = max(1, len(idx) // 2)
    first = EXPRESSION_LABELS[int(probs[idx[:half]].mean(0).argmax())]
    second = EXPRESSION_LABELS[int(probs[idx[half:]].mean(0).argmax())] if len(idx) > 1 else first
    per_frame = [EXPRESSION_LABELS[int(p.argmax())] if f else None for p, f in zip(probs, found)]
    return FaceCues(
        frames=frames,
        frames_with_face=int(len(idx)),
        mean_probs={k: round(float(v), 3) for k, v in zip(EXPRESSION_LABELS, mean)},
        dominant=EXPRESSION_LABELS[int(mean.argmax())],
        first_half=first,
        second_half=second,
        per_frame=per_frame,
    )


@functools.lru_cache(maxsize=1)
def _nrc_lexicon() -> dict[str, list[str]]:
    if not bundled_available("nrclex"):
        return {}
    return json.loads(package_file("nrclex", "data/nrc_en.json").read_text(encoding="utf-8"))


def word_cues(subtitle: str | None, source: str) -> WordCues:
    """Emotion categories of the words through the NRC lexicon, skipping negated words."""
    if not subtitle:
        return WordCues(subtitle=None, source=source)
    lex = _nrc_lexicon()
    tokens = re.findall(r"[a-z]+(?:'[a-z]+)?", subtitle.lower())
    counts: Counter[str] = Counter()
    for i, tok in enumerate(tokens):
        window = tokens[max(0, i - 3):i]
        if any(w in NEGATORS or w.endswith("n't") for w in window):
            continue
        for cat in lex.get(tok, ()):
            counts[cat] += 1
    pos, neg = counts.pop("positive", 0), counts.pop("negative", 0)
    valence = "positive" if pos > neg else "negative" if neg > pos else "neutral"
    return WordCues(subtitle=subtitle, source=source, lexicon=dict(counts.most_common()), valence=valence)


def candidate_emotions(face: FaceCues, voice: VoiceCues, words: WordCues, limit: int = 3) -> list[str]:
    """A transparent vote over the cues: each modality proposes words with a weight.

    Face: the mean expression probabilities. Words: lexicon categories, normalized. Voice:
    arousal from prosody (loud, fast or strongly varied pitch = high) sharpens the reading —
    high arousal with positive words reads as excited, with negative words as angry; low
    arousal with negative words as sad.
    """
    score: Counter[str] = Counter()
    for label, p in face.mean_probs.items():
        score[EXPRESSION_WORD[label]] += p
    total = sum(words.lexicon.values())
    for cat, n in words.lexicon.items():
        if cat in NRC_WORD:
            score[NRC_WORD[cat]] += n / total
    arousal = voice.prosody.get("arousal")
    if voice.speech_found and arousal == "high":
        score["excited" if words.valence == "positive" else "angry" if words.valence == "negative" else "surprised"] += 0.4
    elif voice.speech_found and arousal == "low" and words.valence == "negative":
        score["sad"] += 0.3
    ranked = [w for w, s in score.most_common() if s >= 0.15]
    if len(ranked) > 1 and "calm" in ranked[1:]:
        ranked.remove("calm")  # a neutral face beside a stronger cue is not evidence of calm
    return ranked[:limit] or ["neutral"]


def arousal_from_prosody(prosody: Any) -> str | None:
    """High/low/moderate vocal arousal from loudness, rate and pitch range (documented thresholds)."""
    if prosody is None or not prosody.speech_found:
        return None
    high = sum([prosody.loudness == "loud",
                (prosody.speaking_rate_sps or 0) >= 4.5,
                (prosody.pitch_range_semitones or 0) >= 8.0])
    low = sum([prosody.loudness == "quiet",
               (prosody.speaking_rate_sps or 99) <= 2.5,
               (prosody.pitch_range_semitones or 99) <= 3.0])
    return "high" if high >= 2 else "low" if low >= 2 else "moderate"


def voice_cues(audio_track: bool, prosody: Any) -> VoiceCues:
    if prosody is None or not prosody.speech_found:
        return VoiceCues(audio_track=audio_track, speech_found=False)
    summary = asdict(prosody)
    summary["arousal"] = arousal_from_prosody(prosody)
    return VoiceCues(audio_track=audio_track, speech_found=True, phrases=list(prosody.describe()),
                     prosody=summary)
