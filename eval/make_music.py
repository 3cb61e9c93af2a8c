"""Background music for ``eval/noise_robustness.py --music``: short seeded pieces, rendered offline.

Why: users' clips come from films, series and vlogs, whose speech often has a soundtrack under
it. No music ships with the project and none can be downloaded here, so this writes its own: each
piece is a four-chord diatonic progression with a bass line and a random melody (some with a
drum kit), in a seeded key and tempo, written as a Standard MIDI File and rendered to 16 kHz by
FluidSynth with the General MIDI sound font Debian ships (``apt install fluidsynth
fluid-soundfont-gm``). Instruments: piano, string ensemble, nylon guitar, electric piano, choir,
violin. The pieces are plain, not film music; what they test is harmonic tones and beats under a
voice, which a pitch tracker and a syllable counter may follow.

    python eval/make_music.py OUT_DIR [--pieces 12] [--seconds 32]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
from pathlib import Path

SOUND_FONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TICKS = 480  # per quarter note
INSTRUMENTS = ((0, "piano"), (48, "strings"), (24, "guitar"), (4, "electric piano"), (52, "choir"), (40, "violin"))
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 0), (1, 4, 0, 5))  # scale degrees
MAJOR = (0, 2, 4, 5, 7, 9, 11)
DRUMS = 9  # the General MIDI percussion channel
KICK, SNARE, HAT = 36, 38, 42


def _vlq(n: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [n & 0x7F]
    while n > 0x7F:
        n >>= 7
        out.append(0x80 | (n & 0x7F))
    return bytes(reversed(out))


def _smf(events: list[tuple[int, bytes]], tempo_us: int) -> bytes:
    """A type-0 Standard MIDI File of (absolute tick, message bytes) events."""
    track = bytearray(b"\x00\xff\x51\x03" + tempo_us.to_bytes(3, "big"))
    last = 0
    for tick, msg in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90)):  # offs before ons
        track += _vlq(tick - last) + msg
        last = tick
    track += b"\x00\xff\x2f\x00"
    return (b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
            + TICKS.to_bytes(2, "big") + b"MTrk" + len(track).to_bytes(4, "big") + bytes(track))


def _note(events: list, start: int, length: int, channel: int, note: int, velocity: int) -> None:
    events.append((start, bytes((0x90 | channel, note, velocity))))
    events.append((start + length - 10, bytes((0x80 | channel, note, 0))))


def piece(seed: int, seconds: float) -> tuple[bytes, str]:
    """One piece's MIDI bytes and a description."""
    rnd = random.Random(seed)
    program, name = INSTRUMENTS[seed % len(INSTRUMENTS)]
    drums = seed % 3 == 2
    bpm = rnd.choice((66, 80, 96, 112, 128))
    key = 48 + rnd.randrange(12)
    progression = rnd.choice(PROGRESSIONS)
    bar = 4 * TICKS

    def pitch(degree: int) -> int:
        return key + MAJOR[degree % 7] + 12 * (degree // 7)

    events: list[tuple[int, bytes]] = [(0, bytes((0xC0, program))), (0, bytes((0xC1, 32 + rnd.randrange(3))))]
    for b in range(int(seconds * bpm / 60 / 4) + 1):
        t0, root = b * bar, progression[b % 4]
        chord = [pitch(root + k) for k in (0, 2, 4)]
        for n in chord:
            _note(events, t0, bar, 0, n, 60)
        _note(events, t0, bar // 2, 1, chord[0] - 12, 70)
        _note(events, t0 + bar // 2, bar // 2, 1, chord[2] - 24, 70)
        t = t0
        while t < t0 + bar:
            length = rnd.choice((TICKS // 2, TICKS, TICKS, 2 * TICKS))
            _note(events, t, length, 0, key + 12 + MAJOR[rnd.randrange(7)] + 12 * rnd.randrange(2), 75)
            t += length
        if drums:
            for k in range(8):
                _note(events, t0 + k * TICKS // 2, 110, DRUMS, KICK if k % 4 == 0 else SNARE if k % 4 == 2 else HAT, 80)
    return _smf(events, round(60_000_000 / bpm)), f"{name}, {bpm} bpm{', drums' if drums else ''}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pieces", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=32.0, help="length of each piece (default 32)")
    args = ap.parse_args(argv)
    if shutil.which("fluidsynth") is None or not SOUND_FONT.exists():
        sys.exit(f"needs fluidsynth and {SOUND_FONT}: apt install fluidsynth fluid-soundfont-gm")
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in range(args.pieces):
        midi, what = piece(seed, args.seconds)
        stem = args.out / f"music{seed:02d}"
        stem.with_suffix(".mid").write_bytes(midi)
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", "16000", "-F", str(stem.with_suffix(".wav")),
                        str(SOUND_FONT), str(stem.with_suffix(".mid"))], check=True, capture_output=True)
        print(f"{stem.with_suffix('.wav')}: {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
