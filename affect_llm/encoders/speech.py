"""What a person said, in which language, in English, and whether we may trust it.

:func:`transcribe` runs an ``openai-whisper`` model over 16 kHz mono audio:

1. **Language.** ``language=None`` detects it (``detect_language`` on the first 30 s); a given
   language skips detection. An English-only model (``tiny.en``) is always ``"en"``.
2. **Transcript** in that language, greedy (temperature 0, deterministic), with segment times.
3. **Translation** to English with Whisper's ``translate`` task when the language is not English
   (the text-emotion model downstream reads English only); a greedy translation that fails the
   checks is redone once with beam search (see :func:`_decode`).
4. **Reliability** of the whole transcript and of each segment, from what Whisper itself measures,
   with the thresholds Whisper's own ``transcribe`` uses to reject a decoding:

   ================================ ========================= ===================================
   measure                          unreliable when           why
   ================================ ========================= ===================================
   average token log-probability    < ``LOGPROB_THRESHOLD``   the decoder was guessing (-1.0)
                                    (-1.0)
   gzip compression ratio           > ``COMPRESSION_RATIO_    repetition loops, a hallucination
                                    THRESHOLD`` (2.4)         signature
   ``<|nospeech|>`` probability     > ``NO_SPEECH_THRESHOLD`` the model thinks there is no speech;
                                    (0.6)                     together with a low log-probability
                                                              the segment is dropped as silence
   language probability (detected)  < ``LANGUAGE_PROB_        we do not know which language it
                                    THRESHOLD`` (0.5)         is, so the words are a guess
   the English translation          log-probability < -1.0    the words model would read a guess
   ================================ ========================= ===================================

   ``reliable`` is False when any check fails, and ``reasons`` says which, in words. An
   unreliable transcript is for showing ("heard"), never for quoting as the person's words.
   ``text_reliable`` is the same verdict on the spoken-language words alone: Whisper base
   often hears Spanish well and translates it badly ("Me siento muy solo y triste" heard at
   -0.77, translated at -1.02), and words heard well may be quoted even when their English is
   doubtful (``perception.word_cues_from`` decides what that English may still be used for).

5. **Word confidence.** The whole-transcript checks pass on transcripts with one confidently
   misheard word ("This is completely acceptable." for "... unacceptable!"). Each segment keeps
   its words (:func:`group_words`) with the probability of their weakest token, from the same
   teacher-forced pass that gives the segment's log-probability (no extra decoding). A word
   under ``WORD_PROB_THRESHOLD`` is ``doubtful``: shown as heard, marked "(acceptable?)"
   (``affect_llm.doubt``), never quoted as said, and read by the words channel only as one of two
   hearings when a second model heard the speech (``cues.WordCues.channel_texts``). More than
   ``DOUBTFUL_SHARE_LIMIT`` of the words doubtful fails the transcript as a whole. The threshold
   comes from ``eval/word_confidence.py`` (table in ``eval/results/word_confidence.md``): on
   128 transcripts that pass the checks above (development corpus in three languages, RAVDESS),
   below 0.5 lies 0.67 of the misheard words and 0.06 of the rightly heard ones. Base's own
   probabilities miss a confident mistake; for English speech :func:`cross_check` adds a second
   model's opinion (``perception.PerceiveOptions.second_opinion``, tiny.en): words it hears
   differently are doubtful too, which flags 0.88 of the misheard English words (0.60 alone) and
   0.05 of the right ones, for about half of base's transcription time.

Clips of up to 30 s (nearly every emotion clip) cost one encoder pass for all three steps: the
encoder states are computed once and detection, transcription and translation decode from them.
Longer audio goes through ``whisper.transcribe`` window by window.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..doubt import CJK, aligned, hearing_tokens
from ..errors import InputError, ModelError
from ..media.prosody import frame_rms

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

    from .whisper_audio import WhisperAudio

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SECONDS_PER_TIMESTAMP = 0.02  # whisper's timestamp tokens step by 20 ms
LOGPROB_THRESHOLD = -1.0
COMPRESSION_RATIO_THRESHOLD = 2.4
NO_SPEECH_THRESHOLD = 0.6
LANGUAGE_PROB_THRESHOLD = 0.5
DEFAULT_SILENCE_RMS = 1e-3  # about -60 dBFS: below this we do not ask Whisper for words

WordProbability = Literal["min", "product"]
# A word below this probability is doubtful: shown as heard with doubt, never quoted as said, not
# read by the words channel (``affect_llm.doubt``). Chosen from eval/word_confidence.py.
WORD_PROB_THRESHOLD = 0.5
# More than this share of doubtful words: the transcript as a whole is not understood.
DOUBTFUL_SHARE_LIMIT = 0.5


@dataclass
class Word:
    """One spoken word as Whisper heard it: its text (with the punctuation around it, no leading
    space) and the probability of its tokens (see :func:`group_words`)."""

    text: str
    probability: float
    doubtful: bool = False  # shown as heard with doubt, never quoted as said (see ``judge``)
    disputed: bool = False  # a second model heard something else here (:func:`cross_check`)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "probability": round(self.probability, 4), "doubtful": self.doubtful,
                "disputed": self.disputed}


@dataclass
class Segment:
    """One stretch of speech with its own measures (None when not measured)."""

    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    words: list[Word] = field(default_factory=list)  # empty when not measured

    def __iter__(self):  # ``start, end, text = segment`` keeps working
        return iter((self.start, self.end, self.text))

    def marked_text(self) -> str:
        """``text`` with each doubtful word in the mark of ``affect_llm.doubt`` ("(acceptable?)")."""
        from ..doubt import mark

        out, pos = [], 0
        for w in self.words:
            at = self.text.find(w.text, pos)
            if at < 0:
                continue
            out.append(self.text[pos:at] + (mark(w.text) if w.doubtful else w.text))
            pos = at + len(w.text)
        return "".join(out) + self.text[pos:]

    def to_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items() if k != "words"}
        out["words"] = [w.to_dict() for w in self.words]
        return out


@dataclass
class Transcript:
    """What was said and how far to trust it.

    ``text`` is in the spoken ``language`` (ISO 639-1 code, e.g. ``"es"``; None when nothing was
    transcribed); ``translation`` is its English version, None when the speech is English.
    ``language_probability`` is None when the language was given or the model is English-only.
    ``reliable`` is False with ``reasons`` when a check of the module table failed.
    """

    text: str
    segments: list[Segment] = field(default_factory=list)
    words_per_second: float | None = None
    language: str | None = None
    language_probability: float | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    reliable: bool = False
    reasons: list[str] = field(default_factory=list)
    text_reliable: bool = False  # the words in ``language`` pass every check (the translation may not)
    translation: str | None = None
    translation_avg_logprob: float | None = None
    second_opinion: str | None = None  # what a second model heard (:func:`cross_check`), None if not asked

    @property
    def words(self) -> list[Word]:
        """Every word with its probability (empty when the decoding did not measure them)."""
        return [w for s in self.segments for w in s.words]

    @property
    def doubtful_words(self) -> list[Word]:
        return [w for w in self.words if w.doubtful]

    @property
    def doubtful_share(self) -> float | None:
        """Share of the words heard with doubt; None when words were not measured."""
        words = self.words
        return len(self.doubtful_words) / len(words) if words else None

    def marked_text(self) -> str:
        """``text`` with its doubtful words marked (``affect_llm.doubt``): the form to show and quote."""
        if not any(s.words for s in self.segments):
            return self.text
        return " ".join(s.marked_text() for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, numbers rounded."""
        out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()
               if k != "segments"}
        out["segments"] = [s.to_dict() for s in self.segments]
        return out


