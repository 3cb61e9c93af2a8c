"""``affect-llm describe`` end to end on real clips and real bundled weights, and every bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from affect_llm.cli.main import main

REQUIRED_KEYS = {"id", "explanation", "emotions", "cues", "model", "timings"}


def describe_json(capsys, *args: str) -> dict:
    code = main(["describe", *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "affect_llm", *args], capture_output=True, text=True,
                          timeout=600)


def test_describe_example_clip_console_script(example_clips):
    """The demo path, as a user runs it: a real process, the committed example clip."""
    proc = cli("describe", str(example_clips["cheerful"]), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert REQUIRED_KEYS <= result.keys()
    assert result["id"] == "cheerful" and result["model"] == "default"
    assert len(result["explanation"].split()) >= 15
    assert result["emotions"] and all(isinstance(w, str) and w for w in result["emotions"])
    cues = result["cues"]
    assert cues["face"]["found"] and cues["voice"]["speech_found"]
    assert cues["subtitle_source"] == "whisper" and "news" in cues["words"]["subtitle"].lower()
    assert cues["missing"] == []
    assert result["timings"]["total_s"] > 0


def test_a_shouted_complaint_over_a_smiling_portrait_is_answered_angry(capsys, example_clips, fast_model):
    """``examples/angry.mp4``: "This is completely unacceptable!" shouted over a still smiling
    portrait. The portrait's mouth never moves while the speech is heard, so it weighs less
    (``evidence.face``) and the words decide; the smile is still named as a conflict, with why it lost."""
    from affect_llm.faithfulness import check_explanation

    result = describe_json(capsys, str(example_clips["angry"]), "--model", str(fast_model))
    cues = result["cues"]
    assert result["emotions"][0] == "angry"
    assert cues["face"]["still"] is True and cues["evidence"]["face"]["pool_share"] == 0.25
    assert cues["fusion"]["expressed"]["face"] == "happy" and cues["fusion"]["conflicts"]
    assert "mouth does not move while speech is heard" in result["explanation"]
    assert check_explanation(result["explanation"], cues) == []


def test_human_report(capsys, good_clip):
    assert main(["describe", str(good_clip), "--subtitle", "I passed the exam!"]) == 0
    out = capsys.readouterr().out
    assert "explanation" in out and "Emotions:" in out and "timings:" in out
    assert "I passed the exam!" in out
    # the voice row leads with what the voice shows: its energy (fusion rule 5)
    assert re.search(r"voice\s+\S+\s+.*(high|moderate|low) energy;", out)


def test_user_subtitle_wins_over_whisper(capsys, good_clip):
    result = describe_json(capsys, str(good_clip), "--subtitle", "Leave me alone.", "--frames", "4")
    assert result["cues"]["words"]["subtitle"] == "Leave me alone."
    assert result["cues"]["subtitle_source"] == "user"
    assert "transcribe_s" not in result["timings"]
    assert result["cues"]["clip"]["frames_sampled"] == 4


def test_sidecar_srt_is_used(capsys, good_clip, tmp_path):
    clip = tmp_path / "withsrt.mp4"
    clip.write_bytes(good_clip.read_bytes())
    (tmp_path / "withsrt.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nWhat a <i>lovely</i> day!\n")
    result = describe_json(capsys, str(clip))
    assert result["cues"]["words"]["subtitle"] == "What a lovely day!"
    assert result["cues"]["subtitle_source"] == "sidecar-srt"


def test_no_audio_track_is_a_degraded_result(capsys, silent_clip):
    result = describe_json(capsys, str(silent_clip))
    cues = result["cues"]
    assert "audio" in cues["missing"] and "words" in cues["missing"]
    assert cues["voice"]["audio_track"] is False
    assert result["emotions"]
    assert "no audio track" in result["sections"]["acoustic"]
    assert result["grounding"]["acoustic"] == result["grounding"]["verbal"] == "rendered"


def test_no_face_is_a_degraded_result(capsys, noface_clip):
    result = describe_json(capsys, str(noface_clip), "--subtitle", "This is completely unacceptable!")
    assert "face" in result["cues"]["missing"]
    assert result["cues"]["face"]["frames_with_face"] == 0
    assert "no face can be seen" in result["sections"]["visual"]


def test_a_sound_only_recording_is_answered_without_a_face(capsys, audio_only):
    """A voice memo (sound only): heard and answered; the picture and the face are missing, and
    the visual sentence says there is nothing to see rather than that no face was found."""
    from affect_llm.faithfulness import check_explanation

    result = describe_json(capsys, str(audio_only))
    cues = result["cues"]
    assert cues["missing"][:2] == ["picture", "face"] and "audio" not in cues["missing"]
    assert cues["clip"]["frames_sampled"] == 0 and cues["clip"]["summary"].endswith("sound only")
    assert "memo" in cues["words"]["subtitle"].lower()  # heard (espeak: some words with doubt)
    assert result["sections"]["visual"].startswith("Visually, there is nothing to see")
    assert result["emotions"] and check_explanation(result["explanation"], cues) == []


def test_huge_resolution_is_downscaled(capsys, huge_clip):
    result = describe_json(capsys, str(huge_clip), "--frames", "2")
    clip = result["cues"]["clip"]
    assert (clip["width"], clip["height"]) == (4000, 3000) and clip["downscaled"] is True


@pytest.mark.parametrize("case", ["missing_path", "zero_byte", "truncated_mp4", "text_as_mp4", "no_streams"])
def test_bad_input_is_one_line_exit_2(bad_inputs, case):
    path: Path = bad_inputs[case]
    proc = cli("describe", str(path))
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("affect-llm: error:")]
    assert len(lines) == 1 and path.name in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_directory_instead_of_clip(capsys, tmp_path):
    assert main(["describe", str(tmp_path)]) == 2
    assert str(tmp_path.name) in capsys.readouterr().err


def test_bad_frames_argument(capsys, good_clip):
    with pytest.raises(SystemExit) as exc:
        main(["describe", str(good_clip), "--frames", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("setup", ["absent", "no_config", "bad_json", "unknown_arch", "broken_llm"])
def test_model_path_failures_name_the_folder(capsys, tmp_path, good_clip, setup):
    folder = tmp_path / "my-model"
    if setup != "absent":
        folder.mkdir()
    if setup == "bad_json":
        (folder / "config.json").write_text("{not json")
    if setup == "unknown_arch":
        (folder / "config.json").write_text(json.dumps({"affect_llm": {"architecture": "mystery"}}))
    if setup == "broken_llm":  # looks like a HF LLM folder, holds no weights
        (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}))
    code = main(["describe", str(good_clip), "--model", str(folder), "--subtitle", "hi", "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "my-model" in err and "Traceback" not in err
