"""Decode a video clip: N uniformly sampled RGB frames plus the whole audio track at 16 kHz (a
sound-only recording, .wav or .mp3: the audio alone, no frames).

Everything downstream (face crops, expression model, prosody, Whisper) works on the ``Clip``
this module returns, so this is the one place where a user's file can be wrong, and the one
place that must turn every way it can be wrong into an ``InputError`` the CLI can print as a
single actionable line.

Why the care around decord:

* decord's native code (its dmlc logger and FFmpeg) writes straight to file descriptor 2, so a
  corrupt file would spray ``moov atom not found`` lines over the CLI's output. What reaches
  fd 2 while decoding is moved into ``logging`` at DEBUG (and read to word the error).
* ``VideoReader.get_batch`` is known to spin forever in native code on some files
  (dmlc/decord#269, #373, #375). decord calls release the GIL, so the decode runs in a worker
  thread and we stop waiting after ``timeout_s``: the caller gets an ``InputError`` instead of
  a hung process (the stuck daemon thread is abandoned).
* ``VideoReader(width=, height=)`` does *not* keep the aspect ratio when one side is ``-1``
  (it just leaves that side unscaled), so downscaling passes both sides, computed from the
  size of the first frame.
* ``AudioReader.duration()`` is truncated to whole seconds in decord 0.6, so audio length is
  taken from the sample count.
* A ``VideoReader`` that has decoded a frame and then sits idle keeps its threads spinning (a
  core busy) until it is used again, seeked or freed, so no reader is left idle while others work.
* ``AudioReader`` on a file without an audio stream raises from its constructor without closing
  the file it opened: one file descriptor (and the file's disk space, for a deleted upload) lost
  per clip. Whether there is an audio stream is therefore asked first, through the libavformat
  that decord ships (``_audio_stream_state``), which opens and closes the file itself.
* Only regular files are opened: a FIFO or a device named ``x.mp4`` would block ``open`` before
  any timeout applies.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import logging
import os
import re
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AffectError, InputError

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 16000
# Audio shorter than this is a stub (an encoder's priming frame, a muted track) rather than speech.
MIN_AUDIO_SECONDS = 0.02
# How long read_clip waits for decord before giving up on a file (see the module docstring).
DEFAULT_TIMEOUT_S = 120.0
# At most this many video readers decode one clip in parallel (one per core, see ``_decode``).
_MAX_READERS = 4

_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
# What to give instead of a file with neither a picture nor sound (a photo, a text file).
_GIVE_MEDIA = "give a video or a sound recording such as .mp4 or .wav"
_FIX_HINT = "re-export it as .mp4 (e.g. `ffmpeg -i IN -c:v libx264 -c:a aac out.mp4`)"


@dataclass
class Clip:
    """A decoded clip: sampled frames, their times, and the mono audio track."""

    path: Path
    frames: np.ndarray  # [N, H, W, 3] uint8 RGB, N uniformly sampled frames
    frame_times: np.ndarray  # [N] float seconds (presentation time of each sampled frame)
    audio: np.ndarray | None  # [S] float32 mono at sample_rate; None when there is no audio track
    sample_rate: int
    duration: float  # seconds of video
    fps: float
    width: int  # original size
    height: int
    downscaled: bool  # True if frames were decoded smaller than the original
    total_frames: int = 0  # frames in the video stream (as the container reports them)
    decode_seconds: float = field(default=0.0, compare=False)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def has_picture(self) -> bool:
        """False for a sound-only file (.wav, .mp3 ...): ``frames`` is then empty."""
        return self.num_frames > 0

    def summary(self) -> str:
        """One line for people: "4.6 s, 320x320 @ 12.0 fps, 8 frames sampled" or "3.3 s, sound only"."""
        if not self.has_picture:
            return f"{self.duration:.1f} s, sound only" + ("" if self.has_audio else ", no audio")
        return (f"{self.duration:.1f} s, {self.width}x{self.height} @ {self.fps:.1f} fps, {self.num_frames} frames "
                f"sampled" + (" (downscaled)" if self.downscaled else ""))


# --------------------------------------------------------------------------- native stderr
class _Captured:
    """Text a native library wrote to fd 2 inside ``native_stderr_to_log``."""

    def __init__(self) -> None:
        self.text = ""


class _Redirect:
    """Process-wide fd-2 redirect shared by overlapping ``native_stderr_to_log`` blocks."""

    lock = threading.Lock()
    depth = 0
    saved: int | None = None
    tmp = None


def _flush_stderr() -> None:
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()


@contextmanager
def native_stderr_to_log(logger: logging.Logger, level: int = logging.DEBUG) -> Iterator[_Captured]:
    """Send whatever C/C++ code writes to file descriptor 2 into ``logger`` instead of the terminal.

    decord, FFmpeg and TFLite print diagnostics with ``fprintf(stderr)``, which Python's
    ``sys.stderr`` redirection cannot catch; fd 2 is pointed at a temporary file while at least
    one block is open (blocks in several threads share one redirect, so decoding in parallel
    still works). The swap is process-wide: anything else written to fd 2 meanwhile is logged
    here rather than shown, so keep blocks short. If fd 2 cannot be duplicated (closed, odd
    embedding) the block runs without capture.
    """
    captured = _Captured()
    st = _Redirect
    with st.lock:
        if st.depth == 0:
            _flush_stderr()
            try:
                st.saved = os.dup(2)
                st.tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the last block out
                os.dup2(st.tmp.fileno(), 2)
            except OSError:
                if st.saved is not None:
                    os.close(st.saved)
                st.saved, st.tmp = None, None
        st.depth += 1
        tmp = st.tmp
        offset = os.fstat(tmp.fileno()).st_size if tmp is not None else 0
    try:
        yield captured
    finally:
        with st.lock:
            if tmp is not None:
                _flush_stderr()
                size = os.fstat(tmp.fileno()).st_size
                captured.text = os.pread(tmp.fileno(), max(0, size - offset), offset).decode(
                    "utf-8", errors="replace")
            st.depth -= 1
            if st.depth == 0 and st.saved is not None:
                os.dup2(st.saved, 2)
                os.close(st.saved)
                st.tmp.close()
                st.saved, st.tmp = None, None
        for line in captured.text.splitlines():
            if line.strip():
                logger.log(level, "native: %s", line.rstrip())


def _clean_native_message(msg: str) -> str:
    """One readable line from a decord/dmlc message (drops ``[12:00:00] src/x.cc:83:`` prefixes)."""
    msg = str(msg).strip().splitlines()[0] if str(msg).strip() else ""
    msg = re.sub(r"^\[[\d:]+\]\s+\S+:\d+:\s*", "", msg)
    msg = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", msg)  # FFmpeg's "[mov,mp4 @ 0x...]" prefix
    msg = re.sub(r"^Check failed:.*?ERROR\s*", "", msg)
    msg = re.sub(r"^ERROR opening: .*?, ", "", msg)  # "ERROR opening: <file>, <reason>"
    msg = re.sub(r"^ERROR\s*", "", msg)
    return msg[:200]


# --------------------------------------------------------------------------- probing
_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words (``st_mode`` from ``os.stat``)."""
    return next((what for test, what in _FILE_KINDS if test(mode)), "not a regular file")


