"""Bounds on clips that arrive from other people: the chat demo's uploads and the HTTP API's.

A local ``describe`` trusts its user; a server does not. An upload is checked, cheapest test
first, before the perception pipeline spends seconds on it: its type (file suffix), its size in
bytes, then its duration (read from the container's index, without decoding frames or audio, so
a two-hour film is refused before its 460 MB of 16 kHz audio is decoded). Each refusal is an
``UploadRejected``: an ``InputError`` (one line naming the file and what to do) that also carries
the HTTP status that fits it (413 for too many bytes, 422 for everything else).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .inference import MEDIA_SUFFIXES, SOUND_SUFFIXES

log = logging.getLogger(__name__)

DEFAULT_MAX_MB = 200.0
DEFAULT_MAX_SECONDS = 120.0
# How long the duration probe may take before the clip is handed to the decoder as it is
# (whose own timeout and error wording then apply).
PROBE_TIMEOUT_S = 30.0


class UploadRejected(InputError):
    """An upload outside the server's limits; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """What a server accepts: at most ``max_mb`` megabytes, ``max_seconds`` of video, these suffixes."""

    max_mb: float = DEFAULT_MAX_MB
    max_seconds: float = DEFAULT_MAX_SECONDS
    suffixes: frozenset[str] = field(default_factory=lambda: frozenset(MEDIA_SUFFIXES))

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)

    def describe(self) -> str:
        """The limits in words, for labels and help texts: "a video (.avi, ...) or a sound recording
        (.aac, ...); at most 200 MB and 120 s" (the kinds apart: the demo has a box for each)."""
        video = sorted(s for s in self.suffixes if s not in SOUND_SUFFIXES)
        sound = sorted(s for s in self.suffixes if s in SOUND_SUFFIXES)
        kinds = [f"{kind} ({', '.join(types)})"
                 for kind, types in (("a video", video), ("a sound recording", sound)) if types]
        return f"{' or '.join(kinds)}; at most {human_size(self.max_bytes)} and {self.max_seconds:g} s"

    def to_dict(self) -> dict[str, object]:
        return {"max_mb": self.max_mb, "max_seconds": self.max_seconds, "suffixes": sorted(self.suffixes)}


def human_size(nbytes: float) -> str:
    """A byte count the way people write it: "512 bytes", "1.5 kB", "300 MB", "2.1 GB".

    Binary units (a kB is 1,024 bytes), as ``--max-upload-mb`` counts; one decimal below 10, none
    from 10 up, so a limit and a size over it read alike ("300 MB ... over the 200 MB limit").
    """
    if nbytes < 1024:
        return f"{nbytes:.0f} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        nbytes /= 1024
        if nbytes < 1024 or unit == "TB":
            break
    text = f"{nbytes:.0f}" if nbytes >= 10 else f"{nbytes:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def safe_filename(name: str | None, default: str = "upload.mp4") -> str:
    """The base name of a client-given file name, reduced to characters safe in a temp folder.

    The name matters because the clip's id (the file stem) comes from it; the reduction matters
    because a client may send ``../../etc/passwd`` or control characters.
    """
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]+", "_", base).strip("._")[:120]
    return base or default


def check_name(name: str, limits: UploadLimits) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in limits.suffixes:
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise UploadRejected(f"{name}: {shown} is not a type accepted here; give a video or sound file "
                             f"({', '.join(sorted(limits.suffixes))})", status=422)


def check_size(name: str, nbytes: int, limits: UploadLimits) -> None:
    if nbytes > limits.max_bytes:
        raise UploadRejected(f"{name} is {human_size(nbytes)}, over the {human_size(limits.max_bytes)} upload limit: "
                             "cut or compress the recording (e.g. `ffmpeg -i IN -t 60 -crf 28 out.mp4`)",
                             status=413)
    if nbytes == 0:
        raise UploadRejected(f"{name} is empty (0 bytes): upload the file again", status=422)


def _decoded_duration(path: Path) -> float | None:
    """Seconds of sound counted by decoding it all (at 8 kHz mono, the cheapest decord offers):
    the last resort for a container that states no duration (a raw stream, a broken header)."""
    import decord

    ar = decord.AudioReader(str(path), ctx=decord.cpu(0), sample_rate=8000, mono=True)
    return ar.shape[1] / 8000


def probe_duration(path: Path, timeout_s: float = PROBE_TIMEOUT_S) -> float | None:
    """Seconds of video from the container's index (no frame is decoded); of sound, for a
    sound-only file, from the container's header (``media.clip.header_duration``), decoded only
    when the header states none; ``None`` when the file cannot be opened or the probe outlasts
    ``timeout_s``: the decoder then reports why, in its own words."""
    from .media.clip import header_duration, native_stderr_to_log, no_video_stream

    result: dict[str, float] = {}

    def work() -> None:
        try:
            import decord

            try:
                vr = decord.VideoReader(str(path), ctx=decord.cpu(0))
            except decord.DECORDError as exc:
                if not no_video_stream(exc):
                    raise
                duration = header_duration(path)
                if duration is None:
                    log.debug("%s states no duration: decoding its sound to measure it", path.name)
                    duration = _decoded_duration(path)
                result["duration"] = duration
                return
            fps = float(vr.get_avg_fps())
            if fps > 0:
                result["duration"] = len(vr) / fps
            del vr
        except Exception as exc:  # noqa: BLE001 - any failure means "unknown"; read_clip words it
            log.debug("duration probe of %s failed: %s", path, exc)

    with native_stderr_to_log(log):
        worker = threading.Thread(target=work, name=f"probe:{path.name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
    return result.get("duration")


def check_duration(path: Path, limits: UploadLimits, name: str | None = None) -> float | None:
    """Refuse a clip longer than ``limits.max_seconds``; returns the duration when it is known."""
    duration = probe_duration(path)
    if duration is not None and duration > limits.max_seconds:
        raise UploadRejected(f"{name or path.name} lasts {duration:.0f} s, over the {limits.max_seconds:g} s "
                             "limit: cut the part you want explained (e.g. `ffmpeg -ss 10 -t 20 -i IN "
                             "out.mp4`)", status=422)
    return duration


def check_upload(path: Path, limits: UploadLimits, name: str | None = None) -> None:
    """All checks on a file already on disk, cheapest first; ``name`` is what the user called it."""
    import stat

    from .media.clip import file_kind

    name = name or path.name
    check_name(name, limits)
    try:
        st = path.stat()
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UploadRejected(f"{name}: the upload cannot be read ({why}); upload it again") from exc
    if not stat.S_ISREG(st.st_mode):
        # Before the duration probe: opening a FIFO or a device blocks until someone writes to it.
        raise UploadRejected(f"{name} is {file_kind(st.st_mode)}, not a regular file: give a video or "
                             "sound file", status=422)
    check_size(name, st.st_size, limits)
    check_duration(path, limits, name)