def normalize_language(language: str | None) -> str | None:
    """``"es"``, ``"Spanish"``, ``"spanish"`` -> ``"es"``; None/``"auto"``/``"detect"`` -> None.

    Raises ``InputError`` naming a few codes for an unknown language.
    """
    if language is None:
        return None
    code = language.strip().lower()
    if code in ("", "auto", "detect"):
        return None
    from whisper.tokenizer import LANGUAGES, TO_LANGUAGE_CODE

    if code in LANGUAGES:
        return code
    if code in TO_LANGUAGE_CODE:
        return TO_LANGUAGE_CODE[code]
    if code.split("-")[0] in LANGUAGES:  # "en-US", "zh-CN"
        return code.split("-")[0]
    raise InputError(f"unknown language {language!r}: pass an ISO 639-1 code Whisper knows "
                     f"(en, es, zh, fr, de, ja, ...) or leave it out to detect the language")




def count_words(text: str) -> int:
    """Words separated by spaces, with each CJK character counted as one (Chinese and Japanese
    write no spaces; a character is about a syllable, the unit of a speaking rate)."""
    return len(CJK.sub(" ", text).split()) + len(CJK.findall(text))


_HAS_WORD_CHAR = re.compile(r"[^\W_]")


# Written without spaces between words: every unit is a word (Whisper's own word timing splits
# these languages on characters too).
SPACE_FREE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})