def check_regular_file(path: Path) -> os.stat_result:
    """``os.stat`` of ``path`` (symlinks followed), or ``InputError`` when it is missing, a folder,
    or anything but a regular file: opening a FIFO or a device can block for ever, before any
    decode timeout applies."""
    name = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise InputError(f"{name} does not exist: check the path to the video or sound file") from exc
    except PermissionError as exc:
        raise InputError(f"{name} cannot be read (permission denied): fix its permissions") from exc
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{name!r} cannot be opened ({why}): check the path to the video or sound "
                         "file") from exc
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{name} is a directory: give a video or sound file (e.g. clip.mp4 or memo.wav) "
                         "instead")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{name} is {file_kind(st.st_mode)}, not a regular file: give a video or sound file "
                         "(copy the stream into a file first)")
    return st


def _probe_file(path: Path) -> None:
    """Cheap checks that give a precise message before decord sees the file."""
    name = str(path)
    check_regular_file(path)
    try:
        # O_NONBLOCK: should the file have been swapped for a FIFO since the check, open returns
        # at once instead of waiting for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{name} is {file_kind(st.st_mode)}, not a regular file: give a video or "
                                 "sound file")
            size = st.st_size
            head = os.pread(fd, 1024, 0)
        finally:
            os.close(fd)
    except PermissionError as exc:
        raise InputError(f"{name} cannot be read (permission denied): fix its permissions") from exc
    except OSError as exc:
        raise InputError(f"{name} cannot be read ({exc.strerror}): check the file") from exc
    if size == 0:
        raise InputError(f"{name} is empty (0 bytes): re-export or re-download it")
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            raise InputError(f"{name} is a {kind} image, not a video or a sound recording: {_GIVE_MEDIA} "
                             "(a still photo can be turned into a video with ffmpeg -loop 1 -t 3)")
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        raise InputError(f"{name} is a WebP image, not a video or a sound recording: {_GIVE_MEDIA}")
    if _looks_like_text(head):
        raise InputError(f"{name} is a text file, not a video or a sound recording: {_GIVE_MEDIA}")


