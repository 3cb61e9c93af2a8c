"""Command-line interface. Each sub-command lives in its own module with two functions:
``register(subparsers)`` (cheap: argparse only) and ``run(args) -> int`` (imports what it needs)."""
