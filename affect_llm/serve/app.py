"""The HTTP API: ``POST /describe`` (a clip in, the ``describe --json`` record out) and ``GET /healthz``.

Same pipeline as ``describe`` and ``infer``: ``perceive`` then ``model.answer``. What a server adds:

* uploads are bounded (``affect_llm.uploads``): a body over the size limit is refused with 413
  while it streams in, before it is stored; wrong type, too long, undecodable: 422 with the
  one-line ``InputError`` text, naming the file as the client called it;
* perception of each request runs in a thread pool (decord, OpenCV, TFLite and torch release
  the GIL; Whisper transcribes one clip at a time, see ``WhisperAudio``), and the answers go
  through a ``MicroBatcher``, so concurrent requests share one LLM generation; ``/healthz``
  counts the batches and their sizes;
* server-side paths (JSON ``{"path": ...}``) are off unless ``allow_paths`` names a folder, and
  then only files inside it (after resolving symlinks and ``..``) are read;
* text fields (``subtitle``, ``id``, ``path``, any other) over ``MAX_FIELD_CHARS`` (12,000
  characters: ten times the 120 words / 1,200 characters a prompt keeps, so an ordinary long
  subtitle is still cut and reported, not refused) get 413 before any work: a multipart field
  the moment it passes the limit while streaming in (``multipart.py``, which also stores the
  clip once, straight into its temp folder), a JSON body from its size;
* load is bounded (``admission.py``): at most ``max_queue`` requests in flight, the next one gets
  503 with ``Retry-After``; a request whose client went away before its perception or its batch
  started is dropped (and counted in ``/healthz``); ``drain()`` (the first SIGTERM, see
  ``server.py``) finishes the running batch and answers everything else 503.

Every error body is ``{"error": "one line"}``: the app's own refusals, Starlette's (404, 405),
and an unexpected failure (500, its traceback in the server log only).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from .. import __version__
from ..errors import AffectError, InputError
from ..media.subtitle import MAX_FIELD_CHARS
from ..perception import PerceiveOptions, perceive
from ..results import result_record
from ..uploads import UploadLimits, UploadRejected, check_duration, check_upload, human_size
from .admission import DEFAULT_MAX_QUEUE, Admission
from .batcher import BatcherClosed, MicroBatcher
from .errors import ApiError, ClientGone
from .multipart import FILE_FIELD, MultipartReader, field_too_long

log = logging.getLogger(__name__)

# Room for the multipart boundaries and the small form fields on top of the file itself.
MULTIPART_SLACK_BYTES = 1024 * 1024
# A JSON request is three short strings: every character of the longest allowed ones escaped
# (\uXXXX, 6 bytes), plus the keys.
JSON_MAX_BYTES = 3 * 6 * MAX_FIELD_CHARS + 1024
# How often a waiting request checks whether its client is still there.
DISCONNECT_POLL_S = 0.25
# Starlette's status for a client that closed the connection (nginx's 499): never seen by anyone.
CLIENT_GONE_STATUS = 499


class DescribeResult(BaseModel):
    """The ``describe --json`` record, plus the size of the batch the answer was generated in."""

    id: str
    explanation: str
    emotions: list[str]
    emotions_source: str = Field(description="'evidence' (the default model: the fused decision of face, "
                                 "voice and words) or 'llm'/'cues' (a trained model's own words, or the "
                                 "decision when it named none)")
    sections: dict[str, str]
    grounding: dict[str, str] = Field(default_factory=dict, description="per section: 'generated', "
                                      "'regenerated' or 'rendered' (the checker rejected the LLM's sentence twice)")
    cues: dict[str, Any]
    model: str
    timings: dict[str, float]
    batch_size: int = Field(description="requests answered in the same LLM generation")


class PathRequest(BaseModel):
    """A clip already on the server (only with ``--allow-paths DIR``, and only inside DIR)."""

    path: str = Field(description="file inside the allowed folder (absolute, or relative to it)")
    subtitle: str | None = Field(None, description="what the person says (skips transcription)")
    id: str | None = Field(None, description="id to report (default: the file name without suffix)")


class ErrorBody(BaseModel):
    error: str


_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the video clip"},
        "subtitle": {"type": "string", "description": "what the person says (skips transcription)"},
        "id": {"type": "string", "description": "id to report (default: the file name without suffix)"},
    },
}


class _BodyLimit:
    """ASGI wrapper that refuses a ``/describe`` body over the limit while it arrives.

    A declared ``Content-Length`` over the limit is refused before one byte is read; a chunked
    body is counted as it streams and refused when it passes the limit, so an oversized upload
    never fills the disk of the server.
    """

    def __init__(self, app: Any, max_bytes: int, path: str = "/describe"):
        self.app = app
        self.max_bytes = max_bytes
        self.path = path

    def _refusal(self, nbytes: int) -> UploadRejected:
        limit = human_size(self.max_bytes - MULTIPART_SLACK_BYTES)
        return UploadRejected(f"the upload ({human_size(nbytes)} so far) is over the {limit} limit: cut or "
                              "compress the clip", status=413)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            exc = self._refusal(int(declared))
            await JSONResponse({"error": str(exc)}, status_code=413, headers={"Connection": "close"})(
                scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._refusal(seen)
            return message

        await self.app(scope, counted_receive, send)


class _Service:
    """Everything one app instance holds: the model, the batcher, the perception pool, the limits."""

    def __init__(self, model_spec: str, model: Any, device: str, max_batch: int, batch_wait_ms: float,
                 limits: UploadLimits, allow_paths: Path | None, perceive_options: PerceiveOptions,
                 perception_workers: int, max_queue: int):
        self.model_spec = model_spec
        self.model = model
        self.device = device
        self.limits = limits
        self.allow_paths = allow_paths.resolve() if allow_paths is not None else None
        self.perceive_options = perceive_options
        self.perception_workers = perception_workers
        self.batcher = MicroBatcher(self._answer, max_batch=max_batch, wait_ms=batch_wait_ms)
        self.admission = Admission(max_queue, max_batch, self.batcher.stats.mean_s)
        self.pool: ThreadPoolExecutor | None = None
        self.uploads: set[Path] = set()  # temp folders of the uploads on disk now
        self.started = time.monotonic()
        self.ready = False

    def _answer(self, perceptions: list[Any]) -> list[Any]:
        return self.model.answer(perceptions)

    def load(self) -> None:
        """Load the model's weights now, through the model interface's ``load()`` (``EmotionModel``),
        so the first request does not pay for them and ``/healthz`` says "ok" only once they are in."""
        from ..models import load_model

        if self.model is None:
            self.model = load_model(self.model_spec, device=self.device)
        self.model = self.model.load()
        self.ready = True

    def start(self) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.perception_workers, thread_name_prefix="perceive")
        if not self.batcher.closed:
            self.batcher.start()

    def drain(self) -> None:
        """The first stop signal: answer the running batch, refuse everything else with 503."""
        self.admission.drain()
        self.batcher.close()

    def abandon(self) -> None:
        """The second stop signal, just before the process exits: remove the uploads on disk."""
        for folder in list(self.uploads):
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        self.batcher.stop()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def perceive(self, path: Path, subtitle: str | None, name: str, checked: bool) -> Any:
        """Runs in the perception pool: the upload's remaining checks, then the pipeline's front half."""
        if self.admission.draining:
            raise self.admission.shutting_down()
        start = time.monotonic()
        try:
            if checked:
                check_duration(path, self.limits, name)
            else:
                check_upload(path, self.limits, name)
            perception = perceive(path, replace(self.perceive_options, subtitle=subtitle))
        except UploadRejected:
            raise
        except InputError as exc:
            # The message names the temp copy; the client knows the file by its own name.
            raise InputError(str(exc).replace(str(path), name)) from exc
        self.admission.perceived(time.monotonic() - start)
        return perception

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ready else "loading",
            "version": __version__,
            "model": getattr(self.model, "name", self.model_spec),
            "batching": {**self.batcher.stats.to_dict(), "max_batch": self.batcher.max_batch,
                         "batch_wait_ms": round(self.batcher.wait_s * 1000, 3),
                         "pending": self.batcher.pending, "running": self.batcher.running},
            "queue": self.admission.to_dict(),
            "perception_workers": self.perception_workers,
            "limits": self.limits.to_dict(),
            "allow_paths": str(self.allow_paths) if self.allow_paths else None,
            "uptime_s": round(time.monotonic() - self.started, 1),
        }


def create_app(model_spec: str = "default", *, model: Any = None, device: str = "cpu", max_batch: int = 8,
               batch_wait_ms: float = 50.0, limits: UploadLimits | None = None,
               allow_paths: str | Path | None = None, perceive_options: PerceiveOptions | None = None,
               perception_workers: int = 2, max_queue: int = DEFAULT_MAX_QUEUE) -> FastAPI:
    """The FastAPI app. ``model`` (an already loaded model) wins over ``model_spec``, so tests and
    embedding applications can share one model between apps. The model loads at start-up
    (lifespan), so ``/healthz`` answering means the server is ready. ``max_queue`` bounds the
    requests in flight (503 with ``Retry-After`` beyond it); ``app.state.service.drain()`` is the
    graceful stop (``server.run`` calls it on the first SIGTERM)."""
    limits = limits or UploadLimits()
    allow = Path(allow_paths).expanduser() if allow_paths is not None else None
    if allow is not None and not allow.is_dir():
        raise InputError(f"--allow-paths {allow}: not a folder; give the folder whose clips may be "
                         "described by path")
    service = _Service(model_spec, model, device, max_batch, batch_wait_ms, limits, allow,
                       perceive_options or PerceiveOptions(), max(1, perception_workers), max_queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.load)
        service.start()
        log.info("serving model %s (max batch %d, wait %.0f ms)", service.health()["model"], max_batch,
                 batch_wait_ms)
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="affect-llm",
        version=__version__,
        description="Explainable multimodal emotion reasoning: a video clip in; the emotions a person "
        "shows and the visual, acoustic and verbal clues behind them out.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(_BodyLimit, max_bytes=limits.max_bytes + MULTIPART_SLACK_BYTES)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own refusals (404, 405, a malformed body) in the documented shape.
        return JSONResponse({"error": _one_line(exc.detail) if exc.detail else "error"},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        what = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": _one_line(what or "invalid request")}, status_code=422)

    @app.exception_handler(BatcherClosed)
    async def _closed(request: Request, exc: BatcherClosed) -> JSONResponse:
        refusal = service.admission.shutting_down()
        return JSONResponse({"error": str(refusal)}, status_code=503, headers=refusal.headers)

    @app.exception_handler(ClientGone)
    async def _gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=CLIENT_GONE_STATUS)  # nobody reads it; uvicorn needs an answer

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log (Starlette re-raises after this answer), not the client.
        return JSONResponse({"error": f"internal error ({type(exc).__name__}): the server log has the "
                             "details; send the request again"}, status_code=500)

    @app.exception_handler(UploadRejected)
    async def _rejected(request: Request, exc: UploadRejected) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(AffectError)
    async def _affect_error(request: Request, exc: AffectError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return JSONResponse({"error": str(exc)}, status_code=500)

    @app.get("/healthz", summary="Readiness and batching counters")
    async def healthz() -> dict[str, Any]:
        return service.health()

    errors = {code: {"model": ErrorBody, "description": what} for code, what in (
        (400, "a malformed multipart body (no boundary, cut short, two files)"),
        (403, "server-side paths are off, or the path is outside the allowed folder"),
        (404, "the path does not exist in the allowed folder"),
        (413, f"the upload is over the size limit, or a text field over {MAX_FIELD_CHARS:,} characters"),
        (415, "neither multipart/form-data nor application/json"),
        (422, "not a usable video: wrong type, too long, empty, truncated or undecodable"),
        (503, "busy (--max-queue requests in flight) or shutting down; see the Retry-After header"),
    )}

    @app.post("/describe", response_model=DescribeResult, responses=errors,
              summary="Explain the emotions in one clip",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
                  "application/json": {"schema": PathRequest.model_json_schema()}}}})
    async def describe(request: Request) -> JSONResponse:
        """Upload a clip (multipart field ``file``, optional ``subtitle`` and ``id``) or, when the
        server allows it, name one on the server (JSON ``{"path": ...}``)."""
        start = time.perf_counter()
        ctype = request.headers.get("content-type", "").lower()
        if not ctype.startswith(("multipart/form-data", "application/json")):
            raise ApiError(415, "send the clip as multipart/form-data (field 'file') or, with "
                           "--allow-paths, as JSON {\"path\": ...}")
        with service.admission.admit():
            try:
                if ctype.startswith("multipart/form-data"):
                    perception, receive_s = await _perceive_upload(request)
                else:
                    perception, receive_s = await _perceive_path(request)
            except ClientDisconnect as exc:  # gone while its body was still arriving
                log.info("client went away during its upload: dropped")
                raise ClientGone from exc
            waited = await _unless_gone(request, service.batcher.submit(perception), "batch",
                                        perception.clip_id)
        timings = dict(perception.timings, receive_s=round(receive_s, 4), queue_s=waited.queued_s,
                       generate_s=waited.generate_s, total_s=round(time.perf_counter() - start, 4))
        record = result_record(perception, waited.value, service.health()["model"], timings)
        record["batch_size"] = waited.batch_size
        return JSONResponse(record)

    async def _unless_gone(request: Request, future: Future, stage: str, clip_id: str) -> Any:
        """``future``'s result; if the client leaves before the work starts, the work is cancelled
        (it takes no perception thread, no batch row) and the request ends with ``ClientGone``."""
        waiting = asyncio.wrap_future(future)
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=DISCONNECT_POLL_S)
            if done:
                return waiting.result()
            if await request.is_disconnected():
                if future.cancel():
                    service.admission.dropped()
                    log.info("client of %s went away before its %s started: dropped", clip_id, stage)
                    raise ClientGone
                return await waiting  # already running: finished, though nobody reads the answer

    async def _run_perception(request: Request, path: Path, subtitle: str | None, name: str,
                              checked: bool) -> Any:
        if service.admission.draining:
            raise service.admission.shutting_down()
        service.start()
        assert service.pool is not None
        future = service.pool.submit(service.perceive, path, subtitle, name, checked)
        return await _unless_gone(request, future, "perception", name)

    async def _perceive_upload(request: Request) -> tuple[Any, float]:
        t0 = time.perf_counter()
        folder = Path(tempfile.mkdtemp(prefix="affect-llm-upload-"))
        service.uploads.add(folder)
        try:
            reader = MultipartReader(request.headers.get("content-type", ""), folder, limits)
            try:
                async for chunk in request.stream():
                    if chunk:
                        await run_in_threadpool(reader.feed, chunk)
                form = reader.finish()
            finally:
                reader.close()
            if form.path is None:
                raise ApiError(422, f"no clip: send the video in the multipart form field '{FILE_FIELD}'")
            receive_s = time.perf_counter() - t0
            perception = await _run_perception(request, form.path, _text(form.fields.get("subtitle")),
                                               form.name or FILE_FIELD, checked=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # frames and audio are in memory now
            service.uploads.discard(folder)
        clip_id = _text(form.fields.get("id"))
        if clip_id:
            perception.clip_id = clip_id
        return perception, receive_s

    async def _perceive_path(request: Request) -> tuple[Any, float]:
        t0 = time.perf_counter()
        if service.allow_paths is None:
            raise ApiError(403, "server-side paths are off: upload the clip (multipart field 'file'), "
                           "or start the server with --allow-paths DIR")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > JSON_MAX_BYTES:
                raise ApiError(413, f"the JSON body is over {human_size(JSON_MAX_BYTES)}: a path and a subtitle "
                               f"of at most {MAX_FIELD_CHARS:,} characters each fit well within it")
        try:
            body = PathRequest.model_validate_json(bytes(raw))
        except ValueError as exc:  # JSON syntax errors and pydantic ValidationError alike
            raise ApiError(422, f"the JSON body must be {{\"path\": \"...\", \"subtitle\": \"...\"}}: "
                           f"{_one_line(exc)}") from exc
        for name in ("path", "subtitle", "id"):
            value = getattr(body, name)
            if value is not None and len(value) > MAX_FIELD_CHARS:
                raise field_too_long(name, len(value))
        root = service.allow_paths
        resolved = _resolve_request_path(body.path, root)
        perception = await _run_perception(request, resolved, _text(body.subtitle), body.path, checked=False)
        if body.id:
            perception.clip_id = body.id
        return perception, time.perf_counter() - t0

    return app


def _resolve_request_path(given: str, root: Path) -> Path:
    """The file a ``{"path": ...}`` request names, inside ``root`` and a regular file, or an
    ``ApiError`` with a 4xx status: no path a client sends may end in a 500 (a NUL byte, a
    symlink loop, a name too long) or in a blocking open (a FIFO)."""
    import os
    import stat

    from ..media.clip import file_kind

    shown = repr(given) if any(not ch.isprintable() for ch in given) else given
    if "\x00" in given:
        raise ApiError(422, f"{shown}: a path cannot contain a NUL byte; give the name of a file inside {root}")
    try:
        path = Path(given).expanduser()
        resolved = (path if path.is_absolute() else root / path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise ApiError(422, f"{shown} cannot be resolved ({_one_line(exc)}): give a file inside {root}") from exc
    if not resolved.is_relative_to(root):
        raise ApiError(403, f"{shown} is outside the allowed folder {root}: give a file inside it")
    try:
        st = os.stat(resolved)
    except FileNotFoundError as exc:
        raise ApiError(404, f"{shown} does not exist in {root}: check the name") from exc
    except (OSError, ValueError) as exc:
        raise ApiError(422, f"{shown} cannot be read ({getattr(exc, 'strerror', None) or exc}): "
                       f"give a file inside {root}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ApiError(422, f"{shown} is a folder: give a video or sound file inside {root}")
    if not stat.S_ISREG(st.st_mode):
        raise ApiError(422, f"{shown} is {file_kind(st.st_mode)}, not a regular file: give a video or sound file")
    return resolved


def _text(value: str | None) -> str | None:
    """A text field as the pipeline takes it: stripped, and ``None`` when blank."""
    return value.strip() or None if isinstance(value, str) else None


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
    return " ".join(str(exc).split())
