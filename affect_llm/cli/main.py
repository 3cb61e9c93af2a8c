"""``affect-llm``: the entry point. Only argparse is imported here, so ``--help`` is instant."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# OpenMP threads that wait for work sleep instead of spinning. libgomp's default spin between the
# many small parallel regions of token-by-token decoding took the CPU from the thread doing the
# work whenever other processes shared the cores: a warm answer took 28-146 s in the main thread
# against 4-9 s with this setting (2 shared cores under load). libgomp reads it once, when torch
# first loads it, so it is set here before anything imports torch; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .. import __version__
from ..errors import AffectError

# Sub-command modules, in the order --help lists them.
COMMANDS = ("describe", "infer", "models", "evaluate", "extract", "chat", "serve", "train", "data", "convert")

EPILOG = """\
examples:
  affect-llm describe examples/cheerful.mp4            explain the emotions in a clip
  affect-llm describe clip.mp4 --subtitle "I did it!"  give the words instead of transcribing
  affect-llm describe clip.mp4 --json                  one JSON object, for scripts
  affect-llm models                                    which models are ready

Models and caches: converted weights are kept in $AFFECT_LLM_CACHE (default ~/.cache/affect-llm).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="affect-llm",
        description="Explainable multimodal emotion reasoning: which emotions a person in a video "
        "clip shows, and the visual, acoustic and verbal clues behind them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"affect-llm {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more logging (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"{__package__}.{name.replace('-', '_')}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except AffectError as exc:
        print(f"affect-llm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("affect-llm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
