"""``perceive`` for servers that perceive several clips at once in threads (``serve``, ``chat``).

Decoding, face detection and the expression model are safe to run in parallel threads (the
latter two hold their own locks). Whisper's transcription is not: openai-whisper's decoder
installs key/value-cache hooks on the *shared* model for the length of a call, so two
transcriptions in two threads write into each other's caches (garbled transcripts, or a
``KeyError`` from the cache). ``infer`` never meets this because it perceives in processes.

So a clip that may be transcribed is perceived under one process-wide lock, and a clip whose
words are given (or with transcription off) runs in parallel with everything else.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from .perception import PerceiveOptions, perceive

log = logging.getLogger(__name__)

_WHISPER_LOCK = threading.Lock()


def may_transcribe(options: PerceiveOptions) -> bool:
    return options.transcribe and not (options.subtitle and options.subtitle.strip())


def perceive_in_thread(path: str | Path, options: PerceiveOptions) -> Any:
    """``perceive(path, options)``, safe to call from several threads at once."""
    if not may_transcribe(options):
        return perceive(path, options)
    with _WHISPER_LOCK:
        return perceive(path, options)