def _looks_like_text(head: bytes) -> bool:
    """True when the first bytes are printable UTF-8 text; every container header has binary bytes."""
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the 1024-byte boundary is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return printable >= 0.98 * len(text)


def uniform_indices(total: int, num: int) -> np.ndarray:
    """Indices of the centres of ``num`` equal segments of ``total`` frames.

    Centres (not ``linspace(0, total-1)``) avoid the first and last frames, which are often
    black fades, and keep clear of the nominal last frame that makes decord's ``get_batch``
    hang on files whose container over-reports the frame count (dmlc/decord#373).
    ``num`` is clamped to ``total``: a 5-frame clip gives 5 frames, never duplicates.
    """
    num = max(1, min(int(num), int(total)))
    centres = (np.arange(num, dtype=np.float64) + 0.5) * total / num
    return np.clip(np.floor(centres).astype(np.int64), 0, total - 1)


def _target_size(width: int, height: int, max_side: int) -> tuple[int, int] | None:
    """Decode size whose longer side is <= max_side with the aspect kept (even sides for YUV)."""
    if max(width, height) <= max_side:
        return None
    scale = max_side / max(width, height)
    new_w = max(2, int(width * scale) // 2 * 2)
    new_h = max(2, int(height * scale) // 2 * 2)
    return new_w, new_h


def _to_numpy(arr) -> np.ndarray:
    """decord returns its own NDArray, or a torch tensor if someone set the torch bridge."""
    if hasattr(arr, "asnumpy"):
        return arr.asnumpy()
    if hasattr(arr, "numpy"):
        return arr.numpy()
    return np.asarray(arr)


# --------------------------------------------------------------------------- decoding
def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _split_by_keyframe(idx: np.ndarray, keys: np.ndarray, parts: int) -> list[np.ndarray]:
    """Split sorted frame indices into at most ``parts`` runs of whole GOPs with about equal work.

    Reaching frame ``i`` costs decoding from its keyframe up to ``i``, so the work of a GOP is its
    last wanted index minus its keyframe. A GOP is never split: each run is then decoded exactly
    as one reader would (seek to the keyframe, skip forward), so the frames are the same.
    """
    if parts < 2 or keys.size < 2:
        return [idx]
    gop = np.searchsorted(keys, idx, side="right") - 1
    bounds = np.flatnonzero(np.diff(gop)) + 1  # where a new GOP starts in idx
    groups = np.split(idx, bounds)
    if len(groups) < 2:
        return [idx]
    cost = np.array([g[-1] - keys[max(0, gop[b])] + 8 for g, b in zip(groups, np.r_[0, bounds])], dtype=float)
    parts = min(parts, len(groups))
    cum = np.cumsum(cost)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts, side="left") + 1
    cuts = np.unique(np.clip(cuts, 1, len(groups) - 1))
    return [np.concatenate(groups[a:b]) for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(groups)])]


# libavformat's AVERROR_STREAM_NOT_FOUND (FFERRTAG(0xF8, 'S', 'T', 'R')); AVMEDIA_TYPE_AUDIO.
_AVERROR_STREAM_NOT_FOUND = -0x525453F8
_AVMEDIA_TYPE_AUDIO = 1


