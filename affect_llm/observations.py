"""Sentences rendered from the cues record: what was measured, said plainly, in the EMER order.

These are the facts of an explanation. The default model starts each part of its answer with
them and lets the LLM write only the interpretive rest; when what the LLM writes fails the
faithfulness checker twice, the rendered sentence stands alone (``closing``). They read the
JSON-able cues record (``Cues.to_dict()``), the same record the checker reads, so the facts and
their check cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from .emotions import EXPRESSION_TO_LABEL
from .evidence import ENGLISH_READING

# How a facial-expression class reads in a sentence: its label (one home: ``emotions``).
LOOK = EXPRESSION_TO_LABEL
SECTIONS = ("visual", "acoustic", "verbal", "inference")


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def visual(cues: dict[str, Any]) -> str:
    """"In the video, a face is seen in 7 of 8 sampled frames and looks mostly happy, staying so
    throughout". The frame count is said of the face, not of the expression: "looks mostly sad
    in 8 of 8 frames, changing from angry ..." read as sad in every frame."""
    from .cues import which_face

    face = cues["face"]
    if face.get("frames") == 0:
        return "Visually, there is nothing to see, since the recording is sound only, so the facial expression gives no clue"
    if not face.get("found"):
        return "In the video, no face can be seen clearly, so the facial expression gives no clue"
    dom, n, total = LOOK[face["dominant"]], face["frames_with_face"], face["frames"]
    first, second = face.get("first_half"), face.get("second_half")
    if first and second and first != second:
        change = f", changing from {LOOK[first]} in the first half to {LOOK[second]} in the second"
    elif first and second:
        change = " and stays so throughout" if n == total else ", staying so throughout"
    else:  # too few frames with the face to tell how it goes (``cues.MIN_HALF_FRAMES``)
        change = ""
    change += _unclear_face(cues)
    which = which_face(face.get("people"), face.get("chosen_by"))
    if which:  # "In the video, of the 2 faces seen, the one whose mouth moves ... looks mostly angry"
        seen = f" in {n} of {total} sampled frames" if n < total else f" across the {total} sampled frames"
        return f"In the video, {which} looks mostly {dom}{seen}{change}"
    if n == total:
        return f"In the video, the face looks mostly {dom} across the {total} sampled frames{change}"
    return f"In the video, a face is seen in {n} of {total} sampled frames and looks mostly {dom}{change}"


def _unclear_face(cues: dict[str, Any]) -> str:
    """", though not clearly" when the face's scores favour no label clearly (``fusion.clear_label``),
    else "". Why: the look is the expression model's top class over the frames, which any face
    has; on real video a face reading "mostly sad" at 0.23 beside surprise and neutral at 0.18 was
    set aside by the fusion, and "the face looks mostly sad ... feels disgusted, since the tone
    of the voice hints at disgust" left the reader to wonder why the face did not count."""
    from .evidence.fusion import clear_label_of

    scores = ((cues.get("evidence") or {}).get("face") or {}).get("scores")
    if not scores or clear_label_of(scores) is not None:
        return ""
    pair = _pair(cues, "face")
    return f", though it looks nearly as {pair[1]}" if pair else ", though not clearly"


def _pair(cues: dict[str, Any], modality: str) -> tuple[str, str] | None:
    """The two unpleasant labels a channel shows without saying which (``fusion.pair_shown``,
    rule 4b), the one the decision took first; None otherwise. Why: "These words suggest the person
    is angry" of words read angry 0.36, sad 0.35 claims more than they say."""
    from .evidence.fusion import pair_shown

    return pair_shown(((cues.get("evidence") or {}).get(modality) or {}).get("scores") or {},
                      ((cues.get("fusion") or {}).get("expressed") or {}).get(modality))