def group_words(units: list[tuple[str, float]], combine: WordProbability = "min", *,
                space_free: bool = False) -> list[Word]:
    """Whisper's tokens, as ``(text, log-probability)`` units, grouped into words.

    Whisper's byte-level BPE starts a word's first token with a space (" un" "accept" "able"), so
    a unit starting with a space starts a word and one without continues it. Languages written
    without spaces (Chinese, Japanese) start a word at every CJK unit, as :func:`count_words`
    counts them. Punctuation-only units join the neighbouring word's text ("¡" the next,
    "!" the last) but not its probability: Whisper is often unsure between "." and "!", which
    says nothing about whether the word was heard. ``units`` must be whole characters (a CJK
    character split over byte tokens is one unit with the tokens' summed log-probability; see
    :func:`token_units`).

    ``space_free`` (a language of ``SPACE_FREE_LANGUAGES``) makes every unit a word.

    A word's probability combines its units' probabilities (``combine``): ``"min"`` (default)
    is the weakest token, so a word is as doubtful as its most doubtful part, and a word spelled
    in many tokens is not penalised for its length as the product would be (measured in
    ``eval/word_confidence.py``).
    """
    built: list[tuple[str, list[float]]] = []
    pending = ""  # opening punctuation waiting for its word ("¡", "¿", a quote)
    last_cjk = False
    for text, logprob in units:
        stripped = text.strip()
        if not stripped:
            continue
        if not _HAS_WORD_CHAR.search(stripped):
            if built and not text[:1].isspace() and not pending:
                built[-1] = (built[-1][0] + stripped, built[-1][1])
            else:
                pending += stripped
            continue
        cjk = bool(CJK.search(stripped))
        if not built or pending or text[:1].isspace() or cjk or last_cjk or space_free:
            built.append((pending + stripped, [float(logprob)]))
        else:
            built[-1] = (built[-1][0] + stripped, built[-1][1] + [float(logprob)])
        pending, last_cjk = "", cjk
    if pending and built:
        built[-1] = (built[-1][0] + pending, built[-1][1])
    return [Word(text, _combine(logprobs, combine)) for text, logprobs in built]


def _combine(logprobs: list[float], how: WordProbability) -> float:
    values = np.asarray(logprobs, dtype=np.float64)
    return float(np.exp(values.min() if how == "min" else values.sum()))


def token_units(tokenizer: Any, tokens: list[int], logprobs: np.ndarray) -> list[tuple[str, float]]:
    """Text tokens as whole-character units with their summed log-probabilities (timestamps and
    other special tokens dropped): the input of :func:`group_words`."""
    pairs = [(t, float(lp)) for t, lp in zip(tokens, logprobs) if t < tokenizer.eot]
    if not pairs:
        return []
    texts, groups = tokenizer.split_tokens_on_unicode([t for t, _ in pairs])
    out, i = [], 0
    for text, group in zip(texts, groups):
        out.append((text, sum(lp for _, lp in pairs[i:i + len(group)])))
        i += len(group)
    return out


def words_per_second(segments: list[Segment]) -> float | None:
    words = sum(count_words(s.text) for s in segments)
    seconds = sum(max(0.0, s.end - s.start) for s in segments)
    if words == 0 or seconds <= 0:
        return None
    return words / seconds


def compression_ratio(text: str) -> float:
    from whisper.utils import compression_ratio as ratio

    return float(ratio(text)) if text else 0.0


def looping(text: str, n: int = 3, times: int = 3) -> bool:
    """A decoding loop, the one Whisper falls into on audio it cannot follow: a word ``n``-gram
    said ``times`` times or more anywhere ("I'm tired, I'm tired, I'm tired, I'm tired"), or a
    phrase of 2 to ``n`` words said ``times`` times back to back ("I'm tired, I'm tired, I'm
    tired" holds each 3-gram only twice). On a short text the compression ratio stays low (gzip's
    own overhead), so loops are counted directly."""
    words = [w.strip(".,!?;:¡¿\"'").lower() for w in text.split()]
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if any(grams.count(g) >= times for g in set(grams)):
        return True
    return any(words[i:i + k] * times == words[i:i + k * times]
               for k in range(2, n + 1) for i in range(len(words) - k * times + 1))


