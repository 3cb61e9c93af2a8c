"""Where a person speaks: Silero VAD (MIT) over 16 kHz mono audio, as speech segments.

Why: the pitch tracker (``media.prosody``) calls any periodic sound voiced, so a chord of sine
tones under pink noise was measured as a "quiet, monotone, slow" voice and Whisper was asked for
its words; films, TV and vlogs often have music under or instead of speech. Silero VAD is a small
network trained to tell speech from music and noise, so speech is claimed only where it hears
speech, and prosody is measured only inside the spans it hears speech in (``perception.listen``,
``VoiceActivity.speech_spans``). Figures: ``eval/results/vad.md``.

The weights ship in the ``silero-vad`` wheel (installed ``--no-deps``). Its ``__init__`` imports
``silero_vad.model``, which sets ``torch.set_num_threads(1)`` for the whole process, so the
TorchScript file is loaded directly (``assets.package_file``) and the package is never imported.

Silero's own loop feeds the TorchScript model one 32 ms window at a time (a recurrent state kept
inside the module). On two busy cores (load 5-7) that took 0.07-1.1 s for 5 s of audio, and the
model's parts run as one batch through torch still 0.02-8 s: each of the ~160 LSTM steps enters
torch's thread pool, and one descheduled thread stalls them all. Only the LSTM
carries state: the STFT and the convolutional encoder see one window (with the 64 samples before
it) at a time. So the model's weights are read once from the TorchScript file and the forward
pass runs in numpy: STFT and encoder as one batch of matrix products, then the LSTM cell's
recurrence (one small product per window). The probabilities equal Silero's loop (max difference
under 1e-4; ``tests/test_vad.py`` checks it), nothing is kept between calls (safe on several
threads at once), and torch's thread pool is never entered: median 33 ms (90th percentile 54 ms)
per 5 s of audio on the same busy cores (``eval/vad_eval.py``, 821 clips). The ``silero_vad_16k.safetensors``
file in the same wheel holds other weights than the ``.jit`` the package loads by default
(its convolutions differ by up to 18), so it is not used.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import ModelError

log = logging.getLogger(__name__)

PACKAGE, WEIGHTS, PIP_NAME = "silero_vad", "data/silero_vad.jit", "silero-vad"
SAMPLE_RATE = 16_000
WINDOW = 512  # samples per model step at 16 kHz (32 ms): the only size the model takes
WINDOW_S = WINDOW / SAMPLE_RATE
# Silero's own defaults (``get_speech_timestamps``): a window is speech at probability >= 0.5, a
# segment ends after 100 ms below 0.35, and segments shorter than 250 ms are dropped.
THRESHOLD = 0.5
NEG_THRESHOLD = THRESHOLD - 0.15
MIN_SILENCE_S = 0.1
MIN_SEGMENT_S = 0.25
# Speech is claimed (``VoiceActivity.heard``), and Whisper asked for words, only where the VAD
# is sure of this much speech: 32 ms windows at probability >= 0.5, two of them. The pitch tracker alone
# calls any periodic sound a voice: a chord of sine tones under pink noise was described as a
# quiet, monotone, slow (sad) voice. The VAD also hears what the pitch tracker cannot measure (a
# whisper; a creaky, codec-worn voice: three of six CREMA-D clips had 7-17 voiced frames of the
# 10 needed), so those words are still asked for. Windows, not Silero's segments (>= 0.25 s):
# segments missed 7 of 706 real emotional clips (a short shout, speech cut by the clip's end, a
# clipped recording), two windows 3 (one held a single window, two never passed 0.33); one window
# would keep one more, two guard against a lone spurious window. 22 synthetic non-speech sounds
# (chords, tones, sweeps, clicks, noises) never passed 0.29 (eval/results/vad.md).
MIN_VAD_SPEECH_S = 0.064
# The spans prosody is measured in (``VoiceActivity.speech_spans``) reach this far past the
# speech the model heard, so a word's onset and its trailing consonant are kept. The model's
# probability crosses 0.5 one to three windows after a word's energy onset, while its ends (at
# 0.35, after 100 ms) come late enough: without a pad, the active frames contiguous with a span
# and outside it were 53-69 ms a clip before the span on RAVDESS, CASIA and EMOVO (18 on EmoDB),
# 0-9 ms after it; three windows before left 12-16 ms (Silero's own ``speech_pad_ms`` is 30).
SPAN_LEAD_S = 3 * WINDOW_S
SPAN_TAIL_S = WINDOW_S

CONTEXT = 64  # samples of the previous window the model sees before each window
KERNEL = 3  # the encoder's convolutions: kernel 3, padding 1 (strides read from the model)

_lock = threading.Lock()
_model: _Silero | None = None


@dataclass(frozen=True)
class VoiceActivity:
    """The speech the VAD found: segments as (start_s, end_s), and per-window probabilities."""

    segments: tuple[tuple[float, float], ...]
    probs: np.ndarray  # speech probability of each 32 ms window

    @property
    def speech_s(self) -> float:
        """Seconds inside speech segments."""
        return round(sum(b - a for a, b in self.segments), 3)

    @property
    def confident_s(self) -> float:
        """Seconds of windows the model calls speech (probability >= ``THRESHOLD``), in segments
        or not: a short shout, or speech cut by the clip's end, is too short for a segment."""
        return round(int(np.count_nonzero(self.probs >= THRESHOLD)) * WINDOW_S, 3)

    @property
    def heard(self) -> bool:
        """Whether there is enough speech to claim any (``MIN_VAD_SPEECH_S`` of confident windows):
        the one test of "speech was heard" (``perception``, ``features.extract``)."""
        return self.confident_s >= MIN_VAD_SPEECH_S

    def speech_spans(self, lead_s: float = SPAN_LEAD_S,
                     tail_s: float = SPAN_TAIL_S) -> tuple[tuple[float, float], ...]:
        """Where speech is, as (start_s, end_s) spans for measuring it (``media.prosody``): the
        segments and the confident windows outside them, each begun ``lead_s`` earlier and ended
        ``tail_s`` later, overlaps merged. The windows count because ``perception`` claims speech
        on them: a short shout, or speech cut by the clip's end, is too short for a segment yet is
        what it heard."""
        windows = np.flatnonzero(self.probs >= THRESHOLD).tolist()
        confident = [(i * WINDOW_S, (i + 1) * WINDOW_S) for i in windows]
        spans: list[list[float]] = []
        for a, b in sorted([*self.segments, *confident]):
            a, b = max(0.0, a - lead_s), b + tail_s
            if spans and a <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], b)
            else:
                spans.append([a, b])
        return tuple((round(a, 3), round(b, 3)) for a, b in spans)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


