"""The default model's continuations interpret the facts and add nothing (faithfulness.interpretation)."""

import pytest

from affect_llm.faithfulness.interpretation import new_content
from affect_llm.models.textualized import TextualizedModel

CUES = {"words": {"subtitle": "No, I told you three times already. This is completely unacceptable.",
                  "transcript_reliable": True},
        "face": {"found": True}, "voice": {"audio_track": True, "speech_found": True}}
FACTS = 'In the text, the subtitle reads: "No, I told you three times already." These words'


@pytest.mark.parametrize("continuation, added", [
    ("suggest that the speaker is not only angry but also has a tendency to lie.", ["tendency", "lie"]),
    (("suggest the speaker is happy, but the text does not provide enough information to determine the exact "
      "emotions."), ["provide", "enough", "information", "determine", "exact"]),
    ("suggest that the person is a comedian and a storyteller.", ["comedian", "storyteller"]),
    ("which suggests a voice slightly laced with a lilac-hawk accent.", ["laced", "lilac-hawk"]),
    ("suggest the person is nervous about the exam results.", ["exam", "results"]),
])
def test_content_the_facts_do_not_hold_is_named(continuation, added):
    assert new_content(continuation, CUES, FACTS) == added


@pytest.mark.parametrize("continuation", [
    "suggest that the person is generally happy.",
    "suggest that the speaker is frustrated and annoyed.",
    "suggest that the speaker is feeling a sense of joy and excitement.",
    "suggest that the person is upset about being told three times.",  # the subtitle's own words
    "which suggests a calm and relaxed state of mind.",
    "which suggests high arousal.",
    'suggest the speaker "is completely fed up" and angry.',  # quotes are the quote check's business
])
def test_interpretation_and_grounded_words_pass(continuation):
    assert new_content(continuation, CUES, FACTS) == []


def test_a_world_beyond_the_person_is_new_content_unless_the_words_hold_it():
    """"..., which suggests that the person is being surprised by the other people in the scene", of
    one Javanese speaker before a plain wall: the checker lets any explanation speak of people and
    scenes, the default model's own continuation only where the facts or the words do."""
    invented = ", which suggests that the person is being surprised by the other people in the scene."
    assert new_content(invented, CUES, "In the video, the face looks mostly surprised") == ["people", "scene"]
    crowd = {**CUES, "words": {"subtitle": "All these people came to see me!", "transcript_reliable": True}}
    assert new_content(invented, crowd, "In the video, the face looks mostly surprised") == ["scene"]
    assert new_content(", which suggests that the person is surprised.", CUES, "In the video") == []


@pytest.mark.parametrize("section, continuation, faults", [
    # real Javanese clips, all four read as nonsense
    ("acoustic", ", which suggests that the speaker is not only low but also has a moderate level of arousal.",
     ["not only (a contrast inside one reading)", "low and moderate (two arousal levels)"]),
    ("visual", ", which suggests that the person is not just someone with no clear emotion, but someone who has "
               "many emotions.", ["not just (a contrast inside one reading)"]),
    ("visual", ", which suggests that the person is mostly emotional, but it also has a neutral expression.",
     ["but (a contrast inside one reading)"]),
    ("acoustic", ", which suggests a low level of arousal, and a mild one.", ["low and moderate (two arousal levels)"]),
    # one idea each
    ("acoustic", ", which suggests that the speaker is expressing a low level of emotional arousal.", []),
    ("acoustic", ", which suggests a high-energy state.", []),
    ("visual", ", which suggests a mix of fear and surprise.", []),
    ("visual", ", which suggests that the person is mostly neutral.", []),
])
def test_a_continuation_says_one_thing(section, continuation, faults):
    from affect_llm.faithfulness.interpretation import muddled

    assert muddled(continuation, section) == faults


@pytest.mark.parametrize("continuation, faults", [
    (", which suggests that the speaker is expressing their emotions of mild arousal.",
     ["their emotions of (not English)"]),
    (", which suggests that the person is in their emotions of sadness.", ["their emotions of (not English)"]),
    (", which suggests that the speaker is expressing a low level of emotional arousal.", []),
    (", which suggests a mix of emotions.", []),
])
def test_a_continuation_in_the_small_llms_own_idiom_is_retried(continuation, faults):
    from affect_llm.faithfulness.interpretation import garbled

    assert garbled(continuation) == faults


