"""Perceive a clip: decode it, find faces, read expressions, measure prosody, get the words.

This is the model-independent front half of every entry point (``describe`` now; ``infer``,
``chat`` and ``serve`` later), so they all see a clip the same way. Heavy components (Whisper,
the expression model) load once per process through cached loaders.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cues import Cues, RoughUse, WordCues, face_cues, rough_translation, voice_cues

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .encoders.speech import Transcript
    from .encoders.whisper_audio import WhisperAudio
    from .media.faces import FaceTrack

log = logging.getLogger(__name__)


@dataclass
class PerceiveOptions:
    num_frames: int = 8
    max_side: int = 1280
    subtitle: str | None = None  # user-given words; otherwise a sidecar .srt/.txt, otherwise Whisper
    whisper: str = "base"  # "base" (multilingual), "tiny.en", an openai-whisper .pt file, or a Whisper folder
    transcribe: bool = True
    language: str | None = None  # spoken language (ISO code); None: Whisper detects it
    # English speech is heard a second time by this Whisper; words the two hear differently are
    # doubtful (encoders.speech.cross_check). None: no second opinion.
    second_opinion: str | None = "tiny.en"


@dataclass
class Perception:
    clip_id: str
    path: Path
    clip: Any  # media.clip.Clip
    faces: Any  # media.faces.FaceTrack
    expressions: np.ndarray | None  # [N, 7] probabilities
    prosody: Any  # media.prosody.Prosody
    subtitle: str | None
    subtitle_source: str
    cues: Cues
    timings: dict[str, float] = field(default_factory=dict)

    def cues_dict(self) -> dict[str, Any]:
        d = self.cues.to_dict()
        d["clip"] = {"duration_s": round(self.clip.duration, 3), "fps": round(self.clip.fps, 3),
                     "width": self.clip.width, "height": self.clip.height,
                     "frames_sampled": len(self.clip.frames),
                     "frame_times_s": [round(float(t), 3) for t in self.clip.frame_times],
                     "downscaled": bool(self.clip.downscaled), "summary": self.clip.summary()}
        return d


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = round(time.perf_counter() - start, 4)


def perceive(path: str | Path, options: PerceiveOptions | None = None) -> Perception:
    """Run the perception stages on one clip. Bad input raises ``InputError`` naming the file."""
    from .media.clip import read_clip
    from .media.faces import detect_faces
    from .media.subtitle import resolve_subtitle

    options = options or PerceiveOptions()
    path = Path(path)
    timings: dict[str, float] = {}
    with _timed(timings, "decode_s"):
        clip = read_clip(path, num_frames=options.num_frames, max_side=options.max_side)
    prosody, speech = listen(clip.audio, clip.sample_rate, timings)
    with _timed(timings, "faces_s"):  # with two people in view, the speaker's face (media.faces)
        faces = detect_faces(clip.frames, speech_heard=bool(speech))
    expressions, face = face_channel(faces, timings)

    subtitle, source = resolve_subtitle(path, options.subtitle)
    transcript = None
    if subtitle is None and options.transcribe and clip.audio is not None and speech:
        from .encoders.whisper_audio import load_whisper

        first = load_whisper(options.whisper)
        with _timed(timings, "transcribe_s"):
            transcript = first.transcribe(clip.audio, language=options.language)
        second = _second_opinion_model(options, transcript, first)
        if second is not None:
            from .encoders.speech import cross_check

            # A whole transcribe although cross_check reads only its text: a text-only decoding
            # (the same greedy pass, no teacher-forced pass for word probabilities) gave the same
            # text and saved 2-12 % of tiny.en's 0.7-1.1 s on examples/, too little for a second path.
            with _timed(timings, "second_opinion_s"):
                other = second.transcribe(clip.audio, language="en", translate=False)
            cross_check(transcript, other)
        if not prosody.speech_found and not (transcript.text.strip() and transcript.text_reliable):
            transcript = None  # sound the pitch tracker found no voice in, and no words in it either
    spoken = None
    if subtitle is not None and options.transcribe and clip.audio is not None and speech:
        spoken = _translate_given(subtitle, clip.audio, options, timings)
    words = word_cues_from(subtitle, source, transcript, options.language, spoken_translation=spoken)

    with _timed(timings, "evidence_s"):
        cues = decide(face, expressions, faces.found, clip.audio is not None, prosody, words)
    subtitle, source = words.subtitle, words.source
    log.info("perceived %s: missing=%s decision=%s", path.name, cues.missing, cues.candidates)
    return Perception(clip_id=path.stem, path=path, clip=clip, faces=faces, expressions=expressions,
                      prosody=prosody, subtitle=subtitle, subtitle_source=source, cues=cues, timings=timings)


def face_channel(faces: FaceTrack, timings: dict[str, float] | None = None) -> tuple[np.ndarray | None, Any]:
    """What the face read in its frames shows (``faces``: the one ``media.faces.FaceTrack`` read,
    which holds the frames its boxes lie in): the expression model's probabilities ``[N, 7]``
    (None without a face) and their summary, ``cues.FaceCues``
    (dominant expression, its change, whether the mouth moves, whose face it is). ``timings``
    gets ``expression_s`` and ``face_motion_s``. The mouth motion is the track's own
    (``FaceTrack.mouth_motion``, on the frames it was found in): where it was already measured to
    choose between several people, it is not measured again, and ``face_motion_s`` is near nothing.
    The one way the face is read: ``perceive`` and the face measures in ``eval/`` call it."""
    from .encoders.expression import read_faces

    timings = {} if timings is None else timings
    with _timed(timings, "expression_s"):
        expressions = read_faces(faces.frames, faces)
    with _timed(timings, "face_motion_s"):
        motion = faces.mouth_motion
    return expressions, face_cues(expressions, faces.found, len(faces.frames), motion, faces.people, faces.chosen_by,
                                  faces.shots)


def speech_spans(audio: np.ndarray | None, sample_rate: int,
                 timings: dict[str, float] | None = None) -> tuple[tuple[float, float], ...]:
    """Where the VAD (``media.vad``) hears speech in ``audio``, as (start, end) seconds: empty
    when it heard too little to claim any (``VoiceActivity.heard``). ``timings`` gets ``vad_s``."""
    from .media.vad import voice_activity

    with _timed({} if timings is None else timings, "vad_s"):
        activity = voice_activity(audio, sample_rate)
    return tuple(activity.speech_spans()) if activity.heard else ()


def listen(audio: np.ndarray | None, sample_rate: int,
           timings: dict[str, float] | None = None) -> tuple[Any, bool]:
    """The voice in ``audio``: (``media.prosody.Prosody``, whether speech was heard).

    The one place that decides there is speech: the VAD first (:func:`speech_spans`), then prosody
    measured only inside the spans it heard speech in (none when it heard none), so music,
    laughter or noise between the utterances is not read as the voice. ``timings`` gets
    ``vad_s`` and ``prosody_s``. ``eval/real_speech_eval.py`` measures the voice through here;
    ``eval/voice_pitch_level.py`` through :func:`speech_spans`, since it needs the spans too.
    """
    from .media.prosody import analyze_prosody

    timings = {} if timings is None else timings
    spans = speech_spans(audio, sample_rate, timings)
    with _timed(timings, "prosody_s"):
        prosody = analyze_prosody(audio, sample_rate, speech=spans)
    return prosody, bool(spans)


def _second_opinion_model(options: PerceiveOptions, transcript: Transcript | None,
                          first: WhisperAudio) -> WhisperAudio | None:
    """The Whisper that hears English words a second time, or None: none asked for, no English
    words worth quoting, or the second model is ``first`` (the same weights, by encoder id, agree
    with themselves whatever the spec that named them).

    The cheap checks come first, so Spanish speech or ``second_opinion=None`` loads no second model.
    """
    spec = options.second_opinion
    if not spec or transcript is None or transcript.language != "en" or not transcript.text_reliable:
        return None
    from .encoders.whisper_audio import load_whisper

    second = load_whisper(spec, str(first.device))
    return None if second.encoder_id == first.encoder_id else second


# A translation that failed its check (average log-probability under -1.0) is kept as a rough
# translation while it stays above ``ROUGH_TRANSLATION_LOGPROB``; never quoted. That of given words
# (``_translate_given``) is read by the words channel at ``ROUGH_TRANSLATION_RELIABILITY``: half a
# channel's weight, so the voice and the face can outvote it. That of a transcript is shown only,
# unless it names a feeling over words all heard well, or few of its words were heard with doubt (``cues.rough_translation``
# says why). Below -1.3
# Whisper base's English is mostly invented ("I'm sorry, but I'm going to have to go to bed" for
# "Por favor, pon las cajas en la mesa").
ROUGH_TRANSLATION_LOGPROB = -1.3
ROUGH_TRANSLATION_RELIABILITY = 0.5


def _translate_given(subtitle: str, audio: np.ndarray, options: PerceiveOptions,
                     timings: dict[str, float]) -> Transcript | None:
    """Whisper's English translation of the speech beside ``subtitle`` when that text is not
    English and the speech says it (``encoders.speech.translate`` says why), or None: English
    words (nothing to do), nothing to translate, or speech that does not say the given words. The
    language is the user's ``--language``, else the text's guessed one, else Whisper's detection."""
    from .encoders.whisper_audio import load_whisper
    from .evidence.own_words import guess_language, reads_as_english
    from .media.subtitle import bound_words

    if reads_as_english(subtitle, options.language):
        return None
    said = bound_words(subtitle)[0]  # the words the answer uses; a pasted essay is never decoded
    with _timed(timings, "translate_s"):
        return load_whisper(options.whisper).translate(audio, said, options.language or guess_language(said))