def judge(tr: Transcript, language_given: bool) -> Transcript:
    """Fill ``reliable`` and ``reasons`` from the measures (the module table); returns ``tr``."""
    reasons: list[str] = []
    if not tr.text.strip():
        reasons.append("no words were recognised")
    if tr.avg_logprob is not None and tr.avg_logprob < LOGPROB_THRESHOLD:
        reasons.append(f"low confidence in the words (average log-probability {tr.avg_logprob:.2f} "
                       f"< {LOGPROB_THRESHOLD})")
    if tr.compression_ratio is not None and tr.compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        reasons.append(f"repetitive text, a hallucination sign (compression ratio "
                       f"{tr.compression_ratio:.2f} > {COMPRESSION_RATIO_THRESHOLD})")
    if tr.no_speech_prob is not None and tr.no_speech_prob > NO_SPEECH_THRESHOLD:
        reasons.append(f"the model doubts this is speech (no-speech probability "
                       f"{tr.no_speech_prob:.2f} > {NO_SPEECH_THRESHOLD})")
    if (not language_given and tr.language_probability is not None
            and tr.language_probability < LANGUAGE_PROB_THRESHOLD):
        reasons.append(f"the language is uncertain ({tr.language} at probability "
                       f"{tr.language_probability:.2f} < {LANGUAGE_PROB_THRESHOLD})")
    words = tr.words
    for w in words:
        w.doubtful = w.probability < WORD_PROB_THRESHOLD or w.disputed
    doubtful = [w.text for w in words if w.doubtful]
    if words and len(doubtful) > DOUBTFUL_SHARE_LIMIT * len(words):
        reasons.append(f"most words were heard with doubt ({len(doubtful)} of {len(words)} below "
                       f"probability {WORD_PROB_THRESHOLD})")
    text_reasons = list(reasons)
    if looping(tr.text) or compression_ratio(tr.text) > COMPRESSION_RATIO_THRESHOLD:
        text_reasons.append("the words repeat themselves, a decoding loop")
    if language_given and text_reasons and tr.language:  # a wrong language makes any speech unintelligible
        from ..languages import name_of

        text_reasons.append(f"it was heard as {name_of(tr.language)} because that language was given: "
                            f"if the speech is in another language, let it be detected")
    reasons = list(text_reasons)
    if tr.translation is not None and not tr.translation.strip():
        reasons.append("the English translation is empty")
    translation = tr.translation or ""
    if looping(translation) or compression_ratio(translation) > COMPRESSION_RATIO_THRESHOLD:
        reasons.append("the English translation repeats itself, a decoding loop")
    if tr.translation_avg_logprob is not None and tr.translation_avg_logprob < LOGPROB_THRESHOLD:
        reasons.append(f"low confidence in the English translation (average log-probability "
                       f"{tr.translation_avg_logprob:.2f} < {LOGPROB_THRESHOLD})")
    tr.reasons = reasons
    tr.reliable = not reasons
    tr.text_reliable = not text_reasons
    return tr


def disputed(words: list[str], other: str) -> list[bool]:
    """Per word of ``words``: True when the transcript ``other`` does not hold it at that place
    (``doubt.aligned``: after case and punctuation; a word with no letters is never disputed).
    Each CJK character of ``other`` is a word of its own, as :func:`group_words` splits Chinese."""
    out = [False] * len(words)
    for tag, ims, _ in aligned(words, hearing_tokens(other)):
        if tag != "equal":
            for i in ims:
                out[i] = True
    return out


def cross_check(tr: Transcript, other: Transcript) -> Transcript:
    """Mark the words of ``tr`` that a second model's transcript ``other`` of the same audio does
    not hold as disputed (so doubtful), and judge ``tr`` again; returns ``tr``.

    Why: Whisper base hears "completely acceptable" at probability 0.73 where tiny.en hears
    "unacceptable"; two models rarely make the same mistake, so where they disagree neither is
    quoted as said (figures in ``eval/results/word_confidence.md``).
    """
    words = tr.words
    if not words:
        return tr
    tr.second_opinion = other.text
    for w, d in zip(words, disputed([w.text for w in words], other.text)):
        w.disputed = d
    return judge(tr, language_given=tr.language_probability is None)


