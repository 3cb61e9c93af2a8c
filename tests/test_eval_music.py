"""The music condition of ``eval/noise_robustness.py`` and the pieces ``eval/make_music.py`` writes.

What must hold for the published figures to mean what they say: the music is mixed at the stated
level under the speech, the same clip gets the same excerpt at both levels, and the pieces are
well-formed MIDI (FluidSynth renders what the file says; a malformed delta time would shift
every later note). FluidSynth itself is not needed here.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

import make_music  # noqa: E402
import noise_robustness  # noqa: E402


@pytest.mark.parametrize(("value", "encoded"), [
    (0, b"\x00"), (0x40, b"\x40"), (0x7F, b"\x7f"), (0x80, b"\x81\x00"), (0x2000, b"\xc0\x00"),
    (0x3FFF, b"\xff\x7f"), (0x4000, b"\x81\x80\x00"), (0x0FFFFFFF, b"\xff\xff\xff\x7f"),
])
def test_variable_length_quantities_follow_the_midi_spec(value, encoded):
    # The examples of the Standard MIDI File 1.0 specification.
    assert make_music._vlq(value) == encoded


def _read_vlq(data: bytes, i: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i


def test_a_piece_is_one_well_formed_track_whose_notes_all_end():
    midi, what = make_music.piece(2, seconds=8.0)
    assert "drums" in what  # every third piece has a drum kit
    assert midi[:4] == b"MThd" and int.from_bytes(midi[4:8], "big") == 6
    fmt, tracks, division = (int.from_bytes(midi[k:k + 2], "big") for k in (8, 10, 12))
    assert (fmt, tracks, division) == (0, 1, make_music.TICKS)
    assert midi[14:18] == b"MTrk" and int.from_bytes(midi[18:22], "big") == len(midi) - 22
    track, i, tick, sounding, ends = midi[22:], 0, 0, Counter(), 0
    while i < len(track):
        delta, i = _read_vlq(track, i)
        tick += delta
        status = track[i]
        if status == 0xFF:  # meta event: type, length, data
            kind, (length, i) = track[i + 1], _read_vlq(track, i + 2)
            ends += kind == 0x2F
            i += length
        elif status & 0xF0 == 0xC0:  # program change: one data byte
            i += 2
        else:
            kind, channel, note = status & 0xF0, status & 0x0F, track[i + 1]
            assert kind in (0x80, 0x90) and track[i + 2] <= 127
            sounding[channel, note] += 1 if kind == 0x90 else -1
            assert sounding[channel, note] >= 0, "a note ended before it began"
            i += 3
    assert ends == 1 and i == len(track)
    assert not +sounding, "every note that starts also ends"
    assert tick >= 8.0 * 66 / 60 * make_music.TICKS  # at least the asked length, at the slowest tempo


def test_music_is_mixed_at_the_stated_level_under_the_speech():
    rng = np.random.default_rng(0)
    t = np.arange(3 * noise_robustness.SR) / noise_robustness.SR
    speech = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    music = [rng.standard_normal(5 * noise_robustness.SR).astype(np.float32)]
    for snr_db in (20.0, 10.0):
        excerpt = noise_robustness.music_excerpt(music, speech.size, np.random.default_rng([7, 3]))
        mixed = noise_robustness.under(speech, excerpt, snr_db)
        added = mixed - speech
        measured = 20 * np.log10(noise_robustness.speech_rms(speech) / noise_robustness._rms(added))
        assert measured == pytest.approx(snr_db, abs=0.01)
    same = [noise_robustness.music_excerpt(music, 1000, np.random.default_rng([7, 3])) for _ in range(2)]
    assert np.array_equal(*same)  # music20 and music10 of one clip hear the same excerpt


def test_music_conditions_are_added_only_with_music():
    assert noise_robustness.conditions(None) == noise_robustness.CONDITIONS
    assert noise_robustness.conditions([np.zeros(10)])[-2:] == ("music20", "music10")