@dataclass(frozen=True)
class _Silero:
    """Silero VAD 16 kHz weights as float32 arrays, and its forward pass in numpy (channels last)."""

    basis: np.ndarray  # [filter_length, 2 * bins]: STFT as a matrix (real parts, then imaginary)
    hop: int
    convs: tuple[tuple[np.ndarray, np.ndarray, int], ...]  # ([KERNEL * c_in, c_out], [c_out], stride)
    w_ih: np.ndarray  # [c, 4h], gates i, f, g, o as torch orders them
    w_hh: np.ndarray  # [h, 4h]
    b: np.ndarray  # [4h]: both LSTM biases
    w_out: np.ndarray  # [h]
    b_out: float

    @classmethod
    def from_jit(cls, jit: Any) -> _Silero:
        """Read silero-vad 6.2.3's TorchScript layout (another layout fails: ``_load`` says so)."""
        inner = jit._model

        def arr(t: Any) -> np.ndarray:
            return t.detach().cpu().numpy().astype(np.float32)

        convs = []
        for name, mod in inner.encoder.named_modules():
            if name.endswith("reparam_conv"):
                w = arr(mod.weight)  # [c_out, c_in, KERNEL]
                if w.shape[2] != KERNEL or tuple(mod.padding) != (1,):
                    raise ValueError(f"unexpected encoder convolution {name}: {tuple(w.shape)}")
                convs.append((w.transpose(2, 1, 0).reshape(-1, w.shape[0]).copy(), arr(mod.bias), mod.stride[0]))
        cell, out = inner.decoder.rnn, inner.decoder.decoder
        head = dict(out.named_parameters())  # Dropout, ReLU, Conv1d(h, 1, 1), Sigmoid
        return cls(basis=arr(inner.stft.forward_basis_buffer)[:, 0, :].T.copy(), hop=int(inner.stft.hop_length),
                   convs=tuple(convs), w_ih=arr(cell.weight_ih).T.copy(), w_hh=arr(cell.weight_hh).T.copy(),
                   b=arr(cell.bias_ih) + arr(cell.bias_hh), w_out=arr(head["2.weight"]).reshape(-1),
                   b_out=float(arr(head["2.bias"])[0]))

    def features(self, windows: np.ndarray) -> np.ndarray:
        """Encoder output [N, c] of ``windows`` [N, CONTEXT + WINDOW]: STFT magnitude, then the
        convolutions (padding 1, ReLU) down to one step per window."""
        length = self.basis.shape[0]
        x = np.pad(windows, ((0, 0), (0, CONTEXT)), mode="reflect")  # as the model's STFT pads
        frames = sliding_window_view(x, length, axis=1)[:, ::self.hop]  # [N, T, length]
        spec = frames @ self.basis
        bins = spec.shape[-1] // 2
        x = np.sqrt(spec[..., :bins] ** 2 + spec[..., bins:] ** 2)  # [N, T, bins]
        for w, bias, stride in self.convs:
            steps = (x.shape[1] - 1) // stride + 1
            xp = np.pad(x, ((0, 0), (1, 1), (0, 0)))
            cols = np.concatenate([xp[:, k:k + stride * (steps - 1) + 1:stride] for k in range(KERNEL)], axis=2)
            x = np.maximum(cols @ w + bias, 0.0)
        return x[:, -1, :]  # one step left

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """Speech probability of each of ``windows`` (in time order; the LSTM runs across them)."""
        gates_in = self.features(windows) @ self.w_ih + self.b
        size = self.w_hh.shape[0]
        h = np.zeros(size, dtype=np.float32)
        c = np.zeros(size, dtype=np.float32)
        hidden = np.empty((windows.shape[0], size), dtype=np.float32)
        for t in range(windows.shape[0]):
            g = gates_in[t] + h @ self.w_hh
            i, f, o = _sigmoid(g[:size]), _sigmoid(g[size:2 * size]), _sigmoid(g[3 * size:])
            c = f * c + i * np.tanh(g[2 * size:3 * size])
            h = o * np.tanh(c)
            hidden[t] = h
        return _sigmoid(np.maximum(hidden, 0.0) @ self.w_out + self.b_out)