def word_cues_from(subtitle: str | None, source: str, transcript: Transcript | None,
                   language: str | None, spoken_translation: Transcript | None = None) -> WordCues:
    """The words the answer may use: given text wins; a transcript only when it is reliable.

    Given text in another language comes with ``spoken_translation``, Whisper's English rendering
    of speech that says it (:func:`_translate_given`): it is kept as a rough translation (read at
    reduced weight while above ``ROUGH_TRANSLATION_LOGPROB``, never quoted): the speech was heard
    to say the given words, but nothing checks the English against them.

    Both are cut to the word budget (``media.subtitle.MAX_WORDS``). An unreliable transcript is
    kept as ``heard`` (shown to the user, never quoted as what the person said). Words heard
    well whose English translation failed its checks are quoted in their language; the
    translation is kept (``translation_reliable`` False) while it is above
    ``ROUGH_TRANSLATION_LOGPROB`` and does not loop, shown to the user, and read only where
    ``cues.rough_translation`` says.

    Words heard with doubt (``encoders.speech.WORD_PROB_THRESHOLD``) stay in the text in the mark
    of ``affect_llm.doubt`` and are listed in ``doubtful``, with a sentence in the reasons. The
    English translation of speech holding one is treated as rough (never quoted: it may say the
    guessed word as if it were sure), read at reduced weight as ``cues.rough_translation`` says. Given
    text (``--subtitle``, a sidecar) is never doubtful.
    """
    from .media.subtitle import bound_words

    if subtitle:
        text, cut = bound_words(subtitle)
        rough = None
        if spoken_translation is not None:
            rough = _rough_translation(spoken_translation.translation, spoken_translation.translation_avg_logprob)
            rough = bound_words(rough)[0] if rough else None
        probability = None
        if language is None and spoken_translation is not None:  # the language Whisper translated from
            language, probability = spoken_translation.language, spoken_translation.language_probability
        return WordCues(subtitle=text, source=source, language=language, language_probability=probability,
                        truncated=cut,
                        translation=rough, translation_reliable=False if rough else None)
    if transcript is None:
        return WordCues(subtitle=None, source="none")
    if not transcript.text.strip():  # speech was found, but Whisper made out no words (a soft,
        # short or sobbing utterance; RAVDESS's sad "Kids are talking by the door."): not silence
        return WordCues(subtitle=None, source="whisper", language=transcript.language, transcript_reliable=False,
                        reliability=_measures(transcript, list(transcript.reasons) or [NO_WORDS_MADE_OUT],
                                              NO_WORDS_MEASURES))
    text, cut = bound_words(transcript.marked_text().strip())
    translation = transcript.translation
    if translation:
        translation, _ = bound_words(translation)
    measures = _measures(transcript, transcript.reasons)
    second = transcript.second_opinion
    if second:
        second, _ = bound_words(second)
    doubtful = [w.text.strip(".,!?;:¡¿\"'()") for w in transcript.doubtful_words]
    common = {"source": "whisper", "language": transcript.language,
              "language_probability": transcript.language_probability, "reliability": measures,
              "truncated": cut, "doubtful": doubtful, "doubtful_share": transcript.doubtful_share,
              "second_opinion": second or None}
    if transcript.reliable and not (doubtful and translation):
        words = WordCues(subtitle=text, translation=translation, transcript_reliable=True,
                         translation_reliable=True if translation else None, **common)
    elif not transcript.text_reliable:
        words = WordCues(subtitle=None, heard=text, transcript_reliable=False, **common)
    else:
        rough = _rough_translation(translation, transcript.translation_avg_logprob)
        words = WordCues(subtitle=text, translation=rough, transcript_reliable=True,
                         translation_reliable=False if rough else None, **common)
    if doubtful and transcript.text_reliable:  # said once the use of its English is known
        words.reliability["reasons"] = list(transcript.reasons) + [
            doubt_reason(doubtful, len(transcript.words), rough_translation(words.__dict__), bool(second))]
    return words


