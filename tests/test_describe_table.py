"""describe's evidence table: the 'measured' column says what each channel read, in plain words."""

from __future__ import annotations

from affect_llm.cli.describe import _voice_line, _words_line


def test_the_words_row_shows_both_hearings_when_the_channel_read_both():
    cues = {"subtitle_source": "whisper",
            "words": {"subtitle": "This is completely (acceptable?).", "language": "en", "doubtful": ["acceptable"],
                      "second_opinion": "This is completely unacceptable."}}
    line = _words_line(cues)
    assert line.startswith('"This is completely (acceptable?)." (whisper) [en]')
    assert line.endswith('a second model heard "This is completely unacceptable."')
    cues["words"]["doubtful"] = []  # nothing disputed: the second hearing is not news
    assert "second model" not in _words_line(cues)


def test_the_words_row_names_the_emotion_words_read_in_the_speakers_language():
    cues = {"subtitle_source": "user", "words": {"subtitle": "¡Estoy furiosa y triste!", "language": "es"},
            "evidence": {"words": {"detail": {"own_words": {"language": "es",
                                                            "found": [["furiosa", "angry"], ["triste", "sad"]]}}}}}
    assert _words_line(cues) == '"¡Estoy furiosa y triste!" (user) [es]; emotion words: furiosa (angry), triste (sad)'


def test_the_words_row_shows_a_turn_as_the_face_row_shows_its_halves():
    cues = {"subtitle_source": "user", "words": {"subtitle": "I'm so happy for you. ... I'm furious.", "language": "en"},
            "evidence": {"words": {"detail": {"turn": ["happy", "angry"]}}}}
    assert _words_line(cues).endswith("[en] (happy → angry)")
    cues["evidence"]["words"]["detail"]["turn"] = None
    assert _words_line(cues).endswith("[en]")


def test_the_words_row_says_when_speech_was_not_understood_or_absent():
    assert _words_line({"subtitle_source": "none", "words": {"subtitle": None, "heard": "(Flajase?)"}}) == \
        'not understood reliably (heard: "(Flajase?)")'
    assert _words_line({"subtitle_source": "none", "words": {"subtitle": None}}) == "none"


def test_the_voice_row_leads_with_energy():
    voice = {"audio_track": True, "speech_found": True, "prosody": {"arousal": "high"}, "phrases": ["loud voice"]}
    assert _voice_line(voice) == "high energy; loud voice"
    assert _voice_line({**voice, "speech_found": False}) == "no clear speech"


def test_the_words_row_says_when_speech_was_not_understood_in_a_language_the_user_gave():
    reason = ("it was heard as French because that language was given: if the speech is in another language, "
              "let it be detected")
    cues = {"subtitle_source": "whisper",
            "words": {"subtitle": None, "heard": "(Juste?) (la?) (mouze?)", "language": "fr",
                      "reliability": {"reasons": ["low confidence in the words", reason]}}}
    assert _words_line(cues) == f'not understood reliably [fr] (heard: "(Juste?) (la?) (mouze?)"); {reason}'
    cues["words"]["reliability"]["reasons"] = ["low confidence in the words"]  # detected, not given: as before
    assert _words_line(cues) == 'not understood reliably [fr] (heard: "(Juste?) (la?) (mouze?)")'
