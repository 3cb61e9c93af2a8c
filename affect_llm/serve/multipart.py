"""Reads a ``POST /describe`` multipart body in one pass: the clip goes straight to its own file.

Starlette's ``request.form()`` spools a file part into an anonymous temporary file, which the
server then had to copy into a named one (decord and PyAV open paths): every upload was stored
twice. Here the ``file`` part is written once, into the request's temp folder, under its
sanitised client name. Text fields are decoded as they arrive and refused the moment they pass
``MAX_FIELD_CHARS`` (12,000 characters, ten times the words a prompt keeps; see
``affect_llm.media.subtitle``), so a 900 kB subtitle costs a 413 and a few kilobytes of memory,
not a prompt of 200,000 tokens. The clip's suffix is checked from the part's headers, before one
byte of it is stored, and its size as it streams in.

Every refusal is an ``UploadRejected`` with the status that fits: 400 for a body that is not
well-formed multipart (no boundary, broken framing, cut short, a second file), 413 for too many
bytes or characters, 422 for the rest.

``python_multipart``'s parser logs a WARNING before it raises on broken framing: one line in the
server log per malformed request from any client, for a refusal the client is already answered
(400, with the parser's words). Our parser instance logs those lines at DEBUG on this module's
logger instead (``_AtDebug``); the library's logger, and every other library's warnings, are
untouched.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..media.subtitle import MAX_CHARS, MAX_FIELD_CHARS, MAX_WORDS
from ..uploads import UploadLimits, UploadRejected, check_name, check_size, human_size, safe_filename

log = logging.getLogger(__name__)

FILE_FIELD = "file"
# Parts a form may hold: the file, subtitle and id, and a few a client adds on its own (ignored).
MAX_PARTS = 8


def field_too_long(name: str, chars: int | None = None) -> UploadRejected:
    """The 413 for a text field over ``MAX_FIELD_CHARS``; JSON requests use the same words."""
    size = f"{chars:,} characters" if chars else f"over {MAX_FIELD_CHARS:,} characters"
    return UploadRejected(f"the field '{name}' is {size}, over the {MAX_FIELD_CHARS:,}-character limit "
                          f"(the prompt keeps {MAX_WORDS} words, {MAX_CHARS:,} characters): send the "
                          "words said in this clip only", status=413)


class _AtDebug:
    """Stands in for a ``python_multipart`` parser's ``logger``: whatever it reports, at any level,
    goes to this module's logger at DEBUG (the refusal it precedes carries the same words)."""

    def _debug(self, msg: object, *args: object, **_: object) -> None:
        log.debug("python_multipart: " + str(msg), *args)

    debug = info = warning = error = exception = _debug


@dataclass
class UploadForm:
    """What the body held: the stored clip (if any), its client-side name and size, the text fields."""

    path: Path | None = None
    name: str | None = None
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    out: IO[bytes] | None = None  # the clip's file, for the one stored part
    skip: bool = False  # a file part under another field name: read past, not stored
    text: list[str] = field(default_factory=list)
    chars: int = 0
    decoder: Any = None