def acoustic(cues: dict[str, Any]) -> str:
    """"In the audio, the voice is loud, with low, steady pitch, falling intonation and fast speech"."""
    from .cues import VoiceCues

    voice = cues["voice"]
    if not voice.get("audio_track"):
        return "In the audio, there is no audio track, so the tone of voice gives no clue"
    if not voice.get("speech_found"):
        return "In the audio, there is no clear speech, so the tone of voice gives no clue"
    if voice.get("tone_measured") is False:
        return f"In the audio, speech can be heard, but {VoiceCues.PITCH_UNTRACKED}, so the tone of voice gives no clue"
    phrases = list(voice.get("phrases") or [])
    loud = next((p for p in phrases if p.endswith(" voice")), None)
    rest = [p for p in phrases if p is not loud]  # loudness is vocal effort (cues.loudness_from_effort)
    # A briefly measured voice: what was measured is said of that stretch, after the clause that
    # says how short it was ("In the audio, only 0.2 s of speech was clear enough to measure:
    # there the voice is loud, with high pitch"); its phrases hold no pace or pauses.
    brief = VoiceCues.briefly_measured(voice)
    lead = f"In the audio, {brief}: there" if brief else "In the audio,"
    level = loud.removesuffix(" voice") if loud else None
    level = "of moderate loudness" if level == "moderate" else level  # "the voice is moderate" says not what
    head = f"{lead} the voice is {level}" if level else f"{lead} the speaker talks"
    return head + (f", with {_join(rest)}" if rest else "")


def verbal(cues: dict[str, Any]) -> str:
    """The words, quoted only when they are what the person said (given text or a reliable transcript);
    a word heard with doubt stays in its mark ("completely (acceptable?)"), and the sentence says so."""
    words = cues["words"]
    if words.get("subtitle"):
        doubtful = words.get("doubtful") or []  # shown in the mark of affect_llm.doubt, never as said
        unclear = ("" if not doubtful else ", with the unclear word marked by a question mark" if len(doubtful) == 1
                   else ", with the unclear words marked by question marks")
        # A transcript is the speech model's hearing, not a subtitle someone gave: say which, so a
        # reader knows a word may be misheard even where nothing is marked.
        source = "automatic transcript" if words.get("source") == "whisper" else "subtitle"
        quote = f"In the text, the {source} reads{unclear}: \"{words['subtitle']}\""
        if words.get("translation") and words.get("translation_reliable") is not False:
            # Named as an automatic rendering: Whisper translates confidently and sometimes
            # wrongly (EmoDB's "Der Lappen liegt auf dem Eisschrank" came out "The bottle is on
            # the ice cream!"), and "in English:" alone reads as what the words mean.
            quote += f" (translated automatically into English: \"{words['translation']}\")"
        return _full_stop(quote) + _second_hearing(words)
    if words.get("heard"):
        return ("In the text, speech can be heard, but it could not be understood reliably, "
                "so the words give no clue")
    if words.get("transcript_reliable") is False:  # speech, but no words made out: not silence
        return "In the text, speech can be heard, but no words could be made out, so the words give no clue"
    return "In the text, no words were spoken or given"


def _full_stop(quote: str) -> str:
    """The quote sentence ended: a full stop after a closing parenthesis, or after a closing
    quotation mark whose words end without one ("人们保留资格", "La forza trova il passo e rosso").
    Without it the next sentence ran on: '... reads: "人们保留资格" Read through ...'. The
    quoted words themselves are never changed: they are checked against the transcript."""
    ended = quote.endswith('"') and quote[:-1].endswith(_TERMINAL)  # a doubt mark "(word?)" ends no sentence
    return quote if ended else quote + "."


_TERMINAL = tuple(".!?\u2026\u3002\uff01\uff1f")  # . ! ? ... and the full-width 。！？


