"""``affect-llm data ...``: make training manifests (MER-Caption+ import, synthetic clips)."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="make training manifests (MER-Caption+ import, synthetic dataset)",
                       description="Build JSONL manifests in the MER-Caption style: "
                       '{"id", "video", "subtitle"?, "description", "emotions"?}, video paths relative '
                       "to the manifest.")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    imp = dsub.add_parser(
        "import-mer", help="MER2025 / MER-Caption+ CSVs -> JSONL manifest",
        description="Read track2_train_mercaptionplus.csv (name, openset), track3_train_mercaptionplus.csv "
        "(name, reason), subtitle_chieng.csv (name, english; or sentence, as OV-MERD+), video/<name>.mp4 and, "
        "when there, openface_face/<name>/<name>.npy face crops and audio/<name>.wav from ROOT. Training then "
        "reads the release's faces and audio instead of extracting its own.\n\n"
        "An empty openset ([]) becomes the label 'neutral', as AffectGPT trains it. Samples are the union of "
        "the names in track 2 and track 3 (AffectGPT iterates track 2's and needs each in track 3; on the "
        "MER2025 release both list the same names, so the result is the same).",
        epilog="example:\n  affect-llm data import-mer /data/MER2025 --out data/mercaptionplus.jsonl --on-error skip",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("root", help="the MER2025 folder")
    imp.add_argument("--out", required=True, help="manifest to write (.jsonl)")
    imp.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                     help="a bad CSV row or missing clip: stop, or skip it (each one reported) (default: %(default)s)")
    imp.add_argument("--track2", default="track2_train_mercaptionplus.csv", help="emotion-list CSV (name, openset)")
    imp.add_argument("--track3", default="track3_train_mercaptionplus.csv", help="caption CSV (name, reason)")
    imp.add_argument("--subtitles", default="subtitle_chieng.csv", help="subtitle CSV (name, english or sentence)")
    imp.add_argument("--video-dir", default="video", help="clip folder inside ROOT (default: %(default)s)")
    imp.add_argument("--face-dir", default="openface_face",
                     help="OpenFace crops inside ROOT, <name>/<name>.npy or <name>.npy (default: %(default)s)")
    imp.add_argument("--audio-dir", default="audio", help="<name>.wav folder inside ROOT (default: %(default)s)")
    imp.set_defaults(run=run_import)

    syn = dsub.add_parser(
        "synth", help="synthetic clips whose emotion only the audio, only the video, or both carry",
        description="Write OUT/clips/*.mp4, OUT/train.jsonl and OUT/val.jsonl for the learnability proof "
        "(tone pitch or screen colour encodes the emotion; conflicting clips name both). Needs ffmpeg.")
    syn.add_argument("out", help="output folder")
    syn.add_argument("--train-per-class", type=int, default=12)
    syn.add_argument("--val-per-class", type=int, default=6)
    syn.add_argument("--seed", type=int, default=0)
    syn.set_defaults(run=run_synth)
    cache = dsub.add_parser(
        "cache", help="run the frozen encoders once per clip of a training config into the feature cache",
        description="Encode every clip of the config's data.train and data.val manifests that is not cached "
        "yet (the first thing `affect-llm train` does). Run it under torchrun to split the clips over "
        "processes. Bad lines and unreadable clips are reported as FILE:LINE.",
        epilog="examples:\n  affect-llm data cache train/configs/smollm2_cpu.yaml\n"
        "  torchrun --nproc_per_node 8 -m affect_llm data cache train/configs/qwen7b_zero2.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cache.add_argument("config", help="training YAML")
    cache.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cache.set_defaults(run=run_cache)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def run_import(args: argparse.Namespace) -> int:
    from ..training.mer import import_mer

    stats = import_mer(args.root, args.out, args.on_error, args.track2, args.track3, args.subtitles, args.video_dir,
                       args.face_dir, args.audio_dir)
    sys.stdout.write(f"wrote {stats.written} samples to {stats.out} ({stats.with_description} with a description, "
                     f"{stats.with_emotions} with emotions ({stats.neutral} empty lists as 'neutral'), "
                     f"{stats.with_subtitle} with a subtitle, {stats.with_faces} with OpenFace faces, "
                     f"{stats.with_audio} with a .wav; {stats.skipped} bad rows skipped)\n")
    return 0


def run_cache(args: argparse.Namespace) -> int:
    import os

    from ..features.extract import FeatureExtractor
    from ..training.config import load_train_config
    from ..training.data import Problems, read_manifest, read_sources
    from ..training.distributed import setup_distributed
    from ..training.recipe import prepare_features

    config = load_train_config(args.config, [*args.overrides, "data.features=cache"])
    dist = setup_distributed(config)
    extractor = FeatureExtractor.from_config(config.model).to(dist.device)
    problems = Problems(config.data.on_error, report=dist.main)
    samples = [s for src in read_sources(config.data.train, problems) for s in src.samples]
    if config.data.val:
        samples += read_manifest(config.data.val, problems)
    kept, source = prepare_features(config, extractor, dist, samples, problems)
    dist.close()
    if int(os.environ.get("RANK", "0")) == 0:
        sys.stdout.write(f"{len(set(source.digests))} clips cached for {len(kept)} samples in {source.cache.dir}\n")
    return 0


def run_synth(args: argparse.Namespace) -> int:
    from ..training.synthetic import make_dataset

    manifests = make_dataset(args.out, args.train_per_class, args.val_per_class, args.seed)
    sys.stdout.write(json.dumps({k: str(v) for k, v in manifests.items()}) + "\n")
    return 0
