"""A second hearing of the same speech marks the words it does not hold as disputed, in any script.

Chinese is written without spaces: Whisper's words are its characters (``group_words``), and a
second hearing's text is one unbroken run of them. ``disputed`` must split that run into
characters too, or every word of a Chinese transcript would be disputed (the measurement of a
second hearing in ``eval/word_confidence.py`` depends on it). No model is loaded.
"""

from __future__ import annotations

from affect_llm.encoders.speech import Segment, Transcript, Word, cross_check, disputed, judge

HIGH = 0.95  # every word confident: only the second hearing can make one doubtful


def _transcript(words: list[str], language: str, joiner: str) -> Transcript:
    text = joiner.join(words)
    seg = Segment(0.0, 2.0, text, -0.2, 0.01, 1.0, [Word(w, HIGH) for w in words])
    tr = Transcript(text, [seg], language=language, language_probability=0.95, avg_logprob=-0.2,
                    no_speech_prob=0.01, compression_ratio=1.0)
    return judge(tr, language_given=False)


def test_a_chinese_second_hearing_disputes_only_the_characters_it_does_not_hold():
    assert disputed(["我", "很", "高", "兴。"], "我很开心。") == [False, False, True, True]
    assert disputed(["我", "很", "高", "兴。"], "我很高兴！") == [False, False, False, False]


def test_a_word_the_second_hearing_does_not_hold_is_doubtful_and_marked():
    # EmoDB-like: heard confidently, but a second hearing says otherwise at one place
    tr = _transcript(["Das", "schwarze", "Plattpapier", "befindet", "sich", "da", "oben."], "de", " ")
    assert tr.reliable and not tr.doubtful_words
    cross_check(tr, Transcript("Das schwarze Stück Papier befindet sich da oben."))
    assert [w.text for w in tr.doubtful_words] == ["Plattpapier"]
    assert "(Plattpapier?)" in tr.marked_text() and tr.reliable  # one word in seven: still quotable
    zh = _transcript(["我", "很", "高", "兴", "。"], "zh", "")
    cross_check(zh, Transcript("我很开心。"))
    assert [w.text for w in zh.doubtful_words] == ["高", "兴"]
