"""``affect-llm infer``: answer a folder or manifest of clips into a resumable JSONL file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .options import add_perception_options, positive_int


def _workers_default() -> int:
    """One single-threaded perception worker per core, up to 4. On 2 cores, 2 workers beside the
    LLM process beat 1 (0.62 vs 0.53 clips/s on 16 example clips) and 3 or 4 (0.59, 0.57):
    while the first batch fills the LLM has nothing to do, so its cores are free."""
    return max(1, min(4, os.cpu_count() or 2))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infer",
        help="explain many clips (folder or manifest) into a JSONL file; resumable",
        description="Batch inference with the same pipeline as `describe`. Decoding and perception run "
        "in worker processes, pipelined with batched LLM generation. Results are appended and "
        "flushed per batch: rerun the same command after a crash or kill and finished clips are "
        "skipped. A clip that fails is recorded as {\"id\", \"error\", \"stage\"} and the run goes on.",
        epilog="inputs:\n"
        "  a folder            every video or sound file in it (id = file name without extension)\n"
        "  manifest.jsonl      {\"id\": \"c1\", \"video\": \"clips/c1.mp4\", \"subtitle\": \"...\"} per line\n"
        "  manifest.csv        columns id (or name), video (or path), optional subtitle\n"
        "  Relative video paths are relative to the manifest.\n\n"
        "examples:\n"
        "  affect-llm infer --input clips/ --output results.jsonl\n"
        "  affect-llm infer clips/ -o results.jsonl                        # the same\n"
        "  affect-llm infer --input test.jsonl --output out.jsonl --batch-size 16 --workers 3\n"
        "  affect-llm infer --input test.jsonl --output out.jsonl --score-with gold.jsonl\n"
        "  accelerate launch -m affect_llm infer --input big.jsonl --output out.jsonl   # one shard per GPU",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", nargs="?", metavar="DIR|FILE", help="the same as --input")
    p.add_argument("--input", metavar="DIR|FILE", help="folder of clips, .jsonl or .csv manifest")
    p.add_argument("--output", "-o", required=True, metavar="FILE", help="results JSONL (appended; resumable)")
    p.add_argument("--batch-size", type=positive_int, default=8, metavar="N",
                   help="clips per LLM generation batch (default: %(default)s)")
    p.add_argument("--workers", type=int, default=_workers_default(), metavar="N",
                   help="perception worker processes; 0 runs everything in one process "
                   "(default: %(default)s on this machine)")
    add_perception_options(p)
    p.add_argument("--question", choices=["description", "labels"], default="description",
                   help="what to ask a trained AffectGPT folder: its reasoning (default) or the list of emotions")
    p.add_argument("--score-with", metavar="GOLD.jsonl",
                   help="score the results against gold emotions at the end (affect-llm eval ovmer)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def _rank() -> tuple[int, int, int]:
    env = os.environ
    return int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0))


def _device(local_rank: int) -> str:
    try:
        import torch
    except ImportError:
        return "cpu"
    return f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..errors import InputError
    from ..inference import (InferOptions, ResultStore, collect_inputs, merge_parts, run_inference, shard,
                             skipped_files)
    from .options import perceive_options

    if args.workers < 0:
        raise InputError(f"--workers must be 0 or more, got {args.workers}")
    if args.input and args.source and Path(args.input) != Path(args.source):
        raise InputError(f"two inputs given ({args.source} and --input {args.input}): give one")
    args.input = args.input or args.source
    if not args.input:
        raise InputError("no input given: name a folder of clips or a .jsonl/.csv manifest "
                         "(affect-llm infer clips/ -o results.jsonl)")
    output = Path(args.output)
    items = collect_inputs(args.input)
    rank, world, local_rank = _rank()
    if rank == 0 and Path(args.input).is_dir() and (skipped := skipped_files(Path(args.input))):
        names = ", ".join(p.name for p in skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        print(f"skipping {len(skipped)} file{'s' if len(skipped) > 1 else ''} that {'are' if len(skipped) > 1 else 'is'} "
              f"not video or sound: {names}", file=sys.stderr)
    mine = shard(items, rank, world)
    part = output if world == 1 else output.with_name(f"{output.stem}.rank{rank}{output.suffix}")
    store = ResultStore(part)
    if world > 1 and output.exists():
        store.done |= ResultStore(output).done
    todo = sum(1 for it in mine if it.id not in store.done)
    options = InferOptions(model=args.model, batch_size=args.batch_size, workers=args.workers,
                           perceive=perceive_options(args), question=args.question)
    bar = tqdm(total=todo, unit="clip", desc=f"infer{f' rank {rank}' if world > 1 else ''}",
               disable=args.no_progress or todo == 0, file=sys.stderr, dynamic_ncols=True)
    try:
        summary = run_inference(mine, store, options, progress=bar.update, device=_device(local_rank))
    except KeyboardInterrupt:  # say what is kept: every answer written so far, and how to go on
        bar.close()
        kept = sum(1 for it in mine if it.id in store.done)
        print(f"interrupted: {kept} of {len(mine)} clips are answered in {part}; the same command goes on "
              f"from there", file=sys.stderr)
        raise
    finally:
        bar.close()
        store.close()
    if world > 1:
        output.with_name(f"{part.name}.done").touch()
        if rank != 0:
            return 0
        _wait_for_ranks(output, world)
        parts = [output.with_name(f"{output.stem}.rank{r}{output.suffix}") for r in range(world)]
        merge_parts(output, parts)
        for r, p in enumerate(parts):
            p.unlink(missing_ok=True)
            output.with_name(f"{p.name}.done").unlink(missing_ok=True)

    stages = ", ".join(f"{k}: {v}" for k, v in sorted(summary.failed_by_stage.items()))
    print(f"{summary.answered} answered, {summary.failed} failed{f' ({stages})' if stages else ''}, "
          f"{summary.skipped_done} already done; {summary.clips_per_s:.2f} clips/s -> {output}")
    if args.score_with:
        return _score(output, Path(args.score_with))
    return 0


def _wait_for_ranks(output: Path, world: int, timeout_s: float = 24 * 3600) -> None:
    deadline = time.monotonic() + timeout_s
    markers = [output.with_name(f"{output.stem}.rank{r}{output.suffix}.done") for r in range(world)]
    while not all(m.exists() for m in markers):
        if time.monotonic() > deadline:
            raise TimeoutError(f"ranks did not finish writing {output} parts in time")
        time.sleep(1.0)


def scoring_lines(output: Path) -> tuple[list[str], int]:
    """The result lines as the scorer reads them, and how many were failed clips: a failed clip
    is scored as an empty answer (no emotion named), so failures count against the score
    instead of stopping it. The ``error`` and ``stage`` are kept for the per-sample output."""
    import json

    lines, failed = [], 0
    for text in output.read_text(encoding="utf-8").splitlines():
        if not text.strip():
            continue
        record = json.loads(text)
        if "error" in record:
            failed += 1
            record = {"id": record["id"], "text": "", "error": record["error"], "stage": record.get("stage")}
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines, failed


def _score(output: Path, gold: Path) -> int:
    """Score ``output`` against ``gold`` (``eval ovmer``); its exit code becomes infer's."""
    import tempfile

    from .main import main as cli_main

    lines, failed = scoring_lines(output)
    note = f" ({failed} failed clip{'s' if failed != 1 else ''} scored as empty answers)" if failed else ""
    print(f"scoring {output} against {gold}{note}:")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="affect-llm-score-") as tmp:
        preds = Path(tmp) / output.name
        preds.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        code = cli_main(["eval", "ovmer", "--pred", str(preds), "--gold", str(gold)])
    if code:
        print(f"affect-llm: error: scoring {output} against {gold} failed (see above); the results "
              "themselves are complete", file=sys.stderr)
    return code
