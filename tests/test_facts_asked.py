"""Chat questions of fact (the language spoken, how sure the answer is) answered from the cues.

Why: the explanation does not say either, and the default model, asked "What language is she
speaking?" of an Italian clip, repeated the transcript sentence; asked "How confident are you?",
it said "Based on the video, I am not confident." Both facts are measured, so the reply renders
them (``observations.language``, ``observations.certainty``) and the model is not asked.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from affect_llm import observations
from affect_llm.cues import WordCues, face_cues
from affect_llm.demo.conversation import Conversation, fact_asked
from affect_llm.faithfulness import check_explanation
from affect_llm.perception import decide

ITALIAN = "Mi hai mentito di nuovo e non ti sopporto più."


def _cues(words: WordCues, audio: bool = True, faces: np.ndarray | None = None) -> dict:
    frames = 4
    found = np.ones(frames, bool) if faces is not None else np.zeros(frames, bool)
    return decide(face_cues(faces, found if faces is not None else None, frames), faces, found, audio,
                  None, words).to_dict()


def _sad_faces(frames: int = 4, p: float = 0.9) -> np.ndarray:
    """Expression probabilities over the 7 fer classes (angry, disgust, fear, happy, sad, surprise,
    neutral): mostly sad."""
    row = np.full(7, (1 - p) / 6)
    row[4] = p
    return np.tile(row, (frames, 1))


class Recorder:
    """The model's side of a follow-up: records what reached it."""

    def __init__(self):
        self.questions: list[str] = []

    def followup(self, perception, answer, history, question, max_new_tokens=96):
        self.questions.append(question)
        return "the model's reply"


def _conversation(cues: dict) -> Conversation:
    perception = SimpleNamespace(clip_id="clip", cues=SimpleNamespace(to_dict=lambda: cues))
    return Conversation(perception=perception, answer=object())


@pytest.mark.parametrize("question, fact", [
    ("What language is she speaking?", "language"), ("Which LANGUAGE is that?", "language"),
    ("How sure are you?", "certainty"), ("Are you certain she is sad?", "certainty"),
    ("How confident are you?", "certainty"), ("Is this reliable?", "certainty"),
    ("Is she sure of herself?", None), ("Why is she sad?", None), ("What did she say?", None),
    ("Is she angry?", "about"), ("Does he look scared?", "about"), ("Is she calm?", "about"),
    ("Is he happy or sad?", None), ("Is she upset?", None), ("Is she not happy?", None),
])
def test_which_questions_are_questions_of_fact(question, fact):
    render = fact_asked(question)
    name = getattr(render, "func", render)  # about() comes with the label asked
    assert (name.__name__ if name else None) == fact
    if fact == "about":
        assert render.keywords["label"] == {"Is she angry?": "angry", "Does he look scared?": "fearful",
                                            "Is she calm?": "neutral"}[question]


def test_a_yes_or_no_question_on_one_emotion_is_answered_with_the_decision():
    """A sad face and angry words: anger is decided (the words), sadness named beside it or shown
    by the face; fear by nothing."""
    words = WordCues(subtitle="I am furious, you lied to me again!", source="user", language="en")
    cues = _cues(words, faces=_sad_faces(p=0.8))
    fusion = cues["fusion"]
    assert fusion["emotions"][0] == "angry" and "sad" in {**fusion["expressed"], **fusion["leans"]}.values()
    model, conv = Recorder(), _conversation(cues)
    inference = observations.decision(cues)
    yes = conv.ask(model, "Is she angry?")
    assert yes.startswith("Yes, most likely. " + inference)
    sad = conv.ask(model, "Is she sad?")
    assert sad.startswith("Possibly. " if "sad" in fusion["emotions"] else "Not most likely. ")
    assert conv.ask(model, "Is she afraid?").startswith("No channel shows it clearly. " + inference)
    assert model.questions == []
    if fusion["conflicts"]:
        assert yes.endswith(observations.conflict(cues))
    for reply, _ in [(r, q) for q, r in conv.history]:
        assert check_explanation(reply, cues) == []


def test_the_language_is_said_as_detected_and_the_model_is_not_asked():
    words = WordCues(subtitle=ITALIAN, source="whisper", language="it", language_probability=0.95,
                     transcript_reliable=True)
    cues = _cues(words)
    model, conv = Recorder(), _conversation(cues)
    reply = conv.ask(model, "What language is she speaking?")
    assert reply == "The speech was detected as Italian (probability 0.95)."
    assert model.questions == [] and conv.history == [("What language is she speaking?", reply)]
    assert check_explanation(reply, cues) == []
    assert conv.ask(model, "Why is she upset?") == "the model's reply"  # any other question: the model


def test_the_language_reply_covers_unsure_words_given_text_and_no_speech():
    heard = WordCues(subtitle=None, heard="Aku (pingin?) berkakari", source="whisper", language="ms",
                     language_probability=0.41, transcript_reliable=False)
    said = observations.language(_cues(heard))  # under the transcript's 0.5: no language is claimed
    assert said.startswith("The speech was too unclear to tell its language: the likeliest, Malay, has "
                           "probability 0.41.")
    assert "could not be understood reliably" in said
    assert check_explanation(said, _cues(heard)) == []  # "Malay" is a language the checker knows

    sure = WordCues(subtitle=None, heard="Aku (pingin?) berkakari", source="whisper", language="ms",
                    language_probability=0.8, transcript_reliable=False)
    assert observations.language(_cues(sure)).startswith("The speech was detected as Malay (probability 0.80).")
    given = WordCues(subtitle="我太高兴了", source="user", language="zh", language_probability=0.9)
    assert observations.language(_cues(given)) == ("The words were given as text; the speech was "
                                                   "detected as Chinese (probability 0.90).")
    assert "no sound" in observations.language(_cues(WordCues(subtitle=None, source="none"), audio=False))
    given_code = WordCues(subtitle="Hola, estoy bien.", source="whisper", language="es", transcript_reliable=True)
    said = observations.language(_cues(given_code))  # --language es: no probability, nothing detected
    assert said.startswith("The speech was taken to be Spanish without detecting it") and "probability" not in said


def test_how_sure_says_the_fused_share_what_it_rests_on_and_what_is_missing():
    unheard = WordCues(subtitle=None, heard="(Sono?) (fubioso?)", source="whisper", language="it",
                       language_probability=0.95, transcript_reliable=False)
    cues = _cues(unheard, faces=_sad_faces(p=0.5))
    fusion = cues["fusion"]
    share = dict(fusion["ranked"])[fusion["emotions"][0]]
    said = _conversation(cues).ask(Recorder(), "How sure are you?")
    assert said.startswith(f"I am {'fairly' if share >= observations.CERTAIN_SHARE else 'not very'} sure: "
                           f"{fusion['emotions'][0]} has {share:.0%} of the weight")
    assert fusion["summary"][1:] in said and "the words could not be understood" in said
    assert check_explanation(said, cues) == []

    plain = _cues(WordCues(subtitle="I am so sad, I miss her so much.", source="user", language="en"),
                  faces=_sad_faces(p=0.95))
    plain_share = dict(plain["fusion"]["ranked"])[plain["fusion"]["emotions"][0]]
    said = observations.certainty(plain)
    assert plain["fusion"]["emotions"][0] == "sad"
    assert said.startswith("I am fairly sure" if plain_share >= observations.CERTAIN_SHARE else "I am not very sure")
    assert re.search(r"\d+% of the weight", said) and check_explanation(said, plain) == []