@functools.lru_cache(maxsize=1)
def _libavformat() -> ctypes.CDLL | None:
    """The libavformat decord links (already loaded with it), with the five calls typed; None when
    it cannot be found (another decord build): audio is then read without the check."""
    import decord

    here = os.path.dirname(decord.__file__)
    names = sorted(glob.glob(os.path.join(here, "..", "decord.libs", "libavformat*.so*"))
                   + glob.glob(os.path.join(here, "libavformat*.so*")))
    candidates = names + ["libavformat.so.58"]
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
            ptr = ctypes.POINTER(ctypes.c_void_p)
            lib.avformat_open_input.argtypes = [ptr, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p]
            lib.avformat_open_input.restype = ctypes.c_int
            lib.avformat_find_stream_info.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            lib.avformat_find_stream_info.restype = ctypes.c_int
            lib.av_find_best_stream.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_void_p, ctypes.c_int]
            lib.av_find_best_stream.restype = ctypes.c_int
            lib.avformat_close_input.argtypes = [ptr]
            lib.avformat_close_input.restype = None
            lib.avformat_version.argtypes = []
            lib.avformat_version.restype = ctypes.c_uint
            return lib
        except (OSError, AttributeError):
            continue
    log.debug("libavformat not found next to decord: audio streams are not checked before reading")
    return None


@contextmanager
def _opened(lib: ctypes.CDLL, uri: bytes) -> Iterator[ctypes.c_void_p | None]:
    """``uri`` opened by libavformat: its ``AVFormatContext``, closed on leaving; ``None`` when
    libavformat cannot open it (it then frees the context itself). Why one helper: every reader
    of the header must close what it opened, or a file descriptor (and a deleted upload's disk
    space) is lost per file."""
    ctx = ctypes.c_void_p()
    if lib.avformat_open_input(ctypes.byref(ctx), uri, None, None) < 0:
        yield None
        return
    try:
        yield ctx
    finally:
        lib.avformat_close_input(ctypes.byref(ctx))


def _audio_stream_state(uri: str) -> bool | None:
    """True/False: the file has / has no audio stream; None: unknown (let decord find out).

    The stream table of the header is enough for MP4, MKV, AVI...; only when it lists no audio is
    the (slower) stream probe run, for containers that declare streams as they meet them (MPEG-TS).
    """
    lib = _libavformat()
    if lib is None:
        return None
    with _opened(lib, os.fsencode(uri)) as ctx:
        if ctx is None:
            return None
        found = lib.av_find_best_stream(ctx, _AVMEDIA_TYPE_AUDIO, -1, -1, None, 0)
        if found == _AVERROR_STREAM_NOT_FOUND and lib.avformat_find_stream_info(ctx, None) >= 0:
            found = lib.av_find_best_stream(ctx, _AVMEDIA_TYPE_AUDIO, -1, -1, None, 0)
    if found >= 0:
        return True
    return False if found == _AVERROR_STREAM_NOT_FOUND else None


# Where ``AVFormatContext.url`` lies, by libavformat major version; ``start_time`` and ``duration``
# (int64, in AV_TIME_BASE units) follow it. 58 (FFmpeg 4, decord's wheels) keeps the old
# ``filename[1024]`` before it; 61 (FFmpeg 7) added stream groups and moved the chapters before it.
_URL_OFFSET = {58: 1080, 59: 56, 60: 56, 61: 88}
_FILENAME_OFFSET_58 = 56
_AV_TIME_BASE = 1_000_000
_AV_NOPTS_VALUE = -(2 ** 63)