NO_WORDS_MADE_OUT = "speech was found, but Whisper made out no words in it"

# The transcript's measures shown as the words' ``reliability``, in this order; with no words made
# out only the no-speech probability means anything (the others measure words that are not there).
TRANSCRIPT_MEASURES = ("avg_logprob", "no_speech_prob", "compression_ratio", "language_probability",
                       "translation_avg_logprob")
NO_WORDS_MEASURES = ("no_speech_prob",)


def _measures(transcript: Transcript, reasons: list[str],
              names: tuple[str, ...] = TRANSCRIPT_MEASURES) -> dict[str, Any]:
    """The words' ``reliability``: the transcript's ``names`` measures, then ``reasons``."""
    return {name: getattr(transcript, name) for name in names} | {"reasons": reasons}


def doubt_reason(doubtful: list[str], words: int, translation: RoughUse | None = None,
                 second_opinion: bool = False) -> str:
    """The reason, in words, that a transcript is quoted with marked words; ``translation`` is how
    its rough English is used (``cues.rough_translation``), None when it has none."""
    listed = ", ".join(f"'{w}'" for w in doubtful[:5]) + (", ..." if len(doubtful) > 5 else "")
    if translation == "read":
        read = "the English translation is read at reduced weight and not quoted"
    elif translation == "shown only":
        read = "the English translation is shown only: not read, not quoted"
    elif second_opinion:
        read = "the words channel weighs both models' hearings equally"
    else:
        read = "not read by the words channel"
    return f"{len(doubtful)} of {words} words were heard with doubt ({listed}): shown as (word?), not quoted as said; {read}"