def test_the_model_retries_a_continuation_that_adds_content():
    """The default model's check step turns added content into a fault (regenerate, then render);
    an arousal reading is a valid acoustic continuation although it names no emotion."""
    model = TextualizedModel(dtype="float32")  # the LLM is not loaded: only the check runs
    prefix_v, prefix_a = FACTS, "In the audio, the voice is loud, which suggests"
    slots = [(0, "verbal", prefix_v), (0, "acoustic", prefix_a)]
    parts = {(0, "verbal"): prefix_v + " suggest that the speaker is angry and has a tendency to lie.",
             (0, "acoustic"): prefix_a + " high arousal."}
    failed = model._check([CUES], slots, parts)
    assert list(failed) == [(0, "verbal")] and "tendency, lie" in failed[(0, "verbal")]
    # A continuation that only denies a feeling asserts nothing (angry.mp4's "not happy with
    # their own words"): retried too.
    denied = {(0, "verbal"): prefix_v + " suggest that the speaker is not happy with their own words."}
    assert list(model._check([CUES], slots[:1], denied)) == [(0, "verbal")]
    # The same feeling named twice is the small LLM looping, not an explanation (Javanese AV
    # 01-04-06_01: "..., which suggests that the person is not only surprised but also surprised
    # by the facial expression"); the rendered sentence replaces it.
    looped = {(0, "verbal"): prefix_v + " suggest that the speaker is not only angry but also angry at them."}
    assert "angry (said twice)" in model._check([CUES], slots[:1], looped)[(0, "verbal")]
    once = {(0, "verbal"): prefix_v + " suggest that the speaker is not only angry but also upset at them."}
    assert "said twice" not in model._check([CUES], slots[:1], once).get((0, "verbal"), "")
    # ...or the same phrase twice, every word of it grounded (the development corpus's subtitle
    # "The report has four sections, and the last one lists the sources.").
    report = {**CUES, "words": {"subtitle": "The report has four sections, and the last one lists the sources.",
                                "transcript_reliable": True}}
    prefix_r = 'In the text, the subtitle reads: "The report has four sections." These words'
    looped = {(0, "verbal"): prefix_r + " suggest that the speaker is not only neutral but also has four sections "
                                        "and has four sections."}
    assert "has four sections (said twice)" in model._check([report], [(0, "verbal", prefix_r)], looped)[(0, "verbal")]
    plain = {(0, "verbal"): prefix_r + " suggest that they are calm and that they are focused on the sections."}
    assert "said twice" not in model._check([report], [(0, "verbal", prefix_r)], plain).get((0, "verbal"), "")
    # ...or two things at once (``interpretation.muddled``)
    muddle = {(0, "acoustic"): prefix_a + " that the speaker is not only low but also has a moderate level of arousal."}
    assert "two arousal levels" in model._check([CUES], slots[1:], muddle)[(0, "acoustic")]
    idiom = {(0, "acoustic"): prefix_a + " that the speaker is expressing their emotions of high arousal."}
    assert "not English" in model._check([CUES], slots[1:], idiom)[(0, "acoustic")]
    assert model._llm is None


def _decided(face: dict, words: dict, arousal: str | None, expressed: dict) -> dict:
    return {**CUES, "evidence": {"face": {"scores": face}, "words": {"scores": words}, "voice": {"scores": {}}},
            "fusion": {"expressed": expressed, "aroused": {"voice": arousal} if arousal else {}}}


STILL_FACE = {"neutral": 0.51, "happy": 0.15, "angry": 0.09, "sad": 0.07, "fearful": 0.06, "surprised": 0.06,
              "disgusted": 0.06}
SAD_WORDS = {"sad": 0.62, "neutral": 0.1, "fearful": 0.08, "angry": 0.06, "happy": 0.05, "surprised": 0.05,
             "disgusted": 0.04}


