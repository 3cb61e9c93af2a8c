"""Two people in the picture, one speaking: is the speaker's face the one read?

    python eval/two_faces.py build SRC_DIR OUT_DIR --listener still|talking [--layout side|cut] [--limit N]
    python eval/two_faces.py measure OUT_DIR [--json out.json]

Why: a real clip is often a two-shot (an interview, a scene from a series) where the largest
face is the listener's, or cuts between speaker and listener. No labelled multi-person clip is
at hand, so ``build`` makes them from a labelled corpus of one person speaking on camera
(``labels.csv``: ``path,label,speaker,...``, as ``eval/real_video_eval.py`` reads; the Javanese
AV corpus here): each clip, with its own sound, with a *listener*, another actor of the corpus
shown 1.25 times larger. The listener is

* ``still``: one frame of that actor's neutral clip, held (a listener who does not speak: real
  listeners blink and nod, so this is the easy case);
* ``talking``: that actor's neutral clip, muted (both mouths move: who is heard cannot be seen,
  so no rule can do better than a guess; it shows what happens then).

and the two are put together in one of two layouts:

* ``side`` (a two-shot, the default): side by side in every frame, the speaker on the left or the
  right in turn;
* ``cut`` (shot and reverse shot, as a film or a series cuts between speaker and listener): the
  speaker's own picture, then, from ``CUT_AT[0]`` to ``CUT_AT[1]`` of the clip, the listener's
  (framed ``LISTENER_SCALE`` times closer), then the speaker's again. Of the 8 sampled frames,
  4 show the listener; no frame holds two faces.

The composites and a ``labels.csv`` (the speaker's gold label, ``side``: where the speaker is, or
``cut``) go to ``OUT_DIR``; ``eval/real_video_eval.py OUT_DIR`` answers them with the whole pipeline.

``measure`` reads each composite as ``describe`` does (``media.clip.read_clip``, 8 frames,
``media.faces.detect_faces`` told whether speech was heard, the expression model) and counts how
often the face read is the speaker's (its box centre on the speaker's side in most frames; in the
``cut`` layout, seen in some frame and in none of the listener's) and how often the face
channel's top label is the speaker's gold label; ``--largest`` reads the largest person's face
instead, as ``describe`` did before it told speakers apart. Measured only: the corpus is never
shipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEIGHT = 270  # the speaker's picture height, pixels
LISTENER_SCALE = 1.25  # the listener is shown this much larger, so the largest face is theirs
FRAMES = 8  # sampled per clip, as ``describe`` samples
CUT_AT = (0.25, 0.75)  # the cut layout shows the listener over this share of the clip: the cuts
# fall halfway between two of the 8 sampled frames, 4 of which show the listener


def _rows(folder: Path) -> list[dict]:
    with open(folder / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def _listener_for(row: dict, rows: list[dict]) -> dict:
    """Another actor's neutral clip: the next speaker (in the corpus's order) who has one."""
    speakers = sorted({r["speaker"] for r in rows})
    start = speakers.index(row["speaker"])
    for step in range(1, len(speakers)):
        other = speakers[(start + step) % len(speakers)]
        neutral = [r for r in rows if r["speaker"] == other and r["label"] == "neutral"]
        if neutral:
            return neutral[0]
    raise SystemExit("labels.csv: no other speaker has a neutral clip to serve as the listener")


def build(src: Path, out: Path, listener: str, limit: int | None, layout: str = "side") -> None:
    rows = _rows(src)[:limit] if limit else _rows(src)
    everyone = _rows(src)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    tall = round(HEIGHT * LISTENER_SCALE) // 2 * 2
    written = []
    for i, row in enumerate(rows):
        other = _listener_for(row, everyone)
        name = f"clips/{Path(row['path']).stem}__{listener}{'_cut' if layout == 'cut' else ''}.mp4"
        side = "cut" if layout == "cut" else "left" if i % 2 == 0 else "right"
        speaker_in = ["-i", str(src / row["path"])]
        if listener == "still":
            listener_in = ["-ss", "1.0", "-i", str(src / other["path"])]
            hold = "trim=end_frame=1,loop=loop=-1:size=1,setpts=N/FRAME_RATE/TB,"
        else:
            listener_in = ["-stream_loop", "-1", "-i", str(src / other["path"])]
            hold = ""
        if layout == "cut":  # the listener's picture, framed closer, over the speaker's in the middle
            start, end = (round(share * _duration(src / row["path"]), 3) for share in CUT_AT)
            graph = (f"[0:v]scale=-2:{HEIGHT},setsar=1[s];"
                     f"[1:v]{hold}scale=-2:{tall},crop=iw/{LISTENER_SCALE}:{HEIGHT},setsar=1[l];"
                     f"[s][l]overlay=(W-w)/2:0:shortest=1:enable='between(t,{start},{end})',fps=30[v]")
        else:
            graph = (f"[0:v]scale=-2:{HEIGHT},pad=iw:{tall}:0:({tall}-ih)/2:color=gray,setsar=1[s];"
                     f"[1:v]{hold}scale=-2:{tall},setsar=1[l];"
                     + ("[s][l]" if side == "left" else "[l][s]") + "hstack=inputs=2:shortest=1,fps=30[v]")
        cmd = ["ffmpeg", "-y", "-v", "error", *speaker_in, *listener_in, "-filter_complex", graph,
               "-map", "[v]", "-map", "0:a", "-shortest", "-c:v", "libx264", "-crf", "20",
               "-pix_fmt", "yuv420p", "-c:a", "aac", str(out / name)]
        subprocess.run(cmd, check=True)
        written.append({"path": name, "label": row["label"], "speaker": row["speaker"],
                        "language": row.get("language", ""), "side": side, "listener": other["path"]})
        print(f"{i + 1}/{len(rows)} {name}", end="\r", flush=True)
    with open(out / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(written[0]))
        w.writeheader()
        w.writerows(written)
    print(f"\n{len(written)} composites in {out}")


def _duration(path: Path) -> float:
    """Seconds of the clip's video, from its index (``uploads.probe_duration``): the frames
    ``read_clip`` samples are spread over exactly these."""
    from affect_llm.uploads import probe_duration

    seconds = probe_duration(path)
    if seconds is None:
        raise SystemExit(f"{path}: its duration cannot be read")
    return seconds


def _read(path: Path, choose: bool) -> dict:
    from affect_llm.evidence.face import face_evidence
    from affect_llm.media.clip import read_clip
    from affect_llm.media.faces import detect_faces
    from affect_llm.perception import face_channel, listen

    clip = read_clip(path, num_frames=FRAMES)
    _, speech = listen(clip.audio, clip.sample_rate, {})
    track = detect_faces(clip.frames, speech_heard=choose and bool(speech))
    probs, cues = face_channel(track)
    width = clip.frames.shape[2]
    sides = Counter("left" if x + w / 2 < width / 2 else "right" for x, _, w, _ in filter(None, track.boxes))
    n = len(track.found)
    listener_frames = sum(track.found[i] for i in range(n) if _shows_listener(i, n))
    ev = face_evidence(probs, track.found, cues.frames)
    top = [label for label, _ in ev.top(1)] if ev.present else []
    return {"side_read": sides.most_common(1)[0][0] if sides else None, "people": track.people,
            "chosen_by": track.chosen_by, "face_top": top[0] if top else None,
            "mouth_motion": cues.mouth_motion, "frames_read": int(track.found.sum()),
            "listener_frames_read": int(listener_frames), "shots": track.shots}


def _shows_listener(i: int, n: int) -> bool:
    """Whether sampled frame ``i`` of ``n`` falls in the listener's shot of a ``cut`` composite
    (``read_clip`` samples the centres of ``n`` equal segments)."""
    return CUT_AT[0] <= (i + 0.5) / n < CUT_AT[1]


def _speaker_read(r: dict) -> bool:
    """The face read is the speaker's: on the speaker's side (``side``), or, in a ``cut``
    composite, seen in some frame and in none of the listener's shot."""
    if r["side"] == "cut":
        return r["frames_read"] > 0 and r["listener_frames_read"] == 0
    return r["side_read"] == r["side"]