def _as_mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2 and 1 in audio.shape:
        audio = audio.reshape(-1)
    if audio.ndim != 1:
        raise InputError(f"transcribe expects mono audio [samples], got shape {audio.shape}")
    return audio


LEVEL_FRAME = 400  # 25 ms at 16 kHz


def loud_level(audio: np.ndarray) -> float:
    """RMS of the loudest frames (95th percentile of 25 ms frames): how loud the audio gets.

    Why not the whole clip's RMS: a quiet recording with silence around the words (RAVDESS puts
    about a second before and after) fell under the silence gate while it held speech; 1.4 % of
    a RAVDESS sample were never transcribed, and their answers said no words were heard. The
    loudest frames of those clips are at least 1.5e-3.
    """
    if not audio.size:
        return 0.0
    x = np.asarray(audio)
    # back-to-back whole frames; a clip shorter than one frame is one frame of its own length
    # (not zero-padded: padding would lower the level of a short clip)
    return float(np.percentile(frame_rms(x, min(LEVEL_FRAME, x.size), LEVEL_FRAME), 95))


def transcribe(wa: WhisperAudio, audio: np.ndarray, language: str | None = None, *,
               translate: bool = True, silence_rms: float = DEFAULT_SILENCE_RMS) -> Transcript:
    """Detect the language (unless given), transcribe, translate to English, judge; see the module doc.

    Near-silent audio (its loudest frames under ``silence_rms``: :func:`loud_level`) is not decoded:
    an empty, unreliable transcript.
    """
    import torch
    import whisper

    audio = _as_mono(audio)
    language = normalize_language(language)
    if wa.n_positions * 2 != whisper.audio.N_FRAMES:
        raise ModelError(f"{wa.source}: transcription needs 30 s windows (n_audio_ctx 1500), "
                         f"this model has {wa.n_positions}")
    if not _audible(audio, silence_rms):
        return Transcript("", language=language, reasons=["the audio is near-silent"])
    if not wa.model.is_multilingual and language not in (None, "en"):
        raise ModelError(f"{wa.encoder_id} is English-only and cannot transcribe {language!r}: "
                         f"use the multilingual 'base' model")
    given = language is not None
    with wa._transcribe_lock, torch.no_grad():
        features, language, probability = _encode_and_detect(wa, audio, language)
        if audio.size <= wa.n_samples:
            tr = _decode_window(wa, features, language, audio.size / SAMPLE_RATE)
            if language != "en" and translate and tr.text:
                tr.translation, tr.translation_avg_logprob = _translate_window(
                    wa, features, language, audio.size / SAMPLE_RATE)
        else:
            tr = _transcribe_long(wa, audio, language, "transcribe")
            if language != "en" and translate and tr.text:
                long_tr = _transcribe_long(wa, audio, language, "translate")
                tr.translation, tr.translation_avg_logprob = long_tr.text, long_tr.avg_logprob
    tr.language, tr.language_probability = language, probability
    return judge(tr, given)


def translate(wa: WhisperAudio, audio: np.ndarray, said: str, language: str | None = None, *,
              silence_rms: float = DEFAULT_SILENCE_RMS) -> Transcript | None:
    """The English of speech whose words are given (``said``, in ``language``), when the speech
    says them: a ``Transcript`` of ``said`` with ``avg_logprob`` how likely Whisper finds those
    words in the audio (teacher-forced, one decoder pass), and ``translation`` the translate
    task's English; None when there is nothing to read: near-silent audio, English speech, an
    English-only model, no English decoded, or speech that does not say the given words (their
    log-probability under ``LOGPROB_THRESHOLD``, Whisper's own bar for a decoding it would
    reject). Speech over one 30 s window is checked otherwise (:func:`_translate_long`).

    Why: a subtitle given in another language (``--subtitle``, a sidecar) wins over Whisper as
    what was said, yet the words channel's models read English. Without this its sentences were
    read only through the own-language word list (most feeling is not said in feeling words), so
    giving a clip its right subtitle made the words channel read *less* than Whisper's own
    hearing would have. Why the check: a translation of speech Whisper cannot hear, or of words
    other than the given ones, is invented ("Thank you very much." beside a Spanish subtitle
    the speech did not say, at -3.7; synthetic Mandarin that Whisper cannot hear, at -1.4 to
    -3.9, gave "I will make a toast to the king of the world."), while speech saying its
    subtitle scores -0.5 to -0.9 (``eval/results/devcorpus_subtitled.md``).
    """
    import torch

    audio = _as_mono(audio)
    language = normalize_language(language)
    if (not wa.model.is_multilingual or language == "en" or not said.strip()
            or not _audible(audio, silence_rms)):
        return None
    duration = audio.size / SAMPLE_RATE
    with wa._transcribe_lock, torch.no_grad():
        features, language, probability = _encode_and_detect(wa, audio, language)
        if language == "en":
            return None
        if audio.size > wa.n_samples:
            return _translate_long(wa, audio, said.strip(), language, probability)
        tokenizer = _tokenizer(wa, language, "transcribe")
        prompt, tokens = list(tokenizer.sot_sequence_including_notimestamps), tokenizer.encode(" " + said.strip())
        if len(prompt) + len(tokens) > wa.model.dims.n_text_ctx:  # more words than 30 s of speech holds
            return None
        heard = float(np.mean(_token_logprobs(wa, features, prompt, tokens)))
        if heard < LOGPROB_THRESHOLD:
            log.debug("the speech does not say the given words (log-probability %.2f): no translation", heard)
            return None
        text, logprob = _translate_window(wa, features, language, duration)
    if not text:
        return None
    return Transcript(said.strip(), language=language, language_probability=probability, avg_logprob=heard,
                      translation=text, translation_avg_logprob=logprob)


