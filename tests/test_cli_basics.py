"""CLI start-up: --help works, and building the parser imports no heavy library."""

import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _messages_of(logger_name: str) -> Iterator[list[str]]:
    """The messages a logger handles while the block runs (after its own filters)."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler = Keep()
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


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


def test_first_run_model_conversion_holds_back_deepspeed_warnings(caplog):
    """transformers imports DeepSpeed inside save_pretrained on the first run's GGUF conversion,
    and DeepSpeed warns "Setting accelerator to CPU ..." on every CPU machine; errors still pass."""
    from affect_llm.llm import _deepspeed_quiet

    ds_log = logging.getLogger("DeepSpeed")
    with _messages_of("DeepSpeed") as seen:
        with _deepspeed_quiet():
            ds_log.warning("Setting accelerator to CPU.")
            ds_log.error("a real failure")
        ds_log.warning("after the conversion")
    assert seen == ["a real failure", "after the conversion"]


def test_the_one_time_conversion_prints_no_progress_bars_of_its_dependencies(capsys):
    """The bundled GGUF's conversion ran transformers' bars ("Converting and de-quantizing GGUF
    tensors...", a plain tqdm, and "Writing model shards") into every first run, batch and
    server logs included; the log line before it says what happens. Log lines still show, and
    transformers' bars are switched back on afterwards."""
    from tqdm.auto import tqdm
    from transformers.utils import logging as hf_logging

    from affect_llm.llm import _bars_quiet

    log = logging.getLogger("affect_llm.test_bars")
    was_on = hf_logging.is_progress_bar_enabled()  # another test may have switched them off
    hf_logging.enable_progress_bar()
    try:
        with _messages_of("affect_llm.test_bars") as records, _bars_quiet():
            for _ in tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
                pass
            for _ in hf_logging.tqdm(range(3), desc="Writing model shards"):
                pass
            assert not hf_logging.is_progress_bar_enabled()
            log.warning("still logged")
        assert hf_logging.is_progress_bar_enabled()
    finally:
        if not was_on:
            hf_logging.disable_progress_bar()
    err = capsys.readouterr().err
    assert "GGUF tensors" not in err and "model shards" not in err
    assert records == ["still logged"]