def _second_hearing(words: dict[str, Any]) -> str:
    """' A second transcription model heard "unacceptable" in place of "(acceptable?)".' or "": what the
    other hearing of the marked words was (``doubt.second_hearings``), so the reader knows what the
    words channel weighed besides the mark. Quoted as *that model's* hearing: the checker admits
    such a quote only from the record's ``second_opinion`` and beside "second transcription model"."""
    from .doubt import second_hearings

    # The same pair once: "(I'm?) so happy ... (I'm?) furious" gave '"I am" in place of "(I'm?)"' twice.
    pairs = list(dict.fromkeys(second_hearings(words.get("subtitle"), words.get("second_opinion"))))[:MAX_SECOND_HEARINGS]
    if not pairs:
        return ""
    return " A second transcription model heard " + _join([f'"{b}" in place of "{a}"' for a, b in pairs]) + "."


MAX_SECOND_HEARINGS = 3


def decision(cues: dict[str, Any]) -> str:
    """"Based on these clues, the person most likely feels angry, and possibly sad, because the
    voice and the words point to anger"."""
    fusion = cues.get("fusion") or {}
    emotions = fusion.get("emotions") or cues.get("candidates") or ["neutral"]
    if emotions[0] == "neutral":
        head = "Based on these clues, the person most likely shows no clear emotion and seems neutral"
    else:
        also = f", and possibly {_join(emotions[1:])}" if len(emotions) > 1 else ""
        head = f"Based on these clues, the person most likely feels {emotions[0]}{also}"
    summary = fusion.get("summary")
    if not summary or fusion.get("conflicts"):  # a conflict gets a sentence of its own
        return head
    if summary.startswith("only "):
        summary = summary.removeprefix("only ")
    return f"{head}, since {summary}"


def conflict(cues: dict[str, Any]) -> str:
    """"The clues conflict: the face points to happiness, but the words point to anger." or ""."""
    fusion = cues.get("fusion") or {}
    if not fusion.get("conflicts"):
        return ""
    return f"The clues conflict: {fusion.get('summary', '')}."


def closing(section: str, cues: dict[str, Any]) -> str:
    """The whole rendered sentence of a section: the fallback when generation fails the checker."""
    core = RENDER[section](cues)
    label = reading(section, cues)
    if section == "acoustic":  # the voice shows arousal, not one of the labels (evidence.fusion, rule 5)
        return core + (f", which suggests {_arousal_state(label)}" if label else "") + "."
    if section == "verbal" and cues["words"].get("subtitle"):
        from .cues import rough_translation

        words = (cues.get("evidence") or {}).get("words") or {}
        if not words.get("reliability", 1.0):
            if rough_translation(cues["words"]) == "shown only":  # English exists, too uncertain to read
                return core + (" The automatic English translation of these words did not pass its checks,"
                               " so it is not read, and they give no clue.")
            return core + " The meaning of these words could not be read, so they give no clue."  # no English
        turn = ((cues.get("fusion") or {}).get("turns") or {}).get("words")  # rule 3f: the turn the answer names
        if through_rough_translation(cues["words"].get("translation_reliable"), words.get("detail")):
            return core + _own_words(words) + " Read through a rough English translation, not quoted since it may be inaccurate, " + \
                (f"they {_turns(turn)}." if turn else f"they suggest {_suggests(label, _pair(cues, 'words'))}." if label
                 else "they carry no clear emotion.")
        return core + _own_words(words) + (f" These words {_turns(turn)}." if turn
                                           else f" These words suggest {_suggests(label, _pair(cues, 'words'))}."
                                           if label else " These words carry no clear emotion.")
    return core + (f", which suggests {_suggests(label, _pair(cues, 'face'))}" if label else "") + "."