@pytest.mark.parametrize("section, continuation, arousal, off", [
    # devcorpus, en-sad-1-neutral: a still face read as happy, backed only by nothing the face shows
    ("visual", ", which suggests that the person is likely happy.", None, ["happy"]),
    ("visual", ", which suggests no particular emotion.", None, []),
    ("verbal", " These words suggest that the speaker is sad.", None, []),
    ("verbal", " These words suggest that the speaker is not only sad but also has a fear.", None, ["fear"]),
    # the voice reads arousal: a label it fits, calm when it is not aroused, never a valence
    ("acoustic", ", which suggests joy and happiness.", "low", ["joy", "happy"]),
    ("acoustic", ", which suggests relaxation and calmness.", "low", []),
    ("acoustic", ", which suggests relaxation and calmness.", "high", ["relaxed", "calm"]),
    ("acoustic", ", which suggests excitement and anger.", "high", []),
    # ... and an arousal level only as it reads it ("moderate" when no clear reading): after "the
    # voice is loud", "low arousal" of a moderate voice read as a contradiction (a Spanish clip)
    ("acoustic", ", which suggests high arousal.", "high", []),
    ("acoustic", ", which suggests high arousal.", None, ["high (arousal; the voice reads moderate)"]),
    ("acoustic", ", which suggests emotions of low arousal.", None, ["low (arousal; the voice reads moderate)"]),
    ("acoustic", ", which suggests a high-energy state.", "low", ["high-energy (arousal; the voice reads low)"]),
    ("acoustic", ", which suggests moderate arousal.", None, []),
    # arousal with no level is a heightened one (a sad German voice read low: "in a state of
    # emotional arousal")
    ("acoustic", ", which suggests that the speaker is in a state of emotional arousal.", "low",
     ["arousal (arousal; the voice reads low)"]),
    ("acoustic", ", which suggests a state of arousal.", "high", []),
    ("verbal", " These words suggest the speaker is not sad or sad but is sad.", None, ["sad (denied and asserted)"]),
])
def test_a_continuation_reads_only_what_its_own_channel_shows(section, continuation, arousal, off):
    from affect_llm.faithfulness.interpretation import off_reading

    cues = _decided(STILL_FACE, SAD_WORDS, arousal, {"face": "neutral", "words": "sad"})
    assert off_reading(continuation, section, cues) == off
    assert off_reading(continuation, section, CUES) == ([] if "denied" not in str(off) else off)  # no decision record


# Real Javanese clip 08-02-02 (gold sad): the face read sad 0.48, neutral 0.28 (scores 0.34 / 0.22)
SAD_THEN_NEUTRAL_FACE = {"neutral": 0.223, "happy": 0.059, "sad": 0.344, "angry": 0.1, "fearful": 0.156,
                         "surprised": 0.059, "disgusted": 0.059}


@pytest.mark.parametrize("continuation, off", [
    (", which suggests that it has a neutral expression.", ["neutral (the face reads mostly sad)"]),
    (", which suggests no particular emotion.", ["neutral (the face reads mostly sad)"]),
    (", which suggests sadness that eases into a neutral expression.", []),
    (", which suggests that the person is sad.", []),
    (", which suggests that the person is not happy.", []),
])
def test_a_continuation_does_not_pass_over_what_its_channel_reads_mostly(continuation, off):
    """Each word may be backed by the channel and the continuation still contradict its fact: "the face
    looks mostly sad ..., which suggests that it has a neutral expression" (real video, read as a user).
    Naming an emotion, it names the one the channel expresses."""
    from affect_llm.faithfulness.interpretation import off_reading

    cues = _decided(SAD_THEN_NEUTRAL_FACE, SAD_WORDS, None, {"face": "sad", "words": "sad"})
    assert off_reading(continuation, "visual", cues) == off


FLAT_WORDS = {"angry": 0.23, "happy": 0.22, "disgusted": 0.17, "neutral": 0.14, "surprised": 0.1, "sad": 0.08,
              "fearful": 0.06}