def measure(folder: Path, json_out: Path | None, choose: bool = True) -> None:
    rows = _rows(folder)
    results = []
    for i, row in enumerate(rows):
        r = _read(folder / row["path"], choose)
        r.update(clip=row["path"], gold=row["label"], side=row["side"])
        results.append(r)
        print(f"{i + 1}/{len(rows)}", end="\r", flush=True)
    n = len(results)
    speaker = sum(_speaker_read(r) for r in results)
    right = sum(r["face_top"] == r["gold"] for r in results)
    print(f"\n{folder}: {n} composites")
    print(f"  the speaker's face read: {speaker}/{n} ({speaker / n:.2f})")
    print(f"  face channel's top label = the speaker's gold: {right}/{n} ({right / n:.2f})")
    print(f"  people seen: {dict(Counter(r['people'] for r in results))}; "
          f"chosen by: {dict(Counter(r['chosen_by'] for r in results))}; "
          f"shots: {dict(Counter(r['shots'] for r in results))}")
    if json_out:
        json_out.write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="make two-person composites from a labelled corpus")
    b.add_argument("src", type=Path)
    b.add_argument("out", type=Path)
    b.add_argument("--listener", choices=["still", "talking"], required=True)
    b.add_argument("--layout", choices=["side", "cut"], default="side",
                   help="side by side in every frame, or cutting between speaker and listener")
    b.add_argument("--limit", type=int)
    m = sub.add_parser("measure", help="whose face is read, and what it reads")
    m.add_argument("folder", type=Path)
    m.add_argument("--json", type=Path)
    m.add_argument("--largest", action="store_true",
                   help="read the largest person's face, as before speakers were told apart (the baseline)")
    args = ap.parse_args(argv)
    if args.command == "build":
        build(args.src, args.out, args.listener, args.limit, args.layout)
    else:
        measure(args.folder, args.json, choose=not args.largest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