# Speech over one 30 s window says its given words when Whisper, hearing it window by window,
# heard at least this share of them, in order (:func:`said_share`). Whisper base on 40-47 s of
# espeak-ng Spanish, German and Italian (two texts each): its own text 0.78-0.95, the other text
# of the same language 0.04-0.11 (only the commonest words). Real speech is heard worse than
# espeak, so the bar sits nearer the wrong texts than the right ones.
SAID_HEARD_SHARE = 0.4


def said_share(said: str, heard: str) -> float:
    """Share of the words of ``said`` (each CJK character a word) that ``heard`` holds in the same
    order (``doubt.aligned``): 1 when Whisper heard every given word, near 0 for other words."""
    ops = aligned(hearing_tokens(said), hearing_tokens(heard))
    total = sum(len(mine) for _, mine, _ in ops)
    return sum(len(mine) for tag, mine, _ in ops if tag == "equal") / total if total else 0.0


def _translate_long(wa: WhisperAudio, audio: np.ndarray, said: str, language: str,
                    probability: float | None) -> Transcript | None:
    """:func:`translate` for speech over one 30 s window (call under the lock): the given words
    cannot be scored in one teacher-forced pass there, so Whisper hears the speech itself and
    must have heard at least ``SAID_HEARD_SHARE`` of them (:func:`said_share`); then the
    translate task's English, window by window. Two long decodings: only for long clips with
    given words in another language. ``avg_logprob`` is that of Whisper's own hearing."""
    heard = _transcribe_long(wa, audio, language, "transcribe")
    share = said_share(said, heard.text)
    if share < SAID_HEARD_SHARE:
        log.debug("the speech does not say the given words (%.2f of them heard): no translation", share)
        return None
    english = _transcribe_long(wa, audio, language, "translate")
    if not english.text:
        return None
    return Transcript(said, language=language, language_probability=probability,
                      avg_logprob=heard.avg_logprob, translation=english.text,
                      translation_avg_logprob=english.avg_logprob)


def _encode(wa: WhisperAudio, audio: np.ndarray) -> torch.Tensor:
    """Encoder states of up to 30 s of mono 16 kHz ``audio``: detection, transcription and
    translation all decode from them (call under ``wa._transcribe_lock`` and ``no_grad``)."""
    import torch

    return wa.model.encoder(wa.log_mel(torch.from_numpy(audio)[None]))


def _audible(audio: np.ndarray, silence_rms: float) -> bool:
    """Whether ``audio`` is loud enough to ask Whisper for words (:func:`loud_level`)."""
    rms = loud_level(audio)
    if np.isfinite(rms) and rms >= silence_rms:
        return True
    log.debug("loud-frame RMS %.2e below %.1e: treated as silence", rms, silence_rms)
    return False