def test_a_loud_voice_is_not_called_calm():
    """A German espeak clip: "the voice is loud, with low, steady pitch ..., which suggests that
    the speaker is expressing their emotions of relaxation and calmness", of a voice read as
    moderate: calm words fit a voice that is not aroused, not one the sentence has just called loud."""
    from affect_llm.faithfulness.interpretation import off_reading

    cues = _decided(STILL_FACE, SAD_WORDS, None, {"face": "neutral", "words": "sad"})
    continuation = ", which suggests that the speaker is expressing their emotions of relaxation and calmness."
    assert off_reading(continuation, "acoustic", cues) == []
    loud = {**cues, "voice": {**cues.get("voice", {}), "phrases": ["low, steady pitch", "loud voice"]}}
    assert off_reading(continuation, "acoustic", loud) == ["relaxed", "calm"]
    # ... nor said in other words: a Spanish espeak clip, "the voice is loud, ..., which suggests
    # that the speaker is not too emotional"
    flat = ", which suggests that the speaker is not too emotional."
    assert off_reading(flat, "acoustic", cues) == []
    assert off_reading(flat, "acoustic", loud) == ["not too emotional (calm)"]


def test_a_voice_livelier_than_ordinary_speech_is_not_called_calm():
    """Javanese AV 08-03-02_01: "the voice is moderate, ..., which suggests that the speaker is
    expressing their emotions of relaxation and calmness" of a voice at arousal +0.28, a hair
    under "high". Calm words fit a voice at or under ordinary speech's arousal (0), read from the
    voice channel's own number; without the number (an older record) the reading decides."""
    from affect_llm.faithfulness.interpretation import off_reading

    continuation = ", which suggests that the speaker is expressing their emotions of relaxation and calmness."

    def at(arousal: float | None) -> dict:
        cues = _decided(STILL_FACE, SAD_WORDS, None, {"face": "neutral", "words": "sad"})
        cues["evidence"]["voice"]["detail"] = {} if arousal is None else {"arousal": arousal}
        return cues

    assert off_reading(continuation, "acoustic", at(0.28)) == ["relaxed", "calm"]
    assert off_reading(continuation, "acoustic", at(-0.1)) == []
    assert off_reading(continuation, "acoustic", at(None)) == []


def test_words_that_clearly_show_no_emotion_suggest_none():
    """EmoDB's "Der Lappen liegt auf dem Eisschrank!" read through its translation as angry 0.23,
    happy 0.22: no clear label, and the inference says only the voice hints at anger. "These
    words suggest that the speaker is angry or upset" claims what the words do not show; "carry
    no clear emotion" is what they show."""
    from affect_llm.faithfulness.interpretation import off_reading

    cues = _decided(STILL_FACE, FLAT_WORDS, "high", {"face": "neutral"})
    assert off_reading(" These words suggest that the speaker is angry or upset.", "verbal", cues) == ["angry", "upset"]
    assert off_reading(" These words carry no clear emotion and seem neutral.", "verbal", cues) == []
    clear = dict(FLAT_WORDS, angry=0.33, happy=0.12)  # a clear lean: its label and any at CHANNEL_SUPPORT
    assert off_reading(" These words suggest that the speaker is angry.", "verbal", _decided(STILL_FACE, clear, "high", {})) == []


ANGRY_SECTIONS = {
    "visual": "In the video, the face looks mostly happy across the 8 sampled frames and stays so throughout.",
    "acoustic": "In the audio, the voice is loud, with low, varied pitch, which suggests high arousal.",
    "verbal": 'In the text, the subtitle reads: "No, I told you three times already." These words suggest anger.',
    "inference": "Based on these clues, the person most likely feels angry, and possibly happy.",
}


