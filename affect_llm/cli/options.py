"""Argument types and option groups shared by the sub-commands (argparse only: cheap to import)."""

from __future__ import annotations

import argparse


def _number(text: str, cast: type, kind: str) -> float:
    try:
        return cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float, "a number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value:g}")
    return value


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def add_upload_limits(p: argparse.ArgumentParser) -> None:
    """The upload bounds ``serve`` and ``chat`` share."""
    p.add_argument("--max-upload-mb", type=positive_float, default=200.0, metavar="MB",
                   help="largest accepted upload (default: %(default)g)")
    p.add_argument("--max-seconds", type=positive_float, default=120.0, metavar="S",
                   help="longest accepted clip, in seconds (default: %(default)g)")


def add_perception_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default",
                   help="'default' (embedded, no training) or a model folder (default: %(default)s)")
    p.add_argument("--frames", type=positive_int, default=8, metavar="N",
                   help="frames sampled uniformly from each clip (default: %(default)s)")
    p.add_argument("--whisper", default="bundled", metavar="SPEC",
                   help="speech model: 'bundled' (tiny.en), an openai-whisper .pt file or a Hugging "
                   "Face Whisper folder (default: %(default)s)")
    p.add_argument("--no-transcribe", action="store_true", help="never run Whisper")