def _encode_and_detect(wa: WhisperAudio, audio: np.ndarray,
                       language: str | None) -> tuple[torch.Tensor | None, str, float | None]:
    """Encoder states of ``audio`` (:func:`_encode`) and its language with the probability Whisper
    gives it: ``language`` when given (probability None), ``"en"`` for an English-only model,
    else detected from the same states (call under ``wa._transcribe_lock`` and ``no_grad``).

    Audio over one 30 s window is decoded window by window from states of its own, so there the
    first window is encoded only to detect the language, and not at all when it is known: the
    states are then None."""
    known = language if wa.model.is_multilingual else "en"
    if known is not None and audio.size > wa.n_samples:
        return None, known, None
    features = _encode(wa, audio)
    if known is None:
        return (features, *_detect(wa, features))
    return features, known, None


def _tokenizer(wa: WhisperAudio, language: str | None, task: str) -> Any:
    from whisper.tokenizer import get_tokenizer

    return get_tokenizer(wa.model.is_multilingual, num_languages=wa.model.num_languages,
                         language=language, task=task)


def _detect(wa: WhisperAudio, features: torch.Tensor) -> tuple[str, float]:
    _, probs = wa.model.detect_language(features, _tokenizer(wa, None, "transcribe"))
    language, probability = max(probs[0].items(), key=lambda kv: kv[1])
    log.debug("detected language %s (p=%.2f)", language, probability)
    return language, float(probability)