@pytest.mark.parametrize("sentence, kept", [
    # examples/angry.mp4, asked "Why do you think the person is angry?" and "Is the person lying?"
    ("The person is angry because they feel their emotions are being taken away.", False),
    ("They are telling the truth, but they've lied to themselves.", False),
    ("They're angry because they were told three times, and they don't seem happy.", False),  # happy: decided
    ("They're angry because they were told three times.", True),
    ("The person feels angry.", True),
    # a clip answered happy, asked "Is she happy?" (an Italian espeak clip over a smiling photo)
    ("No, the person is not angry.", False),
    ("She is not sad, but she is sad.", False),
    # a Spanish clip over a surprised face, asked "Why is she surprised?"
    ("The clip shows a face, but it's not the face of a person.", False),
    ("It's a face that looks like a face, and it's not a person.", False),  # names no feeling
    ('The person said "No".', False),
    # a clip whose words say "... you lied to me again. I'm furious.", asked "Why is he angry?"
    ("They are angry because their lie was to you.", False),  # the asker is not in the clip
    ('They are angry and say "No, I told you three times already."', True),  # the person's own "you", quoted
    ('They are angry and say "No, I told you four times already.', False),  # misquoted, the quote left open
])
def test_a_followup_sentence_holds_to_the_explanation_and_the_words(sentence, kept):
    from affect_llm.models.textualized import Answer, _followup_kept

    happy_face = {**{lab: 0.05 for lab in SAD_WORDS}, "happy": 0.7}
    angry_words = {**{lab: 0.05 for lab in SAD_WORDS}, "angry": 0.7}
    cues = _decided(happy_face, angry_words, "high", {"face": "happy", "words": "angry"})
    answer = Answer(explanation=" ".join(ANGRY_SECTIONS.values()), emotions=["angry", "happy"],
                    emotions_source="evidence", sections=ANGRY_SECTIONS)
    assert _followup_kept(sentence, cues, answer) is kept


@pytest.mark.parametrize("question, section", [
    ("What did the person say?", "verbal"),
    ("Why does her voice sound like that?", "acoustic"),
    ("Is she smiling?", "visual"),
    ("Is the person lying?", "inference"),
    ("why do you think she is angry?", "inference"),
    ("What would you say to them?", "inference"),  # advice asked for, not the words
    ("What do you think she said?", "verbal"),
])
def test_an_empty_followup_reply_gives_the_explanations_own_sentence_on_what_was_asked(question, section):
    from affect_llm.models.textualized import Answer, _followup_fallback

    answer = Answer(explanation=" ".join(ANGRY_SECTIONS.values()), emotions=["angry", "happy"],
                    emotions_source="evidence", sections=ANGRY_SECTIONS)
    lead = "I can only say what the clip shows. " if section == "inference" else ""
    assert _followup_fallback(question, answer, "I can only say what the clip shows.") == lead + ANGRY_SECTIONS[section]


@pytest.mark.parametrize("question", ["Does her face match her words?", "Do the voice and the face agree?"])
def test_an_empty_reply_to_a_question_on_two_channels_gives_how_they_agree(question):
    from affect_llm.models.textualized import Answer, _followup_fallback

    answer = Answer(explanation=" ".join(ANGRY_SECTIONS.values()), emotions=["angry", "happy"],
                    emotions_source="evidence", sections=ANGRY_SECTIONS)
    assert _followup_fallback(question, answer, "I can only say what the clip shows.") == ANGRY_SECTIONS["inference"]


def test_an_empty_reply_to_why_a_channel_weighed_less_gives_its_sentence_and_the_decision():
    """Asked of a German clip over a still surprised photo, "Why does the face not count?" got the
    face's sentence alone ("... looks mostly surprised ..."), which does not say why."""
    from affect_llm.models.textualized import Answer, _followup_fallback

    sections = dict(ANGRY_SECTIONS, inference=ANGRY_SECTIONS["inference"] + " The clues conflict: the face points to "
                    "happiness, but the words point to anger; the face's mouth does not move while speech is heard, "
                    "so it counts less.")
    answer = Answer(explanation=" ".join(sections.values()), emotions=["angry", "happy"],
                    emotions_source="evidence", sections=sections)
    lead = "I can only say what the clip shows."
    assert _followup_fallback("Why does the face not count?", answer, lead) == \
        sections["visual"] + " " + sections["inference"]
    assert _followup_fallback("Is she smiling?", answer, lead) == sections["visual"]  # no why: as before
    assert _followup_fallback("Why does her voice sound like that?", answer, lead) == sections["acoustic"]
