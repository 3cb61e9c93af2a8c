"""Decode: 8 uniformly sampled frames + audio (our media path) vs decoding every frame (naive loop)."""

from __future__ import annotations

from .common import WORK, Row, interleaved, make_clip


def run(quick: bool = False) -> Row:
    import decord

    from affect_llm.media.clip import read_clip

    seconds = 10 if quick else 60
    clip = make_clip(WORK / f"decode_{seconds}s_640x480.mp4", seconds)

    def ours() -> None:
        read_clip(clip, num_frames=8)

    def naive() -> None:
        vr = decord.VideoReader(str(clip))
        frames = [vr[i].asnumpy() for i in range(len(vr))]
        step = len(frames) / 8
        _ = [frames[int(step * (k + 0.5))] for k in range(8)]
        decord.AudioReader(str(clip), sample_rate=16000, mono=True)[:]

    repeats = 3 if quick else 5
    a, b = interleaved(ours, naive, repeats)
    return Row(name=f"decode ({seconds} s 640x480 clip)", ours_label="8 sampled frames + audio",
               base_label="decode every frame", unit="ms/clip", ours=round(a * 1000, 1),
               base=round(b * 1000, 1), ratio=round(b / a, 1), repeats=repeats)