def header_duration(path: str | os.PathLike) -> float | None:
    """Seconds as the container states them (``AVFormatContext.duration`` after the stream probe,
    which reads a few packets: WAV's data size, FLAC's STREAMINFO, MP4's ``mvhd``, an MP3's
    Xing/VBRI frame or its bit rate), or ``None`` when unknown. Why: a sound file has no video
    index, and decoding an hour of audio to learn its length is what an upload's admission check
    (``uploads.probe_duration``) must avoid.

    The field is read through the libavformat decord ships (``_libavformat``), whose struct layout
    depends on its version: only known layouts are read, and only once the ``url`` field holds the
    path just opened (the layout check); anything else is ``None``.
    """
    try:
        lib = _libavformat()
    except Exception as exc:  # noqa: BLE001 - no decord, no libavformat: the decoder decides
        log.debug("libavformat unavailable for %s: %s", path, exc)
        return None
    if lib is None:
        return None
    version = lib.avformat_version()
    major, minor = version >> 16, (version >> 8) & 0xFF
    url_offset = _URL_OFFSET.get(major)
    if url_offset is None or (major == 58 and minor < 7):  # the url field came in 58.7
        log.debug("libavformat %d.%d: AVFormatContext layout unknown, %s's duration not read", major, minor,
                  path)
        return None
    uri = os.fsencode(str(path))
    with _opened(lib, uri) as ctx:
        if ctx is None or lib.avformat_find_stream_info(ctx, None) < 0:
            return None
        base = ctx.value
        if major == 58 and ctypes.string_at(base + _FILENAME_OFFSET_58, min(len(uri), 1023)) != uri[:1023]:
            return None  # inline, so checked before any pointer is followed
        if ctypes.c_char_p.from_address(base + url_offset).value != uri:
            log.debug("libavformat %d.%d: AVFormatContext.url is not where expected; %s's duration not read",
                      major, minor, path)
            return None
        duration = ctypes.c_int64.from_address(base + url_offset + 16).value
    if duration == _AV_NOPTS_VALUE or duration <= 0:
        return None
    return duration / _AV_TIME_BASE


def _read_audio(uri: str, sample_rate: int) -> tuple[np.ndarray | None, str]:
    """The whole track as mono float32 at ``sample_rate``; (None, why) when there is none."""
    import decord

    if _audio_stream_state(uri) is False:
        return None, "no audio track"  # decord's reader would leak the file (module docstring)
    try:
        # decord resamples with libswresample while decoding: cheaper than decoding at the native
        # rate (more samples to copy out) and resampling here.
        ar = decord.AudioReader(uri, ctx=decord.cpu(0), sample_rate=sample_rate, mono=True)
    except decord.DECORDError as exc:
        # The one expected failure: decord raises this for a file without an audio stream.
        if "find audio stream" not in str(exc):
            raise _AudioError(_clean_native_message(str(exc))) from exc
        return None, "no audio track"
    # ``_array`` is the decoded track; the public ``ar[:]`` builds a Python list of every index.
    raw = getattr(ar, "_array", None)
    samples = np.asarray(raw if raw is not None else _to_numpy(ar[:]), dtype=np.float32)
    del ar
    audio = samples.reshape(samples.shape[0], -1).mean(axis=0) if samples.ndim == 2 else samples
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if audio.size < MIN_AUDIO_SECONDS * sample_rate:
        return None, f"audio track too short ({audio.size} samples), treated as none"
    return audio, f"{audio.size / sample_rate:.2f}s audio at {sample_rate} Hz"


def _in_thread(fn, *args, name: str | None = None) -> tuple[threading.Thread, list]:
    """Start ``fn(*args)`` in a daemon thread; the list gets ``(value, None)`` or ``(None, exc)``."""
    box: list = []

    def run() -> None:
        try:
            box.append((fn(*args), None))
        except BaseException as exc:  # noqa: BLE001 - handed to the joining thread
            box.append((None, exc))

    thread = threading.Thread(target=run, name=f"read_clip:{name or fn.__name__}", daemon=True)
    thread.start()
    return thread, box


def _joined(thread: threading.Thread, box: list):
    thread.join()
    value, exc = box[0]
    if exc is not None:
        raise exc
    return value


