"""The loudness an explanation names is the voice's vocal effort, never the recording level."""

from __future__ import annotations

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