def language(cues: dict[str, Any]) -> str:
    """"The speech was detected as Italian (probability 0.95)." The language is a measure of its
    own, and the explanation does not say it: a chat user who asks gets it from the cues, not from
    the LLM, which does not know it (asked "What language is she speaking?", the default model
    repeated the transcript sentence)."""
    from .languages import name_of

    missing, words = cues.get("missing") or [], cues["words"]
    code, p = words.get("language"), words.get("language_probability")
    if "audio" in missing:
        return "The clip has no sound, so there is no speech to tell the language of."
    if "speech" in missing and code is None and not words.get("subtitle"):
        return "No speech was heard in the clip, so there is no language to tell."
    if code is None:
        return ("The words were given as text, and no language was detected from the speech."
                if words.get("source") not in ("whisper", "none") else
                "The language of the speech was not detected.")
    from .encoders.speech import LANGUAGE_PROB_THRESHOLD

    if p is not None and p < LANGUAGE_PROB_THRESHOLD:  # the transcript's own check: the language is a guess
        how = f"too unclear to tell its language: the likeliest, {name_of(code)}, has probability {p:.2f}"
    elif p is not None:
        how = f"detected as {name_of(code)} (probability {p:.2f})"
    else:
        how = (f"taken to be {name_of(code)} without detecting it (the language was given, or the speech "
               f"model hears only {name_of(code)})")
    if words.get("source") not in ("whisper", "none"):
        return f"The words were given as text; the speech was {how}."
    said = f"The speech was {how}."
    if words.get("transcript_reliable") is False:
        said += " Its words could not be understood reliably, so they are not quoted."
    return said


CERTAIN_SHARE = 0.4  # on real video 9 of the 10 answers with a share this high were right, below it about half


def certainty(cues: dict[str, Any]) -> str:
    """"I am not very sure: sad has 31% of the weight once the channels are fused. Only the face
    points to sadness. Also, the words could not be understood."

    Why rendered: the share and what it rests on are in the cues, and the LLM invents a number or
    says nothing ("Based on the video, I am not confident."). The bands follow the fused share's
    calibration on 240 real clips (``eval/results/real_video_javanese_av_s24.json``): of the 10
    answers with a share of at least ``CERTAIN_SHARE``, 9 were right; below it about half were
    (0.45 at 0.1-0.3, 0.52 at 0.3-0.4). Ten answers are few, so the reply says "fairly sure",
    never a probability of being right."""
    fusion = cues.get("fusion") or {}
    shares = dict(fusion.get("ranked") or [])
    emotions = fusion.get("emotions") or []
    if not emotions or not shares:
        return "I cannot say how sure I am: no channel was measured."
    first = emotions[0]
    share = shares.get(first, 0.0)
    band = "fairly sure" if share >= CERTAIN_SHARE else "not very sure"
    # No runner-up is named: a label no channel shows is not said of the person (the checker's rule).
    said = f"I am {band}: {first} has {share:.0%} of the weight once the channels are fused."
    summary = fusion.get("summary")
    if summary:
        said += f" {summary[0].upper()}{summary[1:]}."
    missing = cues.get("missing") or []
    face_gap = "there is no picture" if "picture" in missing else "no face was seen clearly"
    gaps = [text for name, text in (("face", face_gap),
                                    ("speech", "no speech was heard"),
                                    ("transcript", "the words could not be understood")) if name in missing]
    if cues["words"].get("subtitle") and (fusion.get("weights") or {}).get("words") == 0:
        gaps.append("the words gave no clue")  # quoted, but not read: e.g. their English failed its checks
    if gaps:
        said += f" Also, {_join(gaps)}."
    return said


def about(cues: dict[str, Any], label: str) -> str:
    """A yes-or-no question on one emotion ("Is she angry?"), answered with the decision: "Yes, most
    likely. Based on these clues, the person most likely feels angry, since ...". "Possibly" for an
    emotion named beside the decision, "Not most likely" where a channel shows it but the decision
    is another, "No channel shows it clearly" where none does. Why rendered: the default model,
    asked "Is she happy?" of a clip answered happy, wrote "No, she is not happy. She is not happy,
    but she is happy."; the checks dropped it, and the reply became "I can only say what the clip
    shows." and the inference, which answers the question without saying so."""
    fusion = cues.get("fusion") or {}
    emotions = fusion.get("emotions") or ["neutral"]
    showing = {**(fusion.get("expressed") or {}), **(fusion.get("leans") or {})}
    if label == emotions[0]:
        head = "Yes, most likely."
    elif label in emotions:
        head = "Possibly."
    elif label in showing.values() or label == "neutral":
        head = "Not most likely."
    else:
        head = "No channel shows it clearly."
    clash = conflict(cues)
    return f"{head} {closing('inference', cues)}" + (f" {clash}" if clash else "")


