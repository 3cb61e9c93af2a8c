"""How something is said: pitch, loudness, pace and pauses, from 16 kHz mono audio, numpy only.

These numbers feed the explanation ("raised, varied pitch and fast speech suggest excitement"),
so they are computed with plain, documented signal processing rather than a learned model:
every value can be checked by ear. The whole analysis is vectorised over frames (a minute of
audio takes ~0.1 s) and needs nothing beyond numpy.

Frames: 25 ms windows every 10 ms. A frame is *active* when its energy clears an adaptive
threshold (see ``_activity_threshold``) and *voiced* when it is active and YIN finds a clear
period between 60 and 500 Hz.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

log = logging.getLogger(__name__)

WIN_S = 0.025
HOP_S = 0.010
F0_MIN, F0_MAX = 60.0, 500.0
YIN_THRESHOLD = 0.25  # CMNDF dip needed to call a frame periodic (de Cheveigné & Kawahara use 0.1-0.2
#                       on clean speech; 0.25 tolerates the codec noise of AAC clips)
PAUSE_MIN_S = 0.25
MIN_VOICED_FRAMES = 10  # 100 ms of voicing before we say there is speech at all
NUCLEUS_DIP_DB = 2.0  # energy dip that separates two syllable nuclei (de Jong & Wempe 2009)
CONTOUR_POINTS = 10

# Loudness bands on the active speech level: the power mean of the active 25 ms frames, in dBFS
# (ITU-T P.56 style; ``ffmpeg -af volumedetect`` reports about the same on trimmed speech).
# Speech normalised for broadcast or podcasts sits around -18 to -24; a distant or laptop
# microphone around -30 to -40.
LOUD_DB = -18.0
QUIET_DB = -32.0
# Pitch words. Absolute levels depend on the speaker (adult male ~85-155 Hz, female ~165-255 Hz),
# so "high"/"low" are only used outside the adult range overlap; variation is speaker-neutral.
HIGH_PITCH_HZ = 220.0
LOW_PITCH_HZ = 120.0
VARIED_SEMITONES = 8.0  # 5th-95th percentile range
MONOTONE_SEMITONES = 3.0
SLOPE_SEMITONES = 2.0  # fitted change over the utterance needed to call it rising or falling
# Speaking rate in syllables per second of speech (pauses excluded); conversational English ~4-5.
FAST_SPS = 5.0
SLOW_SPS = 3.0


@dataclass
class Prosody:
    """Summary of the voice in a clip; fields are ``None`` when no speech was found."""

    speech_found: bool
    pitch_mean_hz: float | None = None
    pitch_std_hz: float | None = None
    pitch_range_semitones: float | None = None
    pitch_slope: str | None = None  # "rising" / "falling" / "flat" over the utterance
    energy_mean_db: float | None = None  # active speech level, dBFS (power mean of active frames)
    energy_std_db: float | None = None  # spread of the active frames' levels, dB
    loudness: str | None = None  # "quiet" / "moderate" / "loud" (LOUD_DB, QUIET_DB)
    speaking_rate_sps: float | None = None  # syllables per second of speech (estimate)
    pause_count: int = 0
    pause_total_s: float = 0.0
    voiced_ratio: float = 0.0
    contour: list[float] = field(default_factory=list)  # Hz at CONTOUR_POINTS points, 0 = unvoiced
    speech_start_s: float | None = None
    speech_end_s: float | None = None

    def describe(self) -> list[str]:
        """Short phrases for the explanation, e.g. ``["high, varied pitch", "loud voice", "fast speech"]``."""
        if not self.speech_found:
            return ["no speech detected"]
        out = []
        if self.pitch_mean_hz is not None:
            level = ("high" if self.pitch_mean_hz >= HIGH_PITCH_HZ else
                     "low" if self.pitch_mean_hz <= LOW_PITCH_HZ else "medium")
            rng = self.pitch_range_semitones or 0.0
            var = "varied" if rng >= VARIED_SEMITONES else "monotone" if rng <= MONOTONE_SEMITONES else "steady"
            out.append(f"{level}, {var} pitch")
        if self.pitch_slope in ("rising", "falling"):
            out.append(f"{self.pitch_slope} intonation")
        if self.loudness:
            out.append(f"{self.loudness} voice")
        if self.speaking_rate_sps is not None:
            out.append("fast speech" if self.speaking_rate_sps >= FAST_SPS else
                       "slow speech" if self.speaking_rate_sps <= SLOW_SPS else "moderate pace")
        if self.pause_count == 0:
            out.append("no pauses")
        else:
            out.append(f"{self.pause_count} pause{'s' if self.pause_count > 1 else ''} "
                       f"({self.pause_total_s:.1f} s)")
        return out


# --------------------------------------------------------------------------- framing and energy
def _as_float_mono(audio: np.ndarray) -> np.ndarray:
    x = np.asarray(audio)
    if x.ndim > 1:  # [C, S] or [S, C]: average the channels
        x = x.mean(axis=0 if x.shape[0] < x.shape[-1] else -1)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max)
    x = np.nan_to_num(x.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    return x - x.mean() if x.size else x


def frame_energy_db(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    """RMS level of each ``win``-sample frame every ``hop`` samples, in dBFS (floor -120)."""
    if x.size < win:
        x = np.pad(x, (0, win - x.size))
    frames = sliding_window_view(x, win)[::hop]
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def _activity_threshold(db: np.ndarray) -> float:
    """Energy above which a frame counts as sound rather than background.

    Three bounds, the highest wins: an absolute -50 dBFS (digital silence and hiss are never
    speech); 10 dB over the noise floor (10th percentile) but no closer than 15 dB under the
    loud frames (so continuous speech without any silence keeps its quiet syllables); and
    40 dB under the loud frames (95th percentile), the dynamic range of speech.
    """
    floor, loud = np.percentile(db, 10), np.percentile(db, 95)
    return float(max(-50.0, min(floor + 10.0, loud - 15.0), loud - 40.0))


# --------------------------------------------------------------------------- pitch (YIN)
def yin_pitch(x: np.ndarray, sample_rate: int, hop: int, frame_idx: np.ndarray | None = None,
              fmin: float = F0_MIN, fmax: float = F0_MAX,
              threshold: float = YIN_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """YIN f0 (Hz, 0 where aperiodic) and CMNDF dip for frames starting at ``frame_idx * hop``.

    Vectorised over frames: the lag products come from one FFT cross-correlation per frame, the
    window energies from a cumulative sum. The period is the first local minimum of the
    cumulative-mean-normalised difference below ``threshold``, refined by parabolic
    interpolation (de Cheveigné & Kawahara 2002, steps 1-5).
    """
    tau_min = max(2, math.floor(sample_rate / fmax))
    tau_max = math.ceil(sample_rate / fmin) + 1  # +1: a minimum at fmin needs a right neighbour
    win = tau_max + 1  # integration window: one full period of the lowest pitch
    length = win + tau_max
    n_frames = max(1, 1 + (x.size - 1) // hop)
    if frame_idx is None:
        frame_idx = np.arange(n_frames)
    frame_idx = np.asarray(frame_idx, dtype=np.int64)
    f0 = np.zeros(frame_idx.size, dtype=np.float64)
    dip = np.ones(frame_idx.size, dtype=np.float64)
    if frame_idx.size == 0:
        return f0, dip
    padded = np.pad(x.astype(np.float32), (0, length + hop))
    # Circular correlation is exact for lags 0..tau_max once nfft >= win + tau_max; a 5-smooth
    # size near that bound is about half the next power of two.
    nfft = _next_fast_len(win + tau_max)
    taus = np.arange(tau_max + 1)
    chunk = 2048  # frames per FFT batch: bounds memory at ~2048 x nfft complex numbers
    for start in range(0, frame_idx.size, chunk):
        idx = frame_idx[start:start + chunk]
        frames = sliding_window_view(padded, length)[idx * hop].astype(np.float32)  # [F, length]
        spec_a = np.fft.rfft(frames[:, :win], nfft)
        spec_b = np.fft.rfft(frames, nfft)
        r = np.fft.irfft(np.conj(spec_a) * spec_b, nfft)[:, :tau_max + 1]
        cs = np.concatenate([np.zeros((len(idx), 1)), np.cumsum(np.square(frames, dtype=np.float64), axis=1)],
                            axis=1)
        energy = cs[:, taus + win] - cs[:, taus]  # sum of squares of x[tau : tau + win]
        d = np.maximum(energy[:, :1] + energy - 2.0 * r, 0.0)
        d[:, 0] = 0.0
        cum = np.cumsum(d[:, 1:], axis=1)
        cmndf = np.ones_like(d)
        cmndf[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)
        c = cmndf[:, tau_min - 1:tau_max + 1]  # lags tau_min-1 .. tau_max (neighbours included)
        mid = c[:, 1:-1]
        is_min = (mid < c[:, :-2]) & (mid <= c[:, 2:]) & (mid < threshold)
        has = is_min.any(axis=1)
        first = np.argmax(is_min, axis=1)  # index into lags tau_min .. tau_max-1
        rows = np.arange(len(idx))
        y0, y1, y2 = c[rows, first], c[rows, first + 1], c[rows, first + 2]
        denom = y0 - 2.0 * y1 + y2
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (y0 - y2) / np.where(denom == 0, 1, denom), 0.0)
        tau = tau_min + first + np.clip(shift, -1.0, 1.0)
        f0[start:start + len(idx)] = np.where(has, sample_rate / tau, 0.0)
        dip[start:start + len(idx)] = np.where(has, y1, c.min(axis=1))
    return f0, dip


# --------------------------------------------------------------------------- helpers
def _next_fast_len(n: int) -> int:
    """Smallest integer >= n whose only prime factors are 2, 3 and 5 (fast FFT sizes)."""
    m = n
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array (end exclusive)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _syllable_nuclei(db: np.ndarray, voiced: np.ndarray, min_db: float) -> int:
    """Count energy peaks in voiced frames separated by a dip of at least ``NUCLEUS_DIP_DB``."""
    if db.size < 3:
        return 0
    power = 10.0 ** (db / 10.0)
    smooth = 10.0 * np.log10(np.maximum(np.convolve(power, np.ones(5) / 5.0, mode="same"), 1e-12))
    is_peak = np.zeros_like(voiced)
    is_peak[1:-1] = (smooth[1:-1] > smooth[:-2]) & (smooth[1:-1] >= smooth[2:])
    peaks = np.flatnonzero(is_peak & voiced & (smooth > min_db))
    kept: list[int] = []
    for p in peaks.tolist():
        if not kept:
            kept.append(p)
            continue
        q = kept[-1]
        dip = smooth[q:p + 1].min()
        if min(smooth[q], smooth[p]) - dip >= NUCLEUS_DIP_DB:
            kept.append(p)
        elif smooth[p] > smooth[q]:
            kept[-1] = p  # same syllable, higher peak
    return len(kept)


def _slope_word(times: np.ndarray, semitones: np.ndarray) -> str:
    if times.size < 3 or np.ptp(times) <= 0:
        return "flat"
    slope = np.polyfit(times, semitones, 1)[0]
    change = slope * np.ptp(times)
    return "rising" if change >= SLOPE_SEMITONES else "falling" if change <= -SLOPE_SEMITONES else "flat"


# --------------------------------------------------------------------------- entry point
def analyze_prosody(audio: np.ndarray | None, sample_rate: int = 16000) -> Prosody:
    """Pitch, loudness, pace and pauses of the speech in ``audio`` (mono float, any scale up to 1.0).

    ``None``, silence, or sound without voicing (noise, music without a clear pitch is not
    excluded) give ``speech_found=False``. Pitch outliers more than an octave from the median
    are treated as tracking errors (octave jumps) and ignored.
    """
    if audio is None:
        return Prosody(speech_found=False)
    x = _as_float_mono(audio)
    win, hop = round(WIN_S * sample_rate), round(HOP_S * sample_rate)
    if x.size < win:
        return Prosody(speech_found=False)

    db = frame_energy_db(x, win, hop)
    thr = _activity_threshold(db)
    active = db > thr
    if active.sum() < MIN_VOICED_FRAMES:
        log.debug("prosody: no active frames above %.1f dBFS", thr)
        return Prosody(speech_found=False)

    act_idx = np.flatnonzero(active)
    f0_act, _ = yin_pitch(x, sample_rate, hop, act_idx)
    f0 = np.zeros(db.size)
    f0[act_idx] = f0_act
    voiced = f0 > 0
    if voiced.sum() >= MIN_VOICED_FRAMES:
        med = np.median(f0[voiced])
        octave_err = voiced & ((f0 > 1.9 * med) | (f0 < med / 1.9))
        f0[octave_err] = 0.0
        voiced &= ~octave_err
    if voiced.sum() < MIN_VOICED_FRAMES:
        log.debug("prosody: %d active but only %d voiced frames", act_idx.size, int(voiced.sum()))
        return Prosody(speech_found=False, voiced_ratio=float(voiced.sum() / max(1, act_idx.size)))

    first, last = int(act_idx[0]), int(act_idx[-1]) + 1
    span = slice(first, last)
    times = np.arange(db.size) * HOP_S + WIN_S / 2.0
    # Pauses: runs of inactive frames inside the speech span, at least PAUSE_MIN_S long.
    min_run = round(PAUSE_MIN_S / HOP_S)
    gaps = [(a, b) for a, b in _runs(~active[span]) if b - a >= min_run]
    pause_total = sum(b - a for a, b in gaps) * HOP_S
    speech_s = max(HOP_S, (last - first) * HOP_S - pause_total)

    vf0 = f0[voiced]
    semis = 12.0 * np.log2(vf0 / np.median(vf0))
    p5, p95 = np.percentile(vf0, [5, 95])
    act_db = db[active]
    energy_mean = float(10.0 * np.log10(np.mean(10.0 ** (act_db / 10.0))))
    loudness = "loud" if energy_mean >= LOUD_DB else "quiet" if energy_mean <= QUIET_DB else "moderate"
    nuclei = _syllable_nuclei(db, voiced, thr)

    edges = np.linspace(first, last, CONTOUR_POINTS + 1)
    contour = []
    for a, b in itertools.pairwise(edges):
        seg = f0[int(a):max(int(a) + 1, int(b))]
        seg = seg[seg > 0]
        contour.append(round(float(np.median(seg)), 1) if seg.size else 0.0)

    result = Prosody(
        speech_found=True,
        pitch_mean_hz=round(float(vf0.mean()), 2),
        pitch_std_hz=round(float(vf0.std()), 2),
        pitch_range_semitones=round(float(12.0 * np.log2(p95 / p5)), 2),
        pitch_slope=_slope_word(times[voiced], semis),
        energy_mean_db=round(energy_mean, 2),
        energy_std_db=round(float(act_db.std()), 2),
        loudness=loudness,
        speaking_rate_sps=round(nuclei / speech_s, 2),
        pause_count=len(gaps),
        pause_total_s=round(pause_total, 2),
        voiced_ratio=round(float(voiced[span].mean()), 3),
        contour=contour,
        speech_start_s=round(first * HOP_S, 2),
        speech_end_s=round(last * HOP_S + WIN_S, 2),
    )
    log.debug("prosody: %s", result)
    return result