def _decode(path: Path, num_frames: int, max_side: int, sample_rate: int) -> dict:
    """Runs in the worker thread; returns raw results or raises decord's exceptions.

    Once the video has opened, the audio track is decoded in a second thread while the frames
    are decoded (decord releases the GIL), and frames in far-apart GOPs are decoded by separate
    readers in parallel when there are spare cores. Seeking to the keyframe before each sampled
    frame and decoding up to it is nearly all of the time on a long clip.
    """
    import decord

    uri = str(path)
    try:
        vr = decord.VideoReader(uri, ctx=decord.cpu(0))
    except decord.DECORDError as exc:
        if no_video_stream(exc):
            return _decode_sound_only(uri, sample_rate, exc)
        raise
    total = len(vr)
    first = _to_numpy(vr.next())
    height, width = int(first.shape[0]), int(first.shape[1])
    fps = float(vr.get_avg_fps())
    size = _target_size(width, height, max_side)
    kwargs = {} if size is None else {"width": size[0], "height": size[1]}
    if size is not None:
        del vr
        vr = decord.VideoReader(uri, ctx=decord.cpu(0), **kwargs)
        total = len(vr)
    idx = uniform_indices(total, num_frames)

    # Only now that the file is known to be a readable video, so a bad file's error (and what
    # its native code printed) comes from the video reader alone, as before.
    audio_job = _in_thread(_read_audio, uri, sample_rate)
    try:
        try:
            pts = np.asarray(vr.get_frame_timestamp(list(idx)), dtype=np.float64)
            times = pts[:, 0]
            last = np.asarray(vr.get_frame_timestamp([total - 1]), dtype=np.float64)[0]
            duration = float(last[1]) if last[1] > 0 else total / fps
        except (decord.DECORDError, RuntimeError, IndexError):
            times = idx / fps if fps > 0 else idx.astype(np.float64)
            duration = total / fps if fps > 0 else 0.0
        keys = np.asarray(_to_numpy(vr.get_key_indices()), dtype=np.int64)
        runs = _split_by_keyframe(idx, keys, min(_cpu_count(), _MAX_READERS))
        if len(runs) == 1:
            # One reader; FFmpeg's own frame threads use the spare cores.
            frames = _to_numpy(vr.get_batch([int(i) for i in idx]))
            del vr
        else:
            # One single-threaded reader per run of GOPs: the runs decode independently, which
            # scales better than frame threads, which every seek flushes (60 s 640x480 clip on
            # 2 cores: ~310 ms with 2 readers, ~470 ms with one frame-threaded reader).
            # ``vr`` goes first: a decord reader that has decoded a frame and then sits idle
            # keeps a core busy (its threads spin until it is used, seeked or freed).
            del vr

            def batch(wanted: np.ndarray) -> np.ndarray:
                reader = decord.VideoReader(uri, ctx=decord.cpu(0), num_threads=1, **kwargs)
                return _to_numpy(reader.get_batch([int(i) for i in wanted]))

            jobs = [_in_thread(batch, run) for run in runs[1:]]
            try:
                parts = [batch(runs[0])]
            finally:
                for thread, _ in jobs:  # all of them, even after an error (see below)
                    thread.join()
            frames = np.concatenate(parts + [_joined(*job) for job in jobs])
    finally:
        # Wait for every thread even on an error: none may write to fd 2 after the capture ends.
        audio_job[0].join()
    audio, audio_note = _joined(*audio_job)
    return {"frames": frames, "times": times, "duration": duration, "fps": fps, "width": width,
            "height": height, "total": total, "downscaled": size is not None, "audio": audio,
            "audio_note": audio_note}


def no_video_stream(exc: BaseException) -> bool:
    """Whether decord refused a file for having no video stream (a sound-only file, or neither)."""
    return "video stream" in str(exc)


def _decode_sound_only(uri: str, sample_rate: int, no_video: Exception) -> dict:
    """A file with sound and no picture (a .wav, .mp3, .flac recording): no frames, the whole
    audio. Why accepted: real emotional speech is mostly recorded as sound alone, and a user
    should not have to wrap it in a video; the face is then missing, said as such. A file with
    neither raises ``no_video`` (decord's "cannot find video stream")."""
    audio, note = _read_audio(uri, sample_rate)
    if audio is None:
        raise no_video
    return {"frames": np.zeros((0, 0, 0, 3), dtype=np.uint8), "times": np.zeros(0),
            "duration": audio.size / sample_rate, "fps": 0.0, "width": 0, "height": 0, "total": 0,
            "downscaled": False, "audio": audio, "audio_note": f"{note}, no picture"}


class _AudioError(Exception):
    """The video decoded but its audio track did not."""