def _turns(turn: list[str]) -> str:
    """"turn from happiness to anger": words that plainly say one emotion and then another
    (``evidence.words.turn_of``; fusion rule 3f), where "suggest" with one label would hide one."""
    from .evidence.fusion import EMOTION_NOUN

    before, after = turn
    return f"turn from {EMOTION_NOUN[before]} to {EMOTION_NOUN[after]}"


def read_in_english(detail: dict[str, Any] | None) -> bool:
    """Whether the English models read the words (``evidence.words``: ``detail["readings"]``
    holds ``"english"``; a record without readings was read in English). Not so when there was
    no English to score: only the own-language list read them, or nothing could."""
    return ENGLISH_READING in (detail or {}).get("readings", [ENGLISH_READING])


def through_rough_translation(translation_reliable: bool | None, detail: dict[str, Any] | None) -> bool:
    """Whether the words were read through an English translation that failed its check: it is
    never quoted (``perception.word_cues_from``), so the sentence says what the reading rests on
    instead of "these words suggest ..." about words the reader cannot check (real Javanese speech
    heard as Indonesian, half its words in doubt, read as sad through "I miss you so much"); and
    the default model renders that sentence rather than let the LLM interpret it
    (``TextualizedModel``). One home for both: it takes the words' ``translation_reliable`` and
    the words evidence's ``detail``, which the cues record and the ``Cues`` object both hold."""
    return translation_reliable is False and read_in_english(detail)


def _own_words(words: dict[str, Any]) -> str:
    """' Among them, "contenta" is a word of happiness.' when the own-language list read the words
    and found emotion words (``evidence.own_words``), so the reader knows what the reading rests
    on; else "". Beside an English reading too: German speech heard well but translated badly
    ("Today I've got a lot to do" for "Ich habe heute im Lotto gewonnen ... wunderbar") was read
    happy from "wunderbar" alone, and "read through a rough English translation, they suggest the
    person is happy" named only the translation, which says nothing of the kind."""
    from .evidence.fusion import EMOTION_NOUN

    if "own_words" not in words.get("detail", {}).get("readings", []):
        return ""
    found = (words["detail"].get("own_words") or {}).get("found") or []
    by_label: dict[str, list[str]] = {}
    for word, label in found:
        by_label.setdefault(label, []).append(f'"{word}"')
    parts = [f"{_join(ws)} {'is a word' if len(ws) == 1 else 'are words'} of {EMOTION_NOUN[label]}"
             for label, ws in by_label.items()]
    return f" Among them, {_join(parts)}." if parts else ""


def _suggests(label: str, pair: tuple[str, str] | None = None) -> str:
    if pair:  # rule 4b: an unpleasant feeling, which of the two not clear
        return f"the person is {pair[0]} or {pair[1]}"
    return "no particular emotion" if label == "neutral" else f"the person is {label}"


def reading(section: str, cues: dict[str, Any]) -> str | None:
    """What a section's channel clearly shows, or None: the label of the face or the words
    (``fusion.expressed``), the arousal of the voice ("high" / "low", ``fusion.aroused``)."""
    modality = {"visual": "face", "acoustic": "voice", "verbal": "words"}.get(section)
    if modality is None:
        return None
    fusion = cues.get("fusion") or {}
    if section == "acoustic":
        return (fusion.get("aroused") or {}).get(modality)
    return (fusion.get("expressed") or {}).get(modality)


def _arousal_state(arousal: str) -> str:
    """"a high-energy state" / "a low-energy state", in ``evidence.fusion.arousal_phrase``'s words."""
    from .evidence.fusion import arousal_phrase

    return f"a {arousal_phrase(arousal)} state"  # type: ignore[arg-type]


RENDER = {"visual": visual, "acoustic": acoustic, "verbal": verbal, "inference": decision}
