"""Speech the pitch tracker cannot measure is still heard: a whispered sentence (no voicing at
all) and real recordings with a creaky, codec-worn voice were answered as silent clips."""

from __future__ import annotations

from affect_llm.faithfulness import check_explanation
from affect_llm.media.prosody import analyze_prosody


def test_whispered_speech_is_transcribed_and_no_tone_is_claimed(media_dir, make_examples):
    from affect_llm.media.clip import read_clip
    from affect_llm.models import load_model
    from affect_llm.perception import PerceiveOptions, perceive

    m = make_examples
    clip = m.make_clip(media_dir / "whispered.mp4", m.gradient_image(128, 128),
                       "I think I left my keys at the office yesterday.", ["-v", "en+whisper", "-s", "150"],
                       None, 128, 12, preset="ultrafast")
    decoded = read_clip(clip)
    prosody = analyze_prosody(decoded.audio, decoded.sample_rate)
    assert not prosody.speech_found and prosody.active_s > 1.0  # no pitch, plenty of sound

    p = perceive(clip, PerceiveOptions())
    cues = p.cues.to_dict()
    assert "office" in (p.subtitle or "") and p.subtitle_source == "whisper"
    assert cues["voice"]["speech_found"] and cues["voice"]["tone_measured"] is False
    assert "speech" not in cues["missing"] and cues["evidence"]["voice"]["reliability"] == 0
    answer = load_model("default").answer([p])[0]
    assert "its pitch could not be tracked" in answer.sections["acoustic"]
    assert answer.grounding["acoustic"] == "rendered"
    assert check_explanation(answer.explanation, cues) == []
    # The checker holds claims about the voice to what was measured: nothing.
    assert check_explanation("The voice is loud and high-pitched.", cues)