def _decode(wa: WhisperAudio, features: torch.Tensor, language: str, task: str, timestamps: bool,
            duration: float, retry: bool) -> Any:
    """Greedy decoding; with ``retry``, when it fails Whisper's own thresholds (log-probability,
    compression ratio), once more with beam search (5 beams, still deterministic), keeping the
    likelier one.

    Why: Whisper's ``transcribe`` retries failed windows too (with sampling, which is random).
    Beam search fixed most failed translations of the development clips ("I can't believe that
    you lied to me. I'm very angry." where greedy said "... I'm very much in love") at ~2.5x the
    decoding time, paid only by the doubtful windows. Only translations are retried: on misheard
    audio a retried *transcript* came out fluent and wrong ("What goes to the wolf" for synthetic
    Mandarin) and passed the checks, so a transcript is judged on its greedy decoding, while a
    translation failing after a well-heard transcript is a search problem. ``sample_len`` grows with the clip (20 tokens
    a second, far above any speaking rate) so a repetition loop on a short clip stops early.
    """
    import whisper

    sample_len = int(min(wa.model.dims.n_text_ctx // 2, 20 + 20 * duration))
    options = {"task": task, "language": language, "temperature": 0.0, "fp16": False,
               "without_timestamps": not timestamps, "sample_len": sample_len}
    result = whisper.decode(wa.model, features, whisper.DecodingOptions(**options))[0]
    if result.avg_logprob >= LOGPROB_THRESHOLD and result.compression_ratio <= COMPRESSION_RATIO_THRESHOLD:
        return result
    if not retry or result.no_speech_prob > NO_SPEECH_THRESHOLD:  # silence: a search invents words
        return result
    beam = whisper.decode(wa.model, features, whisper.DecodingOptions(**options, beam_size=5))[0]
    log.debug("%s: greedy %.2f %r, beam %.2f %r", task, result.avg_logprob, result.text,
              beam.avg_logprob, beam.text)
    if beam.compression_ratio <= COMPRESSION_RATIO_THRESHOLD and (
            beam.avg_logprob > result.avg_logprob or result.compression_ratio > COMPRESSION_RATIO_THRESHOLD):
        return beam
    return result


def _decode_window(wa: WhisperAudio, features: torch.Tensor, language: str,
                   duration: float) -> Transcript:
    """Transcribe one ≤30 s window from its encoder states: segments from the timestamp tokens,
    each with the log-probability of its own tokens (teacher-forced, one decoder pass)."""

    result = _decode(wa, features, language, "transcribe", True, duration, retry=False)
    tokenizer = _tokenizer(wa, language, "transcribe")
    spans = _split_segments(result.tokens, tokenizer, duration)
    token_logprobs = _token_logprobs(wa, features, list(tokenizer.sot_sequence), result.tokens)
    segments = []
    for start, end, lo, hi in spans:
        text = tokenizer.decode([t for t in result.tokens[lo:hi] if t < tokenizer.timestamp_begin]).strip()
        if not text:
            continue
        words = group_words(token_units(tokenizer, result.tokens[lo:hi], token_logprobs[lo:hi]),
                            space_free=language in SPACE_FREE_LANGUAGES)
        segments.append(Segment(start, end, text, float(np.mean(token_logprobs[lo:hi])),
                                float(result.no_speech_prob), compression_ratio(text), words))
    silence = (result.no_speech_prob > NO_SPEECH_THRESHOLD and result.avg_logprob < LOGPROB_THRESHOLD)
    if silence:  # whisper's own rule for "this window is silence": no words
        log.debug("dropping %r as silence (no_speech %.2f, logprob %.2f)", result.text,
                  result.no_speech_prob, result.avg_logprob)
        segments = []
    text = " ".join(s.text for s in segments)
    return Transcript(text, segments, words_per_second(segments),
                      avg_logprob=float(result.avg_logprob), no_speech_prob=float(result.no_speech_prob),
                      compression_ratio=compression_ratio(text) if text else None)


def _translate_window(wa: WhisperAudio, features: torch.Tensor, language: str,
                      duration: float) -> tuple[str, float]:
    result = _decode(wa, features, language, "translate", False, duration, retry=True)
    return result.text.strip(), float(result.avg_logprob)


def _split_segments(tokens: list[int], tokenizer: Any, duration: float) -> list[tuple[float, float, int, int]]:
    """``<|t0|> text <|t1|><|t1|> text <|t2|>`` -> ``(start, end, first_index, end_index)`` spans.

    A span's tokens include its closing timestamp; text left open at the end runs to ``duration``.
    """
    begin = tokenizer.timestamp_begin
    spans: list[tuple[float, float, int, int]] = []
    start, lo, has_text = None, 0, False
    for i, tok in enumerate(tokens):
        if tok < begin:
            if start is None:
                start, lo = 0.0 if not spans else spans[-1][1], i
            has_text = True
            continue
        time = (tok - begin) * SECONDS_PER_TIMESTAMP
        if start is not None and has_text:
            spans.append((start, max(start, min(time, duration)), lo, i + 1))
            start, has_text = None, False
        else:
            start, lo = time, i
    if start is not None and has_text:
        spans.append((start, max(start, duration), lo, len(tokens)))
    return spans


def _token_logprobs(wa: WhisperAudio, features: torch.Tensor, prompt: list[int],
                    tokens: list[int]) -> np.ndarray:
    """Log-probability the model gives each of ``tokens`` after ``prompt`` (one decoder pass)."""
    import torch

    if not tokens:
        return np.zeros(0, np.float32)
    ids = torch.tensor([prompt + list(tokens)], device=features.device)
    logits = wa.model.decoder(ids, features)[0, len(prompt) - 1:-1].float()
    logp = torch.log_softmax(logits, dim=-1)
    return logp.gather(1, ids[0, len(prompt):, None])[:, 0].cpu().numpy()


def _transcribe_long(wa: WhisperAudio, audio: np.ndarray, language: str, task: str) -> Transcript:
    """Audio over 30 s: ``whisper.transcribe`` seeks window by window; measures are token-weighted.

    The transcript's words come with Whisper's own word probabilities (``word_timestamps``: one
    more forward pass per window for the alignment). Those are the *mean* of a word's tokens, not
    the weakest token of :func:`group_words`; the two differ only for words of several tokens.
    """
    import whisper

    words_wanted = task == "transcribe"
    result = whisper.transcribe(wa.model, audio, language=language, task=task, temperature=0.0,
                                fp16=False, condition_on_previous_text=False, verbose=None,
                                no_speech_threshold=NO_SPEECH_THRESHOLD,
                                logprob_threshold=LOGPROB_THRESHOLD, word_timestamps=words_wanted)
    segments, weights = [], []
    for seg in result["segments"]:
        text = seg["text"].strip()
        if text:
            words = [Word(w["word"].strip(), float(w["probability"])) for w in seg.get("words") or []
                     if w["word"].strip()]
            segments.append(Segment(float(seg["start"]), float(seg["end"]), text, float(seg["avg_logprob"]),
                                    float(seg["no_speech_prob"]), compression_ratio(text), words))
            weights.append(max(1, len(seg.get("tokens", ()))))
    text = " ".join(s.text for s in segments)
    if not segments:
        return Transcript("", avg_logprob=None, no_speech_prob=None)

    def mean(values: list[float]) -> float:
        return float(np.average(values, weights=weights))

    return Transcript(text, segments, words_per_second(segments),
                      avg_logprob=mean([s.avg_logprob for s in segments]),
                      no_speech_prob=mean([s.no_speech_prob for s in segments]),
                      compression_ratio=compression_ratio(text))