def read_clip(path: str | os.PathLike, num_frames: int = 8, max_side: int = 1280,
              sample_rate: int = DEFAULT_SAMPLE_RATE, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Clip:
    """Decode ``num_frames`` uniformly sampled RGB frames and the mono audio of a video file (or
    only the audio of a sound-only file: no frames, ``has_picture`` False).

    Frames are the centres of ``num_frames`` equal segments (see ``uniform_indices``); when the
    video has fewer frames than asked, every frame is returned once (``num_frames`` is clamped).
    Only the sampled frames are decoded. A video whose longer side exceeds ``max_side`` is
    decoded downscaled (aspect kept) and ``downscaled`` is set. ``audio`` is ``None`` when the
    file has no audio track or a stub of one. Any unusable input raises ``InputError`` with a
    one-line message naming the file.
    """
    path = Path(path)
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    _probe_file(path)
    name = str(path)

    start = time.perf_counter()
    with native_stderr_to_log(log) as captured:
        worker, box = _in_thread(_decode, path, num_frames, max_side, sample_rate, name=path.name)
        worker.join(timeout_s)
    elapsed = time.perf_counter() - start
    if worker.is_alive():
        raise InputError(f"{name}: decoding did not finish within {timeout_s:.0f} s, the file is "
                         f"probably corrupt: {_FIX_HINT}")
    result, exc = box[0]
    if exc is not None:
        if isinstance(exc, ImportError):
            raise AffectError(f"cannot decode {name}: decord is not installed ({exc}); "
                              f"run `make setup` or `pip install decord`") from exc
        from decord import DECORDError  # already imported by the worker

        if not isinstance(exc, (DECORDError, RuntimeError, AssertionError, MemoryError, _AudioError)):
            raise exc  # a bug in this code, not a bad file
        raise _to_input_error(name, exc, captured) from exc

    frames = np.ascontiguousarray(result["frames"], dtype=np.uint8)
    clip = Clip(path=path, frames=frames, frame_times=np.asarray(result["times"], dtype=np.float64),
                audio=result["audio"], sample_rate=sample_rate, duration=float(result["duration"]),
                fps=float(result["fps"]), width=result["width"], height=result["height"],
                downscaled=bool(result["downscaled"]), total_frames=int(result["total"]),
                decode_seconds=elapsed)
    log.info("decoded %s: %d of %d frames at %dx%d%s, %.1f fps, %.2f s, %s (%.2f s)",
             path.name, clip.num_frames, clip.total_frames, frames.shape[2], frames.shape[1],
             f" (downscaled from {clip.width}x{clip.height})" if clip.downscaled else "",
             clip.fps, clip.duration, result["audio_note"], elapsed)
    return clip


def _to_input_error(name: str, exc: BaseException, captured: _Captured) -> InputError:
    """Translate what decord raised (and what its native code printed) into one actionable line.

    Only captured lines that name this file are used for the wording: with several clips
    decoding at once, the capture also holds the other files' messages.
    """
    msg = _clean_native_message(str(exc))
    if isinstance(exc, _AudioError):
        return InputError(f"{name}: the audio track cannot be decoded ({msg}): {_FIX_HINT}")
    if no_video_stream(exc):
        return InputError(f"{name} has neither a picture nor sound: {_GIVE_MEDIA}")
    if isinstance(exc, AssertionError) and "frame count" in msg:
        return InputError(f"{name} contains no video frames: give a video with at least one frame")
    if isinstance(exc, MemoryError):
        return InputError(f"{name} is too large to decode in memory: give a shorter or smaller clip")
    if "from_size == to_size" in msg:
        # decord copies each decoded frame into an array of the wrong size for some very narrow
        # videos (48 or 72 px wide: dmlc/decord#336); re-exported at that size it fails again.
        return InputError(f"{name} cannot be decoded at its size (a decoder bug with some very narrow "
                          f"videos): scale it up, e.g. `ffmpeg -i IN -vf scale=-2:240 out.mp4`")
    cannot_open = msg.startswith("Error reading")
    if "av_read_frame" in msg or (cannot_open and _has_mp4_header(name)):
        # An MP4 header but unreadable: its index (at the end unless faststart) or its data is cut off.
        return InputError(f"{name} is truncated or damaged (an incomplete download or copy?): "
                          f"download or copy it again")
    own = [ln for ln in captured.text.splitlines() if name in ln]
    reason = _clean_native_message(own[-1]) if own else msg
    if reason.startswith("Error reading"):
        reason = "not a recognisable video or sound container"
    reason = reason.replace(name, "").strip(" ,:.") or "unknown decoder error"
    return InputError(f"{name} cannot be decoded ({reason}): {_FIX_HINT}")


def _has_mp4_header(name: str) -> bool:
    """An MP4/MOV starts with an ``ftyp`` box; with it but no ``moov`` box, the file was cut short."""
    try:
        with open(name, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp"
