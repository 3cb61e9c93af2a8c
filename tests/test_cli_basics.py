"""CLI start-up: --help works, and building the parser imports no heavy library."""

import subprocess
import sys


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "affect_llm", "--help"], capture_output=True, text=True, check=True)
    assert "describe" in out.stdout and "models" in out.stdout


def test_parser_is_lazy():
    code = ("import sys; from affect_llm.cli.main import build_parser; build_parser(); "
            "heavy = [m for m in ('torch', 'transformers', 'decord', 'cv2', 'whisper') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"--help imports heavy modules: {out.stdout}"


def test_no_command_prints_help_and_exits_2():
    out = subprocess.run([sys.executable, "-m", "affect_llm"], capture_output=True, text=True)
    assert out.returncode == 2 and "usage:" in out.stdout


def test_models_json_lists_default():
    import json

    out = subprocess.run([sys.executable, "-m", "affect_llm", "models", "--json"], capture_output=True,
                         text=True, check=True)
    rows = json.loads(out.stdout)
    assert rows[0]["name"] == "default"
    assert {r["name"] for r in rows} >= {"smollm2", "whisper-tiny.en", "mobilenet_v2", "fer-expression"}


def test_no_second_opinion_reaches_the_perception_options():
    from affect_llm.cli.main import build_parser
    from affect_llm.cli.options import perceive_options
    from affect_llm.perception import PerceiveOptions

    parser = build_parser()
    assert perceive_options(parser.parse_args(["describe", "x.mp4"])).second_opinion == \
        PerceiveOptions().second_opinion == "tiny.en"
    assert perceive_options(parser.parse_args(["describe", "x.mp4", "--no-second-opinion"])).second_opinion is None