class MultipartReader:
    """Parses one body, chunk by chunk (``feed``), into ``form``; ``folder`` receives the clip."""

    def __init__(self, content_type: str, folder: Path, limits: UploadLimits):
        import python_multipart
        from python_multipart.multipart import parse_options_header

        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise UploadRejected("the multipart body has no boundary in its Content-Type: send it as "
                                 "multipart/form-data (e.g. `curl -F file=@clip.mp4 URL`)", status=400)
        self.folder = folder
        self.limits = limits
        self.form = UploadForm()
        self.ended = False
        self._parts = 0
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._error: UploadRejected | None = None
        self._pending: list[bytes] = []
        self._parser = python_multipart.MultipartParser(boundary, {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        })
        self._parser.logger = _AtDebug()  # a malformed body is the client's 400, not a server warning

    # ---- feeding
    def feed(self, chunk: bytes) -> None:
        """Parse ``chunk`` and write the clip's bytes in it; raises the first refusal met.

        Runs in a worker thread (``run_in_threadpool``): the clip's bytes go to disk here.
        """
        from python_multipart.exceptions import MultipartParseError

        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise UploadRejected(f"the multipart body is malformed ({' '.join(str(exc).split())}): send "
                                 "the clip as multipart/form-data, field 'file'", status=400) from exc
        if self._error is not None:
            raise self._error
        self._flush()

    def finish(self) -> UploadForm:
        """The parsed form, once the body has ended; a body cut short is refused."""
        self._parser.finalize()
        if self._error is not None:
            raise self._error
        self._flush()
        if not self.ended:
            raise UploadRejected("the multipart body ended before its closing boundary (the upload was cut "
                                 "short): send it again", status=400)
        return self.form

    def close(self) -> None:
        """Close the clip's file (also after a refusal); the caller removes the folder."""
        if self._part.out is not None:
            self._part.out.close()

    def _flush(self) -> None:
        if self._pending and self._part.out is not None:
            self._part.out.write(b"".join(self._pending))
        self._pending.clear()

    # ---- parser callbacks: they record a refusal instead of raising through the C-like parser loop
    def _refuse(self, error: UploadRejected) -> None:
        if self._error is None:
            self._error = error

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            self._refuse(UploadRejected(f"the form has more than {MAX_PARTS} parts: send 'file', and "
                                        "optionally 'subtitle' and 'id'", status=400))
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._part.headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        if self._error is not None:
            return
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            self._refuse(UploadRejected("a form part has no name (Content-Disposition: form-data; "
                                        "name=...): name the clip's part 'file'", status=400))
            return
        part = self._part
        part.name = options[b"name"].decode("utf-8", "replace")
        if b"filename" not in options:
            part.decoder = codecs.getincrementaldecoder("utf-8")()
            return
        if part.name != FILE_FIELD:
            part.skip = True  # not stored; "no clip" is said at the end if 'file' never comes
            return
        if self.form.path is not None:
            self._refuse(UploadRejected("the form holds two files: send one clip per request, in the "
                                        "field 'file'", status=400))
            return
        name = safe_filename(options[b"filename"].decode("utf-8", "replace"))
        try:
            check_name(name, self.limits)
        except UploadRejected as exc:
            self._refuse(exc)
            return
        self.form.name = name
        self.form.path = self.folder / name
        part.out = open(self.form.path, "wb")  # noqa: SIM115 - closed in _on_part_end or close()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._error is not None:
            return
        part = self._part
        if part.out is not None:
            self.form.size += end - start
            if self.form.size > self.limits.max_bytes:
                self._refuse(UploadRejected(
                    f"{self.form.name} is over {human_size(self.limits.max_bytes)} (the upload limit): cut or "
                    "compress the clip (e.g. `ffmpeg -i IN -t 60 -crf 28 out.mp4`)", status=413))
                return
            self._pending.append(data[start:end])
        elif part.decoder is not None:
            try:
                text = part.decoder.decode(data[start:end])
            except UnicodeDecodeError:
                self._refuse(UploadRejected(f"the field '{part.name}' is not UTF-8 text: send it as UTF-8",
                                            status=422))
                return
            part.chars += len(text)
            if part.chars > MAX_FIELD_CHARS:
                self._refuse(field_too_long(part.name))
                return
            part.text.append(text)

    def _on_part_end(self) -> None:
        if self._error is not None:
            return
        part = self._part
        if part.out is not None:
            self._flush()
            part.out.close()
            part.out = None
            try:
                check_size(self.form.name or FILE_FIELD, self.form.size, self.limits)  # the empty file
            except UploadRejected as exc:
                self._refuse(exc)
        elif part.decoder is not None:
            try:
                part.text.append(part.decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                self._refuse(UploadRejected(f"the field '{part.name}' is not UTF-8 text: send it as UTF-8",
                                            status=422))
                return
            self.form.fields[part.name] = "".join(part.text)

    def _on_end(self) -> None:
        self.ended = True
