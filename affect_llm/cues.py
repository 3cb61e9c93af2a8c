"""Turn what was perceived in a clip into *cues*: a JSON-able record, its text form, and the decision.

The cues are the model-independent evidence of a clip: face found? which expression, and how
it changes; pitch, loudness, pace, pauses, vocal effort; the words, their language and how sure
the transcript is. ``evidence`` holds each channel's scores over the one label set
(``affect_llm.emotions``) and ``fusion`` the decision drawn from them (``evidence.fusion``).
``describe --json`` reports all of it, so a user can see why an answer was given and what was
missing; the faithfulness checker (``affect_llm.faithfulness``) holds explanations to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np

from .emotions import EXPRESSION_CLASSES, EXPRESSION_TO_LABEL
from .evidence import ModalityEvidence
from .evidence.fusion import Fusion

# Back-compatible name: the face model's class order.
EXPRESSION_LABELS = EXPRESSION_CLASSES
# How a facial-expression class reads in a sentence about a face.
EXPRESSION_LOOK = EXPRESSION_TO_LABEL


@dataclass
class FaceCues:
    frames: int
    frames_with_face: int
    mean_probs: dict[str, float] = field(default_factory=dict)
    dominant: str | None = None
    first_half: str | None = None
    second_half: str | None = None
    per_frame: list[str | None] = field(default_factory=list)
    # How much the mouth moved between the sampled frames (``media.face_motion``), None when not
    # measured (fewer than 3 frames with a face).
    mouth_motion: float | None = None
    # People whose faces were seen (``media.faces.link_people``), and why the one read is read:
    # "mouth" (theirs clearly moved most while speech was heard), "largest", or "only" (one person).
    people: int = 1
    chosen_by: str = "only"
    # Shots among the sampled frames (``media.shots``): the video cuts between them when > 1.
    shots: int = 1

    @property
    def still(self) -> bool:
        """The face's mouth did not move between the sampled frames: a photograph, a poster, or
        someone not speaking (``media.face_motion.still``)."""
        from .media.face_motion import still

        return still(self.mouth_motion)

    @property
    def picture(self) -> bool:
        """Whether the clip had a picture at all: a sound-only recording samples no frames."""
        return self.frames > 0

    @property
    def found(self) -> bool:
        return self.frames_with_face > 0

    @property
    def changes(self) -> bool:
        """The expression reads differently in the two halves of the clip (False when the halves
        were not read: ``MIN_HALF_FRAMES``)."""
        halves = (self.first_half, self.second_half)
        return self.found and None not in halves and halves[0] != halves[1]

    def text(self) -> str:
        if not self.picture:
            return "There is no picture (a sound-only recording), so facial expression is unknown."
        if not self.found:
            return (f"No face was detected in any of the {self.frames} sampled frames, so facial "
                    "expression is unknown.")
        # Words, not percentages: small LLMs garble numbers but paraphrase words faithfully.
        ranked = sorted(self.mean_probs.items(), key=lambda kv: -kv[1])
        look = EXPRESSION_LOOK
        main = look[ranked[0][0]] + (f", sometimes {look[ranked[1][0]]}" if ranked[1][1] >= 0.15 else "")
        change = ""  # too few frames with the face to tell how it goes (``MIN_HALF_FRAMES``)
        if self.changes:
            change = f"; it changes from {look[self.first_half]} to {look[self.second_half]} during the clip"
        elif self.first_half:
            change = f"; it stays {look[self.dominant]} throughout"
        still = " Its mouth does not move between the frames." if self.still else ""
        whose = which_face(self.people, self.chosen_by) or "a face"
        return (f"{whose.capitalize()} is visible in {self.frames_with_face} of {self.frames} sampled "
                f"frames. Facial expression: mostly {main}{change}.{still}")


def face_halves(face: dict[str, Any]) -> str:
    """" (happy → sad)": the expression in the two halves of the clip, as the CLI table and the
    demo show it beside the dominant one; "" when the halves were not read (``MIN_HALF_FRAMES``)."""
    return f" ({face['first_half']} → {face['second_half']})" if face.get("first_half") else ""


def which_face(people: int | None, chosen_by: str | None) -> str | None:
    """With several people in view, which face is read: "of the 2 faces seen, the one whose mouth
    moves while speech is heard" (``chosen_by`` "mouth") or "of the 2 faces seen, the largest";
    None for one person. One wording for the prompt and the rendered sentence.

    Whether the video cuts (``FaceCues.shots``) is not said: a cut is read from how much the
    picture changes, and a change that is no cut (a light, a fade in half the picture) can pass
    for one; whose face is read is true either way."""
    if not people or people < 2:
        return None
    which = "the one whose mouth moves while speech is heard" if chosen_by == "mouth" else "the largest"
    return f"of the {people} faces seen, {which}"


@dataclass
class VoiceCues:
    audio_track: bool
    speech_found: bool
    phrases: list[str] = field(default_factory=list)
    prosody: dict[str, Any] = field(default_factory=dict)
    # False when speech was heard (Whisper made out its words) but the pitch tracker found too
    # little voicing to measure the voice: no pitch, loudness or pace is claimed.
    tone_measured: bool = True
    # What is said of such speech (``tone_measured`` False), in one place: the prompt (``text``),
    # the answer's rendered sentence (``observations.acoustic``), the CLI table, the demo and the
    # checker's fault all build on this clause, so none of them drifts into claiming a measure.
    PITCH_UNTRACKED: ClassVar[str] = "its pitch could not be tracked"
    # True when the speech was measured for less than ``media.prosody.BRIEF_SPEECH_S`` (``prosody``'s
    # ``active_s`` says how long): ``phrases`` hold only pitch level and loudness, and everything
    # said of them is said of that stretch, after :meth:`briefly_measured`'s clause; pace, pauses,
    # intonation, pitch variation and articulation (``BRIEF_UNSAID``) are not claimed. Like ``PITCH_UNTRACKED``,
    # the prompt, the rendered sentence, the CLI table, the demo and the checker's fault share it.
    brief: bool = False
    BRIEFLY: ClassVar[str] = "only {seconds:.1f} s of speech was clear enough to measure"
    BRIEF_UNSAID: ClassVar[str] = "its pace, pauses, intonation, pitch variation and articulation"

    @classmethod
    def briefly_measured(cls, voice: dict[str, Any]) -> str | None:
        """"only 0.2 s of speech was clear enough to measure" for a briefly measured voice
        (a cues record's ``voice``: ``brief`` and ``prosody.active_s``), else None."""
        if voice.get("brief") is not True:
            return None
        seconds = (voice.get("prosody") or {}).get("active_s")
        if not isinstance(seconds, (int, float)):
            return "only a brief stretch of speech was clear enough to measure"
        return cls.BRIEFLY.format(seconds=seconds)

    def text(self) -> str:
        if not self.audio_track:
            return "The clip has no audio track, so tone of voice is unknown."
        if not self.speech_found:
            return "The audio track holds no clear speech."
        if not self.tone_measured:
            return f"Speech can be heard, but {self.PITCH_UNTRACKED}, so the tone of voice was not measured."
        brief = self.briefly_measured(asdict(self))
        if brief:
            return (f"Voice: {brief}, so {self.BRIEF_UNSAID} are unknown; in that stretch: "
                    + "; ".join(self.phrases) + ".")
        return "Voice: " + "; ".join(self.phrases) + "."


RoughUse = Literal["read", "shown only"]

# The rough English of a transcript over few words heard with doubt, at most this share, whose
# translation passed its own log-probability check, is read: it is English of speech heard well,
# and one or two uncertain words ("Was? Das kann doch nicht wahr sein! ...", 2 of 17) should not
# cost a plainly surprised sentence. On the saved evidence of real speech (below; ``eval/
# words_channel.py --rough``) reading it only up to this share answered as many right as not
# reading it (60 of 166), up to 1/6 or 1/4 fewer (57), always 51.
FEW_DOUBTFUL_SHARE = 1 / 8


def rough_translation(words: Mapping[str, Any]) -> RoughUse | None:
    """How the words' rough English (``translation_reliable`` False) is used; None when there is
    none (no translation, or one that passed its checks). It is never quoted. It is ``"read"`` at
    half weight (times the share of words heard well):

    * for *given* words (``perception._translate_given``: speech heard to say them);
    * for a transcript, where its English names a feeling outright ("I am so happy that ...",
      "What a surprise!": ``evidence.words.names_a_feeling``) and no word was heard with doubt,
      or where few words were heard with doubt and the translation passed its check
      (:data:`FEW_DOUBTFUL_SHARE`).

    Otherwise it is ``"shown only"``: shown to the user, not read by the words channel.

    Why: Whisper's English of speech it heard well but translated badly (its translation under
    -1.0 average log-probability, or said over words heard with doubt) reads flat scripts and
    stock phrases as feelings: "People keep themselves safe." (fearful) for CASIA's "人们保留资格",
    "I'll see you in the next video." (happy), pinyin like "Sun Ying Kai Fei Ji!". What it reads
    there is topical closeness, not a feeling anyone named. A word that names one survives the
    translation ("The strength finds peace and joy.", EMOVO, happy; "I am so happy that this is
    the best time of my life.", espeak Mandarin). Re-fusing saved evidence (``eval/words_channel.py
    --rough``, over ``eval/real_speech_eval.py --mode pipeline`` runs of 84 clips each of CASIA,
    EmoDB, EMOVO, Javanese and Urdu; 166 had such a translation): always read 51 right, never
    read 60, read where it names a feeling (or few words were in doubt) 63: 3 won, none lost.
    The synthetic development corpus (90 clips, 25 with one; emotional sentences): never read 47,
    read where it names a feeling 50.
    But a feeling named over words heard with doubt is often the translation of the guess: the 3
    real clips won were flat scripts whose feeling came from a misheard word ("(l'aglioroso?)"
    of "l'aglio rosolato", browned garlic, gave "peace and joy" twice; "(vorab?)" gave "with
    pleasure"), and espeak's German "Ich bin so wütend!", heard "Ich bin (verwöhnt?)" (spoiled),
    became "I'm worried", and an angry clip was answered fearful. A guess must not decide (the
    rule of the own-language words), so the named feeling is read only where every word was
    heard well: real clips 60 right (the 3 lucky wins given back); the development corpus 47 (its
    3 were espeak's emotional words heard with doubt and guessed right by the translation).
    Takes the words' record (``WordCues`` as a dict, or the ``cues["words"]`` of an answer)."""
    from .encoders.speech import LOGPROB_THRESHOLD
    from .evidence.words import names_a_feeling

    if words.get("translation_reliable") is not False or not words.get("translation"):
        return None
    if words.get("source") != "whisper":
        return "read"
    logprob = (words.get("reliability") or {}).get("translation_avg_logprob")
    share = words.get("doubtful_share")
    few = share is not None and share <= FEW_DOUBTFUL_SHARE
    few = few and logprob is not None and logprob >= LOGPROB_THRESHOLD
    named = not share and names_a_feeling(words["translation"])  # every word heard well
    return "read" if few or named else "shown only"


ROUGH_NOTE: dict[RoughUse, str] = {"read": "rough: read at half weight, not quoted",
                                   "shown only": "rough: shown only, not read, not quoted"}
"""How ``describe`` and the demo label a rough translation, after the English they show."""


@dataclass
class WordCues:
    """The words the answer may use, and where they came from.

    ``subtitle`` is the text the answer used (given, from a sidecar, or a *reliable* transcript),
    cut to the word budget; ``heard`` is a transcript judged unreliable: kept for the user to see,
    never quoted as the person's words. ``translation`` is the English text the words channel
    read when the speech was not English; ``translation_reliable`` False marks a rough one
    (never quoted; read at reduced weight or shown only: :func:`rough_translation`).

    Words Whisper heard with doubt (``encoders.speech.WORD_PROB_THRESHOLD``) stay in ``subtitle``
    and ``heard`` in the mark of ``affect_llm.doubt`` ("completely (acceptable?)"): shown as heard,
    never quoted as said. ``doubtful`` lists them, ``doubtful_share`` is their share of the words
    (None: not measured, or given text), and the words channel reads :meth:`channel_texts`.
    """

    subtitle: str | None
    source: str
    language: str | None = None
    language_probability: float | None = None
    translation: str | None = None
    translation_reliable: bool | None = None  # None: no translation
    transcript_reliable: bool | None = None  # None: not a transcript (given text, or nothing)
    reliability: dict[str, Any] = field(default_factory=dict)  # the transcript's measures and reasons
    heard: str | None = None
    truncated: bool = False
    doubtful: list[str] = field(default_factory=list)
    doubtful_share: float | None = None
    second_opinion: str | None = None  # what a second speech model heard (English speech only)

    def channel_texts(self) -> list[str]:
        """What the words channel reads: one text, or the hypotheses of what was said.

        The English translation when there is one; given text as given (it may hold "(really?)"
        literally: it is said). Words heard with doubt leave two cases:

        * a second model heard the same speech: two hypotheses, each read and weighed equally:
          the first model's words as heard and the second model's. Where the models agree both
          hold the word; where they disagree ("completely (acceptable?)" against "completely
          unacceptable") each hearing counts half, so neither guess decides alone, and a word
          that carries the feeling is not simply lost;
        * no second opinion: the words with the doubtful ones left out (a guess must not decide).

        Words that were not understood (no ``subtitle``: only ``heard``) give the channel nothing,
        not even a second model's hearing of them. It was read: SAVEE's angry "(She?) had your
        (dark?) suits ..." (9 of 13 words doubtful) was read disgusted through tiny.en's hearing,
        and the answer said the words "give no clue, which suggests the person is disgusted".
        Nor does a rough English that is shown only (:func:`rough_translation`): the words are
        then read only in their own language (``evidence.own_words``), where they can be.
        """
        from .doubt import as_heard, without_doubtful

        if not self.subtitle or rough_translation(self.__dict__) == "shown only":
            return []  # nothing understood; or heard well, but its English failed its check
        if self.translation or not self.doubtful:
            text = self.translation or self.subtitle
            return [text] if text else []
        if self.second_opinion and self.second_opinion.strip():
            return [t for t in (as_heard(self.subtitle), self.second_opinion.strip()) if t]
        text = without_doubtful(self.subtitle)
        return [text] if text else []

    def text(self) -> str:
        if self.heard and not self.subtitle:
            return "Speech was heard, but it could not be understood reliably, so the words are unknown."
        if not self.subtitle and self.transcript_reliable is False:
            return "Speech was heard, but no words could be made out, so the words are unknown."
        if not self.subtitle:
            return "No words were spoken or given."
        if self.translation and self.translation_reliable is not False:
            lang = f" (in {self.language}; translated automatically into English: \"{self.translation}\")"
        elif self.translation:
            lang = f" (in {self.language}; its English translation is uncertain)"
        else:
            lang = ""
        doubt = " Words in parentheses with a question mark were not heard clearly." if self.doubtful else ""
        return f'Words: "{self.subtitle}"{lang}.{doubt}'


@dataclass
class Cues:
    """Everything the default model reasons over, the decision, and what was missing."""

    face: FaceCues
    voice: VoiceCues
    words: WordCues
    evidence: dict[str, ModalityEvidence]
    fusion: Fusion
    missing: list[str]

    @property
    def candidates(self) -> list[str]:
        """The decided emotions, strongest first (the answer's ``emotions``)."""
        return list(self.fusion.emotions)

    def evidence_text(self) -> str:
        """Each channel's reading and the decision, in words (for the inference prompt)."""
        lines = []
        for name in ("face", "voice", "words"):
            ev = self.evidence.get(name)
            if ev is None or not ev.present:
                continue
            top = ", ".join(f"{lab}" for lab, p in ev.top(2) if p >= 0.15)
            lines.append(f"The {name} suggests: {top}.")
        lines.append(f"Decision: {', '.join(self.candidates)}; {self.fusion.summary()}.")
        return "\n".join(lines)

    def text(self) -> str:
        return "\n".join([self.face.text(), self.voice.text(), self.words.text(), self.evidence_text()])

    def to_dict(self) -> dict[str, Any]:
        d = {"face": asdict(self.face), "voice": asdict(self.voice), "words": asdict(self.words)}
        d["face"]["found"] = self.face.found
        d["face"]["still"] = self.face.still
        d["evidence"] = {name: ev.to_dict() for name, ev in self.evidence.items()}
        d["fusion"] = self.fusion.to_dict()
        d["candidates"] = self.candidates
        d["missing"] = list(self.missing)
        return d


# How the expression goes over the clip ("changing from happy in the first half to sad in the
# second", or "staying so throughout") is read only when each half of the frames with the face
# holds at least this many: from one or two frames a half, the expression model's frame-to-frame
# noise reads as change. A speaker seen in 4 of 8 frames, between cuts to the listener, was said
# to change in 36 of 84 real Javanese composites, against 29 of the same clips seen whole.
MIN_HALF_FRAMES = 3


def face_cues(probs: np.ndarray | None, found: np.ndarray | None, frames: int,
              mouth_motion: float | None = None, people: int = 1, chosen_by: str = "only",
              shots: int = 1) -> FaceCues:
    """Summarize per-frame expression probabilities ``[N, 7]`` over frames where a face was found;
    ``mouth_motion`` is ``media.face_motion.mouth_motion`` of the same frames (None: not measured);
    ``people``, ``chosen_by`` and ``shots`` say whose face that is and how the video cuts
    (``media.faces.FaceTrack``)."""
    if probs is None or found is None or not np.any(found):
        return FaceCues(frames=frames, frames_with_face=0, per_frame=[None] * frames, people=0, shots=shots)
    probs = np.asarray(probs, dtype=np.float64)
    idx = np.flatnonzero(found)
    mean = probs[idx].mean(0)
    first = second = None
    if len(idx) >= 2 * MIN_HALF_FRAMES:
        half = len(idx) // 2
        first = EXPRESSION_LABELS[int(probs[idx[:half]].mean(0).argmax())]
        second = EXPRESSION_LABELS[int(probs[idx[half:]].mean(0).argmax())]
    per_frame = [EXPRESSION_LABELS[int(p.argmax())] if f else None for p, f in zip(probs, found)]
    return FaceCues(
        frames=frames,
        frames_with_face=len(idx),
        mean_probs={k: round(float(v), 3) for k, v in zip(EXPRESSION_LABELS, mean)},
        dominant=EXPRESSION_LABELS[int(mean.argmax())],
        first_half=first,
        second_half=second,
        per_frame=per_frame,
        mouth_motion=None if mouth_motion is None else round(float(mouth_motion), 3),
        people=people,
        chosen_by=chosen_by,
        shots=shots,
    )


# How loud the voice is, as the explanation says it, is its *vocal effort*: the spectral balance
# (alpha ratio, Hammarberg index) as a z-score against neutral speech of the language
# (``evidence.voice``, dimension "effort"), at least this far from it. Not the recording level
# (``media.prosody``'s dBFS category, kept as ``recording_loudness``): that is mostly the
# microphone, the gain and the file's normalisation. Measured on real acted speech: EmoDB's
# files are normalised, so its sad and neutral clips were "loud" (18 of 19, 20 of 24 in a
# sample) and its angry ones "moderate" (29 of 45); RAVDESS's angry clips were "quiet" (8 of 14).
# Vocal effort orders the emotions as listeners hear them: mean z angry +1.7 / +1.9 (RAVDESS /
# EmoDB), happy +1.2 / +1.1, neutral 0.0 / -0.6, sad +0.4 / -1.4.
EFFORT_LOUD_Z = 1.0


def loudness_from_effort(effort: float | None) -> str | None:
    """"loud" / "moderate" / "quiet" from the voice's effort z, or None (not measured: no claim)."""
    if not isinstance(effort, (int, float)):
        return None
    return "loud" if effort >= EFFORT_LOUD_Z else "quiet" if effort <= -EFFORT_LOUD_Z else "moderate"


# How the voice is articulated, as the explanation says it, is its spectral flux (``evidence.
# voice``, dimension "flux": how fast the spectral envelope of the voiced frames changes) as a
# z-score against neutral speech of the language, at least this far from it: "crisp articulation"
# above, "smooth articulation" below. Why say it: flux weighs 0.3 of the voice's arousal, second
# only to effort, and an arousal read from it was left without a reason ("the voice is moderate,
# with medium, steady pitch, falling intonation, moderate pace and 1 pause (0.6 s), which
# suggests a high-energy state": a real Urdu clip at flux +2.3 z). Of the 27 voices read high or
# low among 44 real clips of five corpora, 4 had no named measure behind that reading, each with
# |flux| >= 1.2 z.
ARTICULATION_SAID_Z = 1.0


def articulation_from_flux(flux: float | None) -> str | None:
    """"crisp" / "smooth" from the voice's flux z, or None (ordinary, or not measured: no claim)."""
    if not isinstance(flux, (int, float)):
        return None
    return "crisp" if flux >= ARTICULATION_SAID_Z else "smooth" if flux <= -ARTICULATION_SAID_Z else None


def voice_cues(audio_track: bool, prosody: Any, arousal: str | None = None,
               effort: float | None = None, words_heard: bool = False, flux: float | None = None) -> VoiceCues:
    """The voice as measured; ``arousal`` is the voice channel's word for it (high/moderate/low)
    and ``effort`` its vocal-effort z, which decides the loudness named (:data:`EFFORT_LOUD_Z`);
    ``flux`` its spectral-flux z, which decides the articulation named (:data:`ARTICULATION_SAID_Z`;
    not of a briefly measured voice, whose phrases hold only pitch level and loudness).
    ``words_heard``: the speech model made out words in the audio, so speech is there even when
    the pitch tracker could not measure it (then nothing about the voice is claimed)."""
    if prosody is None or not prosody.speech_found:
        if audio_track and words_heard:
            return VoiceCues(audio_track=True, speech_found=True, tone_measured=False)
        return VoiceCues(audio_track=audio_track, speech_found=False)
    heard = replace(prosody, loudness=loudness_from_effort(effort))
    summary = asdict(heard)
    summary["recording_loudness"] = prosody.loudness  # the level of the file, not of the voice
    summary["loudness_basis"] = "vocal effort"
    if arousal is not None:
        summary["arousal"] = arousal
    phrases = list(heard.describe())
    articulation = None if heard.brief else articulation_from_flux(flux)
    if articulation:
        summary["articulation"] = articulation
        noise = [p for p in phrases if p.startswith("noise")]  # the recording's note stays last
        phrases = [p for p in phrases if p not in noise] + [f"{articulation} articulation"] + noise
    return VoiceCues(audio_track=audio_track, speech_found=True, phrases=phrases, prosody=summary, brief=heard.brief)
