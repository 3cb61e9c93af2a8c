"""``affect-llm chat``: the web demo (Gradio), or the same conversation in a terminal (``--tui CLIP``).

Both refuse text over ``MAX_FIELD_CHARS`` (``serve``'s limit) before any work: ``--subtitle`` is a
one-line error, exit 2; an over-long question line is answered with the reason, and the
conversation goes on.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..media.subtitle import MAX_FIELD_CHARS, MAX_WORDS
from .options import add_perception_options, add_upload_limits, positive_int
from .serve import check_port_free

QUIT = "/quit"
# Also taken as the end: what people type to leave a terminal conversation (a question is never just this).
QUIT_WORDS = frozenset({QUIT, "/exit", "quit", "exit", "bye", "q"})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat",
        help="chat demo in the browser (or --tui CLIP in the terminal): explanation, then follow-ups",
        description="A web page (Gradio) to pick an example clip or upload one and see the sampled "
        "frames, the face crops, the transcript, the cues, the explanation streamed token by token "
        "and the emotion words on a wheel; then ask follow-up questions about the same clip. With "
        "--tui CLIP, the same conversation in the terminal: the explanation, then one question per "
        f"line from stdin until end of input or {QUIT} (or quit, exit).",
        epilog="examples:\n"
        "  affect-llm chat                                  # http://127.0.0.1:7860\n"
        "  affect-llm chat --port 8080 --max-upload-mb 50 --max-seconds 60\n"
        "  affect-llm chat --tui examples/cheerful.mp4\n"
        "  echo 'why do you think she is happy?' | affect-llm chat --tui examples/cheerful.mp4\n\n"
        "The demo binds 127.0.0.1; --host 0.0.0.0 shows it to the network, without authentication.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--tui", metavar="CLIP", help="talk about CLIP in the terminal instead of the browser")
    p.add_argument("--subtitle", metavar="TEXT", help="with --tui: what the person says (skips transcription; "
                   f"cut to {MAX_WORDS} words, refused over {MAX_FIELD_CHARS:,} characters)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=7860, help="(default: %(default)s)")
    add_perception_options(p)
    p.add_argument("--followup-tokens", type=positive_int, default=96, metavar="N",
                   help="longest follow-up answer, in tokens (default: %(default)s)")
    add_upload_limits(p)
    p.add_argument("--examples", metavar="DIR",
                   help="folder of example clips to offer (default: the checkout's examples/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.tui:
        return run_tui(args)
    return run_web(args)


def run_web(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import InputError

    check_port_free(args.host, args.port)
    # The demo is offline: no usage statistics, no version check.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ..demo.app import build_demo, close, find_examples, launch
    from ..uploads import UploadLimits
    from .options import perceive_options

    examples = None
    if args.examples:
        folder = Path(args.examples)
        if not folder.is_dir():
            raise InputError(f"--examples {folder}: not a folder; give a folder of .mp4 clips")
        examples = find_examples(folder)
    limits = UploadLimits(max_mb=args.max_upload_mb, max_seconds=args.max_seconds)
    print(f"affect-llm chat: loading {args.model} ...", file=sys.stderr, flush=True)
    demo = build_demo(args.model, examples=examples, limits=limits, followup_tokens=args.followup_tokens,
                      perceive_options=perceive_options(args))
    launch(demo, args.host, args.port, limits, block=False)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"affect-llm chat: listening on {args.host}: anyone who can reach it can use the demo",
              file=sys.stderr)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"affect-llm chat: open http://{host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        demo.block_thread()
    finally:
        close(demo)  # and the uploads visitors left are deleted
    return 0


def run_tui(args: argparse.Namespace) -> int:
    from ..demo.conversation import Conversation, check_text_field
    from ..errors import InputError
    from ..models import load_model
    from ..perception import perceive
    from .options import perceive_options

    check_text_field("--subtitle text", args.subtitle)
    interactive = sys.stdin.isatty()
    # Perceive first: a bad clip fails in a second, before any model is loaded.
    perception = perceive(args.tui, perceive_options(args, args.subtitle))
    conv = Conversation(perception)
    cues = perception.cues
    print(f"== {perception.clip_id}")
    print(f"words ({perception.subtitle_source}): {perception.subtitle or '(none)'}")
    print(cues.face.text())
    print(cues.voice.text())
    print(f"evidence: {cues.fusion.summary()}; decision: {', '.join(cues.candidates)}"
          + (f"; missing: {', '.join(cues.missing)}" if cues.missing else ""))
    print(flush=True)
    model = load_model(args.model)
    answer = _stream_explanation(conv, model)
    print(f"emotions: {', '.join(answer.emotions)}")
    print(f"\nAsk about this clip, one question per line; {QUIT} or end of input to stop.", flush=True)
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:  # end of input
            if interactive:
                print()
            break
        question = line.strip()
        if not question:
            continue
        if question.lower().rstrip(".!") in QUIT_WORDS:
            break
        if not interactive:
            shown = question if len(question) <= 200 else question[:200] + "…"
            print(f"you> {shown}")  # piped input is not echoed by a terminal: show what was asked
        try:
            reply = conv.ask(model, question, max_new_tokens=args.followup_tokens)
        except InputError as exc:  # an over-long question: say why, keep the conversation
            reply = f"(not answered: {exc})"
        print(f"affect-llm> {reply}\n", flush=True)
    return 0


def _stream_explanation(conv, model):
    """Print the explanation as it is generated. In a terminal it is redrawn in place token by
    token (the parts are generated side by side, so text grows in the middle as well as at the
    end); into a pipe or file only the finished text is written, since it cannot be redrawn."""
    if not sys.stdout.isatty():
        answer = None
        for partial, final in conv.explain(model):
            if final:
                answer = partial
        print(answer.explanation, flush=True)
        return answer
    from rich.console import Console
    from rich.live import Live
    from rich.panel import Panel

    console = Console()
    answer = None
    with Live(Panel("…", title="explanation"), console=console, refresh_per_second=12) as live:
        for partial, final in conv.explain(model):
            live.update(Panel(partial.explanation or "…", title="explanation"))
            if final:
                answer = partial
    return answer
