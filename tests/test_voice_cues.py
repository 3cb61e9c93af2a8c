"""The loudness an explanation names is the voice's vocal effort, never the recording level."""

from __future__ import annotations

from dataclasses import replace

from affect_llm.cues import voice_cues
from affect_llm.faithfulness import check_explanation
from affect_llm.media.prosody import Prosody
from affect_llm.observations import acoustic


def _prosody(level: str, db: float) -> Prosody:
    return Prosody(speech_found=True, pitch_mean_hz=180.0, pitch_range_semitones=6.0, energy_mean_db=db,
                   loudness=level, speaking_rate_sps=4.0, pause_count=0)


def test_a_loud_recording_of_a_lax_voice_is_called_quiet_and_the_level_is_kept_apart():
    """EmoDB's files are normalised: its sad clips are loud recordings of soft voices."""
    cues = voice_cues(True, _prosody("loud", -12.0), "low", effort=-1.4)
    assert "quiet voice" in cues.phrases and "loud voice" not in cues.phrases
    assert cues.prosody["loudness"] == "quiet" and cues.prosody["recording_loudness"] == "loud"
    assert cues.prosody["energy_mean_db"] == -12.0 and cues.prosody["loudness_basis"] == "vocal effort"
    record = {"voice": {"audio_track": True, "speech_found": True, "phrases": cues.phrases, "prosody": cues.prosody}}
    assert acoustic(record).startswith("In the audio, the voice is quiet")
    # the checker holds a sentence to the effort, not to the file's -12 dBFS
    assert check_explanation("The voice is quiet.", record) == []
    assert [f.kind for f in check_explanation("The voice is loud.", record)] == ["contradiction"]


def test_a_quiet_recording_of_an_effortful_voice_is_loud_and_no_effort_means_no_claim():
    """RAVDESS's angry clips were 'quiet' by level: a shout recorded low is still a shout."""
    assert "loud voice" in voice_cues(True, _prosody("quiet", -35.0), "high", effort=1.7).phrases
    assert "moderate voice" in voice_cues(True, _prosody("quiet", -35.0), None, effort=0.3).phrases
    unmeasured = voice_cues(True, _prosody("quiet", -35.0), None, effort=None)
    assert not any(p.endswith(" voice") for p in unmeasured.phrases) and unmeasured.prosody["loudness"] is None
    record = {"voice": {"audio_track": True, "speech_found": True, "phrases": unmeasured.phrases,
                        "prosody": unmeasured.prosody}}
    assert acoustic(record).startswith("In the audio, the speaker talks")
    assert check_explanation("The voice is loud.", record) == []  # nothing measured to contradict


# A real Javanese anger clip (02-01-06_01): 0.18 s of its 3.7 s speech span passed the activity
# bar, and its voice was described as "fast speech and 1 pause (3.5 s)", measures of a fragment.
def _fragment(active_s: float = 0.18) -> Prosody:
    return Prosody(speech_found=True, pitch_mean_hz=262.0, pitch_range_semitones=9.1, pitch_slope="falling",
                   energy_mean_db=-20.0, loudness="loud", speaking_rate_sps=11.11, pause_count=1,
                   pause_total_s=3.52, voiced_s=0.15, active_s=active_s)


def _record(cues) -> dict:
    return {"voice": {"audio_track": True, "speech_found": True, "phrases": cues.phrases, "prosody": cues.prosody,
                      "brief": cues.brief}}


def test_a_briefly_measured_voice_is_described_as_a_stretch_without_pace_or_pauses():
    from affect_llm.cli.describe import _voice_line

    cues = voice_cues(True, _fragment(), "high", effort=1.5)
    assert cues.brief and cues.phrases == ["high pitch", "loud voice"]
    record = _record(cues)
    sentence = acoustic(record)
    assert sentence == ("In the audio, only 0.2 s of speech was clear enough to measure: "
                        "there the voice is loud, with high pitch")
    assert check_explanation(sentence + ".", record) == []
    clause = "only 0.2 s of speech was clear enough to measure"
    assert cues.text().startswith(f"Voice: {clause}, so its pace, pauses, intonation, pitch variation and articulation are unknown")
    assert _voice_line({**record["voice"], "prosody": {**cues.prosody, "arousal": "high"}}) == \
        f"high energy; {clause}: high pitch; loud voice"
    for said in (sentence, cues.text().split("in that stretch:")[1], _voice_line(record["voice"])):
        assert not any(w in said for w in ("fast", "pause", "falling", "varied"))


def test_the_demo_table_says_the_voice_was_measured_briefly():
    from types import SimpleNamespace

    demo = __import__("pytest").importorskip("affect_llm.demo.app")
    cues = voice_cues(True, _fragment(), "high", effort=1.5)
    record = {"face": {"frames_with_face": 0, "frames": 8, "found": False}, "voice": _record(cues)["voice"],
              "words": {}, "clip": {"summary": ""}, "candidates": ["angry"], "missing": []}
    table = demo.cues_markdown(SimpleNamespace(cues_dict=lambda: record, subtitle_source="none", subtitle=None,
                                               timings={}))
    assert "| voice | only 0.2 s of speech was clear enough to measure: high pitch; loud voice |" in table


