"""``affect-llm convert affectgpt CKPT.pth --llm QWEN_FOLDER --out FOLDER``: an upstream checkpoint as a model folder."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="turn an upstream AffectGPT checkpoint (.pth) into a model folder",
        description="Read upstream AffectGPT's {'model': state_dict} checkpoint (its LoRA and its "
        "attention-pooling / pre-fusion modules), build the same modules as `variant: reproduce` "
        "on the given LLM, and write a model folder (config.json, adapter.safetensors, llm_adapter/ "
        "with adapter_config.json). Unknown, missing or mis-shaped keys stop it with the list.",
        epilog="examples:\n"
        "  affect-llm convert affectgpt output/checkpoint_59.pth --llm ~/models/Qwen2.5-7B-Instruct "
        "--out models/affectgpt-upstream\n"
        "  affect-llm describe clip.mp4 --model models/affectgpt-upstream --question labels\n\n"
        "The streams read pre-extracted upstream features (precomputed: encoders) unless "
        "--audio-encoder / --video-encoder name real ones.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=["affectgpt"], help="what the checkpoint is (only upstream AffectGPT)")
    p.add_argument("checkpoint", help="upstream .pth file")
    p.add_argument("--llm", required=True, help="the LLM folder it was trained on (Qwen2.5-7B-Instruct)")
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--visual", choices=["faces", "frames", "both"], default="faces",
                   help="visual stream(s) in the prompt: faces (upstream's best setup, default), frames, both")
    p.add_argument("--tokens", type=int, default=1,
                   help="LLM tokens per stream (upstream's num_*_query_token; its configs use 1)")
    p.add_argument("--dtype", choices=["float16", "bfloat16", "float32"], default="float16",
                   help="LLM weights dtype (upstream: float16)")
    p.add_argument("--audio-encoder", default=None, help="audio encoder to record (default: precomputed)")
    p.add_argument("--video-encoder", default=None, help="visual encoder to record (default: precomputed)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..models.affectgpt.convert import ConvertOptions, convert_checkpoint

    if args.tokens < 1:
        raise InputError("--tokens must be >= 1")
    visual = ["faces", "frames"] if args.visual == "both" else [args.visual]
    opts = ConvertOptions(llm=args.llm, visual=visual, tokens=args.tokens, dtype=args.dtype,
                          audio_encoder=args.audio_encoder, video_encoder=args.video_encoder)
    folder = convert_checkpoint(args.checkpoint, args.out, opts)
    sys.stdout.write(json.dumps({"model": str(folder), "variant": "reproduce"}) + "\n")
    return 0
