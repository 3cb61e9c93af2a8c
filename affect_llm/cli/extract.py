"""``affect-llm extract``: the emotion words the scorer reads in a text, as JSON."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "extract", help="list the emotion words in a text (what the scorer reads)",
        description="Print the emotion words found in free text as JSON: lemmatised, negated words "
                    "left out, hedges kept as intensity.",
        epilog='example:\n  affect-llm extract --text "She is not angry, just slightly nervous."',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text ('-' reads standard input)")
    src.add_argument("--file", metavar="PATH", help="read the text from a file")
    p.add_argument("--extractor", choices=("rules", "llm"), default="rules",
                   help="rules (default) or llm (a local instruct model)")
    p.add_argument("--llm", default="smollm2", metavar="MODEL",
                   help="model for --extractor llm: 'smollm2' (bundled) or a local HF folder")
    p.add_argument("--table", action="store_true", help="print a table instead of JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..scoring import SCORER_VERSION
    from ..scoring.extract import get_extractor

    if args.file:
        try:
            text = open(args.file, encoding="utf-8", errors="replace").read()  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    elif args.text == "-":
        text = sys.stdin.read()
    else:
        text = args.text
    extractor = get_extractor(args.extractor, args.llm)
    result = extractor.extract(text).to_dict()
    extractor.save()
    result["scorer_version"] = SCORER_VERSION
    if args.table:
        from ..scoring.report import print_extraction

        print_extraction(result)
    else:
        print(json.dumps(result, ensure_ascii=False))
    return 0
