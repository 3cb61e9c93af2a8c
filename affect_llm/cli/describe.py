"""``affect-llm describe CLIP``: explain the emotions in one clip."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .options import add_perception_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="explain which emotions a person in a clip shows, and why",
        description="Decode a clip, read the face, voice and words, and explain the emotions "
        "shown, citing visual, acoustic and verbal clues.",
        epilog="examples:\n"
        "  affect-llm describe examples/cheerful.mp4\n"
        "  affect-llm describe clip.mp4 --subtitle \"Leave me alone.\" --frames 16\n"
        "  affect-llm describe clip.mp4 --model ./my-finetuned-model --json\n\n"
        "Words come from --subtitle, else a sidecar CLIP.srt / CLIP.txt, else Whisper.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", help="video file (mp4, mkv, avi, webm, ...)")
    p.add_argument("--subtitle", metavar="TEXT", help="what the person says (skips transcription)")
    add_perception_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    p.set_defaults(run=run)


def describe_one(args: argparse.Namespace) -> dict:
    """Perceive and answer one clip; returns the JSON-able result."""
    from ..models import load_model
    from ..perception import PerceiveOptions, perceive
    from ..results import result_record

    start = time.perf_counter()
    options = PerceiveOptions(num_frames=args.frames, subtitle=args.subtitle, whisper=args.whisper,
                              transcribe=not args.no_transcribe)
    perception = perceive(args.clip, options)
    t0 = time.perf_counter()
    model = load_model(args.model)
    _ = model.llm  # load now so its time is reported apart from generation
    t1 = time.perf_counter()
    answer = model.answer([perception])[0]
    t2 = time.perf_counter()
    timings = dict(perception.timings, model_load_s=round(t1 - t0, 4), generate_s=round(t2 - t1, 4),
                   total_s=round(t2 - start, 4))
    return result_record(perception, answer, model.name, timings)


def render(result: dict) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    console = Console()
    cues = result["cues"]
    console.print(Panel(result["explanation"], title=f"[bold]{result['id']}[/] — explanation",
                        subtitle=f"model: {result['model']}"))
    src = "" if result["emotions_source"] == "llm" else " (from the cue vote: the model named none)"
    console.print(f"[bold]Emotions:[/] {', '.join(result['emotions'])}{src}")
    table = Table(title="Cues", show_header=False, box=None)
    face = cues["face"]
    table.add_row("face", f"{face['frames_with_face']}/{face['frames']} frames"
                  + (f", mostly {face['dominant']} ({face['first_half']} → {face['second_half']})" if face["found"] else ""))
    voice = cues["voice"]
    table.add_row("voice", "; ".join(voice["phrases"]) if voice["speech_found"]
                  else ("no audio track" if not voice["audio_track"] else "no clear speech"))
    words = cues["words"]
    table.add_row("words", f"\"{words['subtitle']}\" ({cues['subtitle_source']})" if words["subtitle"] else "none")
    table.add_row("cue vote", ", ".join(cues["candidates"]))
    if cues["missing"]:
        table.add_row("missing", ", ".join(cues["missing"]))
    clip = cues["clip"]
    table.add_row("clip", f"{clip['duration_s']:.1f} s, {clip['width']}x{clip['height']} @ {clip['fps']:.1f} fps, "
                  f"{clip['frames_sampled']} frames sampled" + (" (downscaled)" if clip["downscaled"] else ""))
    console.print(table)
    t = result["timings"]
    console.print("[dim]timings: " + ", ".join(f"{k[:-2]} {v:.2f}s" for k, v in t.items()) + "[/]")


def run(args: argparse.Namespace) -> int:
    if args.json:
        result = describe_one(args)
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console

    with Console(stderr=True).status(f"describing {args.clip} ..."):
        result = describe_one(args)
    render(result)
    return 0
