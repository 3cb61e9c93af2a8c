"""What a cues record measured, read once into plain answers the checks ask for.

The checker judges any system's explanation against the cues record of ``describe --json``
(schema in the project README). Records of other systems or older outputs may lack parts of
it (no ``evidence``, no ``fusion``, no ``missing``): every answer here says "unknown" (``None``)
rather than guessing, and a check with an unknown answer does not fire. The numbers that split
"high" from "low" are the measuring code's own (``media.prosody``), so the checker holds an
explanation to the words the measurement would use, with the middle of each scale left to
either reading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..emotions import AROUSAL, EXPRESSION_TO_LABEL, LABELS, Label, label_of
from ..evidence.fusion import clear_label_of

# media.prosody's thresholds, repeated (importing it pulls numpy into `--help`'s path).
HIGH_PITCH_HZ, LOW_PITCH_HZ = 220.0, 120.0
VARIED_SEMITONES, MONOTONE_SEMITONES = 8.0, 3.0
LOUD_DB, QUIET_DB = -18.0, -32.0
FAST_SPS, SLOW_SPS = 5.0, 3.0
# A claim is contradicted when the measure sits on the other side of the scale's middle.
PITCH_MID_HZ = (HIGH_PITCH_HZ + LOW_PITCH_HZ) / 2  # 170 Hz
RANGE_MID_ST = (VARIED_SEMITONES + MONOTONE_SEMITONES) / 2  # 5.5 semitones
LOUD_MID_DB = (LOUD_DB + QUIET_DB) / 2  # -25 dBFS
RATE_MID_SPS = (FAST_SPS + SLOW_SPS) / 2  # 4 syllables/s
# media.prosody.BRIEF_SPEECH_S, repeated: records written before ``voice.brief`` existed are
# judged by their ``prosody.active_s`` (``CueView.brief_clause``).
BRIEF_SPEECH_S = 1.0

# Emotion support (see FAITHFULNESS.md): a label is supported when a present channel gives it
# at least MODALITY_FLOOR (uniform is 1/7 = 0.14), or the fusion ranks it above uniform. The pool
# leaves 0.08-0.11 to labels that nothing shows (a still smiling face, cheerful words and a voice
# leaning to disgust: sad 0.108), so a floor of 0.1 had supported "she is sad" there.
MODALITY_FLOOR = 0.2
MIN_RELIABILITY = 0.2
FUSION_FLOOR = 1 / len(LABELS)
FACE_FLOOR = 0.15  # mean expression probability that makes a face label visible at all
FACE_FRAME_SHARE = 0.25  # ... or the share of face frames whose top class it is

NRC_TO_LABEL: dict[str, Label] = {"joy": "happy", "anger": "angry", "sadness": "sad", "fear": "fearful",
                                  "surprise": "surprised", "disgust": "disgusted"}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass
class CueView:
    cues: dict[str, Any]

    # ------------------------------------------------------------------ face
    @functools.cached_property
    def face(self) -> dict[str, Any]:
        return self.cues.get("face") or {}

    @functools.cached_property
    def face_found(self) -> bool | None:
        """True/False when the record says, None when it cannot tell."""
        if "face" in self.missing:
            return False
        if "found" in self.face:
            return bool(self.face["found"])
        n = self.face.get("frames_with_face")
        return None if n is None else n > 0

    @functools.cached_property
    def face_labels(self) -> set[Label]:
        """Labels the face visibly shows (see ``FACE_FLOOR``, ``FACE_FRAME_SHARE``)."""
        out: set[Label] = set()
        for cls, p in (self.face.get("mean_probs") or {}).items():
            lab = EXPRESSION_TO_LABEL.get(cls)
            if lab and (_num(p) or 0.0) >= FACE_FLOOR:
                out.add(lab)
        out.update(self.face_look)
        frames = [f for f in self.face.get("per_frame") or [] if f]
        for cls in set(frames):
            if frames.count(cls) >= max(1.0, FACE_FRAME_SHARE * len(frames)) and cls in EXPRESSION_TO_LABEL:
                out.add(EXPRESSION_TO_LABEL[cls])
        ev = self.evidence.get("face") or {}
        if (_num(ev.get("reliability")) or 0.0) > 0:
            out.update(lab for lab, p in (ev.get("scores") or {}).items()
                       if lab in LABELS and (_num(p) or 0.0) >= MODALITY_FLOOR)
        return out

    @functools.cached_property
    def face_look(self) -> set[Label]:
        """The face's measured look over the clip and in either half, as the visual sentence states it."""
        return {lab for key in ("dominant", "first_half", "second_half")
                if (lab := EXPRESSION_TO_LABEL.get(self.face.get(key) or ""))}

    @functools.cached_property
    def face_dominant(self) -> Label | None:
        return EXPRESSION_TO_LABEL.get(self.face.get("dominant") or "")

    @functools.cached_property
    def face_halves(self) -> tuple[Label | None, Label | None]:
        return (EXPRESSION_TO_LABEL.get(self.face.get("first_half") or ""),
                EXPRESSION_TO_LABEL.get(self.face.get("second_half") or ""))

    @functools.cached_property
    def faces_seen(self) -> int | None:
        """How many people's faces were seen (``face.people``, ``media.faces.link_people``): a record
        from before people were told apart read one face, so one when a face was found; None
        when it cannot tell."""
        if not self.face_found:
            return None if self.face_found is None else 0
        people = self.face.get("people")
        return people if isinstance(people, int) else 1

    @functools.cached_property
    def shots(self) -> int | None:
        """Shots among the sampled frames (``face.shots``, ``media.shots``); None for a record
        from before cuts were seen, or without a picture."""
        shots = self.face.get("shots")
        return shots if isinstance(shots, int) and shots > 0 else None

    @functools.cached_property
    def face_still(self) -> bool | None:
        """Whether the face's mouth stayed still between the sampled frames (``face.still``,
        ``media.face_motion``); None when not measured (no face, or a record without it)."""
        if not self.face_found or self.face.get("mouth_motion") is None:
            return None
        return bool(self.face.get("still"))

    @functools.cached_property
    def face_changes(self) -> bool | None:
        first, second = self.face_halves
        if not self.face_found or first is None or second is None:
            return None
        if (self.face.get("frames_with_face") or 2) < 2:
            return None
        return first != second

    def face_frame_counts(self) -> dict[Label, int]:
        out: dict[Label, int] = {}
        for cls in self.face.get("per_frame") or []:
            lab = EXPRESSION_TO_LABEL.get(cls or "")
            if lab:
                out[lab] = out.get(lab, 0) + 1
        return out

    # ------------------------------------------------------------------ voice
    @functools.cached_property
    def voice(self) -> dict[str, Any]:
        return self.cues.get("voice") or {}

    @functools.cached_property
    def prosody(self) -> dict[str, Any]:
        return self.voice.get("prosody") or {}

    @functools.cached_property
    def audio_present(self) -> bool | None:
        if "audio" in self.missing:
            return False
        return None if "audio_track" not in self.voice else bool(self.voice["audio_track"])

    @functools.cached_property
    def speech_present(self) -> bool | None:
        if "audio" in self.missing or "speech" in self.missing or self.audio_present is False:
            return False
        return None if "speech_found" not in self.voice else bool(self.voice["speech_found"])

    @functools.cached_property
    def tone_unmeasured(self) -> bool:
        """Speech was heard (its words made out) but the voice could not be measured."""
        return bool(self.speech_present) and self.voice.get("tone_measured") is False

    @functools.cached_property
    def brief_clause(self) -> str | None:
        """"only 0.2 s of speech was clear enough to measure" when the voice was measured only
        briefly (``VoiceCues.brief``), else None: then its pace, pauses, intonation and pitch
        variation were not measured, and a claim about them is a fault whatever it says. A record
        without ``brief`` (written before it) is judged by ``prosody.active_s``; one without either
        (another system's) is never brief."""
        from ..cues import VoiceCues  # here: the checker reads the JSON record and needs no numpy to load

        if not self.speech_present or self.tone_unmeasured:
            return None
        if "brief" in self.voice:
            return VoiceCues.briefly_measured(self.voice)
        seconds = _num(self.prosody.get("active_s"))
        brief = seconds is not None and 0.0 < seconds < BRIEF_SPEECH_S
        return VoiceCues.briefly_measured({**self.voice, "brief": brief})

    def _phrase(self, *words: str) -> bool:
        return any(w in p for p in self.voice.get("phrases") or [] for w in words)

    @functools.cached_property
    def pitch_hz(self) -> float | None:
        return _num(self.prosody.get("pitch_mean_hz"))

    @functools.cached_property
    def pitch_level(self) -> str | None:
        """'high' | 'low' | 'medium' as the measurement words it."""
        hz = self.pitch_hz
        if hz is not None:
            return "high" if hz >= HIGH_PITCH_HZ else "low" if hz <= LOW_PITCH_HZ else "medium"
        for level in ("high", "low", "medium"):
            if self._phrase(f"{level},", f"{level} pitch"):
                return level
        return None

    @functools.cached_property
    def pitch_range(self) -> float | None:
        return _num(self.prosody.get("pitch_range_semitones"))

    @functools.cached_property
    def pitch_variation(self) -> str | None:
        st = self.pitch_range
        if st is not None:
            return "varied" if st >= VARIED_SEMITONES else "monotone" if st <= MONOTONE_SEMITONES else "steady"
        for word in ("varied", "monotone", "steady"):
            if self._phrase(f"{word} pitch"):
                return word
        return None

    @functools.cached_property
    def slope(self) -> str | None:
        s = self.prosody.get("pitch_slope")
        if s in ("rising", "falling", "flat"):
            return s
        if self._phrase("rising intonation"):
            return "rising"
        if self._phrase("falling intonation"):
            return "falling"
        return None

    @functools.cached_property
    def loudness(self) -> str | None:
        s = self.prosody.get("loudness")
        if s in ("loud", "quiet", "moderate"):
            return s
        for word in ("loud", "quiet", "moderate"):
            if self._phrase(f"{word} voice"):
                return word
        return None

    @functools.cached_property
    def energy_db(self) -> float | None:
        """The recording level in dBFS, when it is what the loudness was named from (our records
        name it from vocal effort: ``cues.loudness_from_effort``; the file's level says nothing then)."""
        if self.prosody.get("loudness_basis") == "vocal effort":
            return None
        return _num(self.prosody.get("energy_mean_db"))

    @functools.cached_property
    def rate(self) -> float | None:
        return _num(self.prosody.get("speaking_rate_sps"))

    @functools.cached_property
    def pace(self) -> str | None:
        r = self.rate
        if r is not None:
            return "fast" if r >= FAST_SPS else "slow" if r <= SLOW_SPS else "moderate"
        if self._phrase("fast speech"):
            return "fast"
        if self._phrase("slow speech"):
            return "slow"
        if self._phrase("moderate pace"):
            return "moderate"
        return None

    @functools.cached_property
    def articulation(self) -> str | None:
        """'crisp' | 'smooth' as the measurement words it (``cues.articulation_from_flux``), or None:
        ordinary, or not said."""
        s = self.prosody.get("articulation")
        if s in ("crisp", "smooth"):
            return s
        return next((w for w in ("crisp", "smooth") if self._phrase(f"{w} articulation")), None)

    @functools.cached_property
    def pauses(self) -> int | None:
        n = self.prosody.get("pause_count")
        if isinstance(n, int) and not isinstance(n, bool):
            return n
        if self._phrase("no pauses"):
            return 0
        for p in self.voice.get("phrases") or []:
            head = p.split(" ", 1)[0]
            if head.isdigit() and "pause" in p:
                return int(head)
        return None

    @functools.cached_property
    def arousal(self) -> str | None:
        a = self.prosody.get("arousal")
        return a if a in ("high", "moderate", "low") else None

    # ------------------------------------------------------------------ words
    @functools.cached_property
    def words(self) -> dict[str, Any]:
        return self.cues.get("words") or {}

    @functools.cached_property
    def quotable(self) -> list[str]:
        """Texts that may be quoted as the person's words: the subtitle and its translation (not a
        rough translation, ``translation_reliable`` False: nobody quotes it, ``cues.rough_translation``)."""
        rough = self.words.get("translation_reliable") is False
        texts = (self.words.get("subtitle"), None if rough else self.words.get("translation"))
        return [t for t in texts if isinstance(t, str) and t.strip()]

    @functools.cached_property
    def second_opinion(self) -> str | None:
        """What a second speech model heard (``words.second_opinion``): quotable only as its hearing."""
        text = self.words.get("second_opinion")
        return text if isinstance(text, str) and text.strip() else None

    @functools.cached_property
    def doubtful(self) -> list[str]:
        """Words of the transcript heard with doubt: ``quotable`` shows them marked "(word?)"
        (``affect_llm.doubt``); quoting the mark is faithful, quoting the bare word is not."""
        words = self.words.get("doubtful")
        return [w for w in words if isinstance(w, str) and w] if isinstance(words, list) else []

    @functools.cached_property
    def transcript_unreliable(self) -> bool:
        return self.words.get("transcript_reliable") is False or "transcript" in self.missing

    @functools.cached_property
    def words_present(self) -> bool | None:
        """Words the explanation may report on: given text or a reliable transcript."""
        if self.transcript_unreliable:
            return False
        if self.quotable:
            return True
        if "words" in self.missing or ("subtitle" in self.words and self.words["subtitle"] is None):
            return False
        return None  # not said, or not a text: unknown

    @functools.cached_property
    def words_turn(self) -> tuple[bool, tuple[Label, Label] | None]:
        """(measured, turn): whether the words channel read the words sentence by sentence
        (``evidence.words.detail`` holds ``turn``: a record from before then does not, and is not
        judged), and the ``(before, after)`` emotions they plainly turn between, or None."""
        detail = (self.evidence.get("words") or {}).get("detail")
        if not isinstance(detail, dict) or "turn" not in detail:
            return False, None
        turn = detail["turn"]
        if isinstance(turn, list) and len(turn) == 2 and all(lab in LABELS for lab in turn):
            return True, (turn[0], turn[1])
        return True, None

    @functools.cached_property
    def missing(self) -> set[str]:
        return {str(m) for m in self.cues.get("missing") or []}

    @functools.cached_property
    def language(self) -> str | None:
        lang = self.words.get("language")
        return lang.lower() if isinstance(lang, str) and lang else None

    # ------------------------------------------------------------------ evidence and support
    @functools.cached_property
    def evidence(self) -> dict[str, dict[str, Any]]:
        ev = self.cues.get("evidence")
        return ev if isinstance(ev, dict) else {}

    @functools.cached_property
    def supported_labels(self) -> frozenset[Label]:
        """Labels some modality gives a meaningful score (the rule is in FAITHFULNESS.md)."""
        out: set[Label] = set()
        fusion = self.cues.get("fusion") or {}
        for item in fusion.get("ranked") or []:
            if isinstance(item, (list, tuple)) and len(item) == 2 and item[0] in LABELS \
                    and (_num(item[1]) or 0.0) >= FUSION_FLOOR:
                out.add(item[0])
        out.update(lab for lab in fusion.get("emotions") or [] if lab in LABELS)
        out.update(lab for lab in (fusion.get("expressed") or {}).values() if lab in LABELS)
        for word in self.cues.get("candidates") or []:
            lab = label_of(str(word)) if isinstance(word, str) else None
            if lab:
                out.add(lab)
        for ev in self.evidence.values():
            if not isinstance(ev, dict) or (_num(ev.get("reliability")) or 0.0) <= 0:
                continue
            scores = ev.get("scores") or {}
            if ev.get("reads", "label") == "label" and clear_label_of(scores) is None:
                out.add("neutral")  # a present channel that shows no clear emotion: "no clear emotion"
            if (_num(ev.get("reliability")) or 0.0) >= MIN_RELIABILITY:
                out.update(lab for lab, p in scores.items() if lab in LABELS and (_num(p) or 0.0) >= MODALITY_FLOOR)
        if self.evidence and self.face_found:  # what the face was measured to look like, half by half
            out.update(self.face_look)
        if not self.evidence:  # other systems, older outputs: the cues themselves
            if self.face_found:
                out.update(self.face_labels)
            out.update(self.words_labels)
            out.update(self.voice_labels)
        return frozenset(out)

    @functools.cached_property
    def can_judge_emotions(self) -> bool:
        """Whether "no modality supports it" can be said: an evidence record, or every modality's
        state known (a record that says nothing about the voice cannot rule out a vocal emotion)."""
        if self.evidence:
            return True
        return None not in (self.face_found, self.speech_present, self.words_present)

    @functools.cached_property
    def words_labels(self) -> set[Label]:
        """Labels of the words' own emotion words (fallback when there is no evidence record)."""
        out: set[Label] = set()
        if self.transcript_unreliable:
            return out
        for cat in self.words.get("lexicon") or {}:
            if cat in NRC_TO_LABEL:
                out.add(NRC_TO_LABEL[cat])
        from ..doubt import without_doubtful

        for text in self.quotable:  # a word heard with doubt, "(acceptable?)", supports nothing
            out.update(_text_labels(without_doubtful(text) or ""))
        return out

    @functools.cached_property
    def voice_labels(self) -> set[Label]:
        """Labels whose arousal matches the voice's measured arousal (fallback)."""
        if not self.speech_present or self.arousal is None:
            return set()
        if self.arousal == "high":
            return {lab for lab in LABELS if AROUSAL[lab] >= 0.5}
        if self.arousal == "low":
            return {lab for lab in LABELS if AROUSAL[lab] <= 0.0}
        return {lab for lab in LABELS if abs(AROUSAL[lab]) <= 0.5}


@functools.lru_cache(maxsize=4096)
def _text_labels(text: str) -> frozenset[Label]:
    out: set[Label] = set()
    for m in extractor().extract(text).mentions:
        if not m.negated:
            lab = "neutral" if m.neutral else label_of(m.word)
            if lab:
                out.add(lab)
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def extractor():
    """The project's one emotion-word reader, built once per process."""
    from ..scoring.extract import RuleExtractor

    return RuleExtractor()