def test_a_pace_or_pause_claimed_for_a_briefly_measured_voice_is_a_contradiction():
    record = _record(voice_cues(True, _fragment(), "high", effort=1.5))
    for planted, word in (("The voice is loud, with fast speech.", "fast"),
                          ("She speaks with no pauses.", "pauses"),
                          ("There is one long pause.", "pause"),
                          ("The pitch is varied and falling.", "varied")):
        faults = check_explanation(planted, record)
        assert [f.kind for f in faults][:1] == ["contradiction"], planted
        assert faults[0].text == word and "only 0.2 s of speech was clear enough to measure" in faults[0].why
    # saying what is unknown is what a faithful answer does
    assert check_explanation("Its pace and pauses are unknown, but the voice is loud.", record) == []
    # a record written before ``brief`` existed is judged by its active seconds
    from affect_llm.faithfulness import cueview
    from affect_llm.media import prosody

    old = {"voice": {k: v for k, v in record["voice"].items() if k != "brief"}}
    assert [f.kind for f in check_explanation("The speech is fast.", old)] == ["contradiction"]
    assert cueview.BRIEF_SPEECH_S == prosody.BRIEF_SPEECH_S  # the checker's copy of the floor


def test_a_voice_measured_long_enough_keeps_its_pace_and_pauses():
    cues = voice_cues(True, _fragment(active_s=2.5), "high", effort=1.5)
    assert not cues.brief and "fast speech" in cues.phrases and "1 pause (3.5 s)" in cues.phrases
    record = _record(cues)
    assert acoustic(record).startswith("In the audio, the voice is loud, with high, varied pitch")
    assert check_explanation("The speech is fast.", record) == []
    assert [f.why for f in check_explanation("The speech is slow.", record)] == \
        ["says the speech is slow, but the pace is fast (11.1 syllables/s)"]


def test_a_half_second_of_voicing_is_measured_briefly():
    import numpy as np

    from affect_llm.media.prosody import BRIEF_SPEECH_S, analyze_prosody

    sr = 16000
    t = np.arange(int(0.5 * sr)) / sr
    tone = sum(np.sin(2 * np.pi * 180.0 * h * t) / h for h in range(1, 6)).astype(np.float32) * 0.3
    silence = np.zeros(sr, np.float32)
    p = analyze_prosody(np.concatenate([silence, tone, silence]), sr)
    assert p.speech_found and 0 < p.active_s < BRIEF_SPEECH_S and p.brief
    said = " ".join(p.describe())
    assert said.startswith("medium pitch") and not any(w in said for w in ("pause", "speech", "pace", "intonation"))


def test_a_voice_over_background_noise_says_so_and_a_clean_one_does_not():
    """Where the background lies less than ``NOISE_SAID_DB`` (15 dB) under the voice, its effort is
    read mostly from its background-free spectrum (``media.prosody``), and the reader is told the
    recording was noisy."""
    noisy = voice_cues(True, replace(_prosody("loud", -20.0), background_snr_db=12.5), "high", effort=1.0)
    clean = voice_cues(True, replace(_prosody("loud", -20.0), background_snr_db=45.0), "high", effort=1.0)
    assert noisy.phrases[-1] == "noise in the background" and "noise in the background" not in clean.phrases
    # 17 dB: what a clean clip spoken from end to end can read (its quietest frames are speech)
    near = voice_cues(True, replace(_prosody("loud", -20.0), background_snr_db=17.0), "high", effort=1.0)
    assert "noise in the background" not in near.phrases
    assert noisy.prosody["background_snr_db"] == 12.5
    sentence = acoustic(_record(noisy))
    assert sentence.endswith("no pauses and noise in the background")
    assert check_explanation(sentence + ".", _record(noisy)) == []
    brief = voice_cues(True, replace(_fragment(), background_snr_db=12.5), "high", effort=1.5)
    assert brief.phrases == ["high pitch", "loud voice", "noise in the background"]


def test_the_articulation_behind_an_arousal_reading_is_named_and_held_to_its_measure():
    """Spectral flux weighs 0.3 of the voice's arousal; a real Urdu clip at +2.3 z was "moderate,
    with medium, steady pitch, ... moderate pace and 1 pause, which suggests a high-energy state":
    an inference with no measure named behind it."""
    crisp = voice_cues(True, replace(_prosody("loud", -20.0), background_snr_db=12.5), "high", effort=0.1, flux=2.3)
    assert crisp.phrases[-2:] == ["crisp articulation", "noise in the background"]  # the recording's note last
    assert crisp.prosody["articulation"] == "crisp"
    assert "smooth articulation" in voice_cues(True, _prosody("loud", -20.0), "low", effort=0.1, flux=-1.4).phrases
    ordinary = voice_cues(True, _prosody("loud", -20.0), None, effort=0.1, flux=0.6)
    assert not any("articulation" in p for p in ordinary.phrases) and "articulation" not in ordinary.prosody
    assert not any("articulation" in p for p in voice_cues(True, _fragment(), "high", effort=1.5, flux=2.3).phrases)
    record = _record(crisp)
    sentence = acoustic(record)
    assert "moderate pace, no pauses, crisp articulation and noise in the background" in sentence
    assert check_explanation(sentence + ", which suggests a high-energy state.", record) == []
    said = check_explanation("In the audio, the speaker's articulation is smooth and slurred.", record)
    assert [f.kind for f in said] == ["contradiction", "contradiction"]
    assert check_explanation("The articulation is smooth.", _record(ordinary)) == []  # nothing said to contradict
    brief = _record(voice_cues(True, _fragment(), "high", effort=1.5, flux=2.3))
    assert [f.kind for f in check_explanation("The articulation is crisp.", brief)] == ["contradiction"]