def _rough_translation(translation: str | None, logprob: float | None) -> str | None:
    """A failed translation the words channel may still read at reduced weight, else None."""
    from .encoders.speech import looping

    if not translation or not translation.strip() or looping(translation):
        return None
    if logprob is None or logprob < ROUGH_TRANSLATION_LOGPROB:
        return None
    return translation


def decide(face: Any, expressions: np.ndarray | None, found: np.ndarray | None, audio_track: bool,
           prosody: Any, words: WordCues) -> Cues:
    """Each channel's evidence, their fusion, and what was missing: the decision of the answer."""
    from .evidence.face import face_evidence
    from .evidence.fusion import fuse
    from .evidence.voice import voice_evidence
    from .evidence.own_words import guess_language, read_own_words, reads_as_english
    from .evidence.words import words_evidence

    english = words.channel_texts()  # one text, or two hearings of doubtful words
    if words.subtitle and not words.translation and not reads_as_english(words.subtitle, words.language):
        english = []  # the models read English: these words only through their own language's list
    heard_well = 1.0 - (words.doubtful_share or 0.0)  # the words count as much as the share heard well
    trust = (ROUGH_TRANSLATION_RELIABILITY if words.translation_reliable is False else 1.0) * heard_well
    # The language of the words: Whisper's (or the user's --language); for a given subtitle in an
    # unnamed language, a guess from its script and function words (it is what the person spoke,
    # nearly always): it picks the own-language list and the voice's syllable-rate and tone norms.
    language = words.language or guess_language(words.subtitle)
    own = read_own_words(words.subtitle, language) if words.subtitle else None
    evidence = {
        # A face whose mouth does not move while speech is heard is not shown to be the speaker's
        # (a photograph under a voice-over, cover art, a listener): ``evidence.face`` says why.
        "face": face_evidence(expressions, found, face.frames,
                              still_while_speaking=face.still and prosody is not None and prosody.speech_found),
        "voice": voice_evidence(prosody, audio_track, language=language),
        "words": words_evidence(english, reliability=trust, own=own, own_reliability=heard_well),
    }
    heard = evidence["voice"].detail if evidence["voice"].present else {}
    dims = heard.get("dimensions") or {}
    voice = voice_cues(audio_track, prosody, heard.get("arousal_word"), dims.get("effort"),
                       words_heard=words.source == "whisper" and bool(words.subtitle), flux=dims.get("flux"))
    missing = [name for name, absent in (
        ("picture", not face.picture),  # a sound-only recording
        ("face", not face.found),
        ("audio", not audio_track),
        ("speech", audio_track and not voice.speech_found),
        ("words", not words.subtitle),
        ("transcript", words.transcript_reliable is False),
    ) if absent]
    return Cues(face=face, voice=voice, words=words, evidence=evidence, fusion=fuse(evidence), missing=missing)
