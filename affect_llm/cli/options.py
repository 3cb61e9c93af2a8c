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


def language_code(text: str) -> str | None:
    """``--language``: a lower-case code such as ``es`` or ``zh``; ``auto``/``detect`` -> None.

    Only the shape is checked here (argparse stays cheap to import); whether Whisper knows the
    language is checked when the audio is transcribed.
    """
    code = text.strip().lower()
    if code in ("", "auto", "detect"):
        return None
    if not code.replace("-", "").isalpha() or len(code) > 20:
        raise argparse.ArgumentTypeError(f"expected a language code such as en, es or zh, got {text!r}")
    return code


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
    p.add_argument("--whisper", default="base", metavar="SPEC",
                   help="speech model: 'base' (multilingual: detects the language and translates to "
                   "English), 'tiny.en' (English only, faster), an openai-whisper .pt file or a "
                   "Hugging Face Whisper folder (default: %(default)s)")
    p.add_argument("--language", type=language_code, default=None, metavar="CODE",
                   help="spoken language as an ISO 639-1 code (en, es, zh, ...); non-English speech "
                   "always uses the multilingual model (default: detect)")
    p.add_argument("--no-transcribe", action="store_true", help="never run Whisper")
    p.add_argument("--no-second-opinion", action="store_true",
                   help="English speech is heard by Whisper tiny.en too, and words the two models hear "
                   "differently are marked as doubtful; this skips that second pass (faster, fewer "
                   "misheard words caught)")


def perceive_options(args: argparse.Namespace, subtitle: str | None = None):
    """The ``PerceiveOptions`` the perception options above describe (one place for every command)."""
    from ..perception import PerceiveOptions

    return PerceiveOptions(num_frames=args.frames, subtitle=subtitle, whisper=args.whisper,
                           transcribe=not args.no_transcribe, language=args.language,
                           **({"second_opinion": None} if args.no_second_opinion else {}))