def _load() -> _Silero:
    """The weights, read once (``ModelError`` naming the wheel when it is missing or unreadable)."""
    global _model
    with _lock:
        if _model is None:
            import torch

            from ..assets import package_file

            path = package_file(PACKAGE, WEIGHTS, PIP_NAME)
            try:
                with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the file is one
                    warnings.filterwarnings("ignore", message=".*torch.jit.load.*", category=DeprecationWarning)
                    jit = torch.jit.load(str(path), map_location="cpu")
                _model = _Silero.from_jit(jit)
            except Exception as exc:  # a truncated file, or another release's layout
                raise ModelError(f"{path} could not be read as the Silero VAD model ({exc}): install "
                                 f"`pip install --force-reinstall --no-deps {PIP_NAME}==6.2.3`") from exc
    return _model


def speech_probabilities(audio: np.ndarray) -> np.ndarray:
    """Speech probability of each 32 ms window of 16 kHz mono ``audio`` (the last one zero-padded)."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = -(-x.size // WINDOW)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    padded = np.pad(x, (CONTEXT, n * WINDOW - x.size))
    windows = sliding_window_view(padded, CONTEXT + WINDOW)[::WINDOW]
    return _load()(windows).astype(np.float32, copy=False)


def segments_of(probs: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Speech segments (start_s, end_s) from window probabilities, as Silero's
    ``get_speech_timestamps`` draws them but unpadded: a segment starts at a window >= ``THRESHOLD``
    and ends where the probability first fell under ``NEG_THRESHOLD``, once it has not come back
    to ``THRESHOLD`` for ``MIN_SILENCE_S``; segments shorter than ``MIN_SEGMENT_S`` are dropped."""
    out: list[tuple[int, int]] = []
    start = quiet_from = None
    need = math.ceil(MIN_SILENCE_S / WINDOW_S)
    for i, p in enumerate(probs.tolist()):
        if start is None:
            if p >= THRESHOLD:
                start, quiet_from = i, None
        elif p >= THRESHOLD:
            quiet_from = None
        elif p < NEG_THRESHOLD:
            quiet_from = i if quiet_from is None else quiet_from
            if i - quiet_from >= need:
                out.append((start, quiet_from))
                start = quiet_from = None
    if start is not None:
        out.append((start, len(probs)))
    return tuple((round(a * WINDOW_S, 3), round(b * WINDOW_S, 3)) for a, b in out
                 if (b - a) * WINDOW_S >= MIN_SEGMENT_S)


def voice_activity(audio: np.ndarray | None, sample_rate: int = SAMPLE_RATE) -> VoiceActivity:
    """Where speech is in ``audio`` (mono float at 16 kHz; ``None`` or other rates: see below).

    Only 16 kHz is taken: the clip reader decodes at that rate, and resampling here would hide a
    caller's mistake. ``None`` (no audio track) is no speech.
    """
    if audio is None:
        return VoiceActivity(segments=(), probs=np.zeros(0, dtype=np.float32))
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"voice_activity needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    probs = speech_probabilities(audio)
    activity = VoiceActivity(segments=segments_of(probs), probs=probs)
    log.debug("vad: %.2f s of speech in %d segments", activity.speech_s, len(activity.segments))
    return activity
