"""``affect-llm serve``: the HTTP API (``POST /describe``, ``GET /healthz``), micro-batched."""

from __future__ import annotations

import argparse
import socket

from ..serve.admission import DEFAULT_MAX_QUEUE  # light: no FastAPI, no model
from .options import add_perception_options, add_upload_limits, non_negative_float, positive_int


def check_port_free(host: str, port: int) -> None:
    """Fail with one line before loading any model when the port is taken."""
    from ..errors import AffectError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise AffectError(f"cannot listen on {host}:{port} ({exc.strerror}): pick another port with "
                              "--port, or stop what uses it") from exc


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="HTTP API: POST /describe a clip, get the explanation as JSON (micro-batched)",
        description="Serve the describe pipeline over HTTP (FastAPI + uvicorn). Concurrent requests "
        "are perceived in a thread pool and answered together: a worker collects requests for up "
        "to --batch-wait-ms or --max-batch and runs one LLM generation for all of them. The OpenAPI "
        "schema is at /openapi.json, interactive docs at /docs.",
        epilog="examples:\n"
        "  affect-llm serve                                   # http://127.0.0.1:8000\n"
        "  curl -F file=@examples/angry.mp4 -F subtitle='Leave me alone.' http://127.0.0.1:8000/describe\n"
        "  affect-llm serve --allow-paths /data/clips         # also JSON {\"path\": \"c1.mp4\"}\n"
        "  curl -H 'content-type: application/json' -d '{\"path\": \"c1.mp4\"}' http://127.0.0.1:8000/describe\n"
        "  curl http://127.0.0.1:8000/healthz                 # readiness, batch counters\n\n"
        "Errors are {\"error\": \"...\"}: 413 upload or text field too large, 422 not a usable video, 403 path\n"
        "not allowed, 503 busy or stopping (with Retry-After). The first SIGTERM or Ctrl-C finishes the\n"
        "running batch, answers the rest 503 and exits 0; a second one exits at once.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind; 0.0.0.0 exposes the API to the network, which has no "
                   "authentication (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="(default: %(default)s)")
    add_perception_options(p)
    p.add_argument("--max-batch", type=positive_int, default=8, metavar="N",
                   help="most requests answered in one generation (default: %(default)s)")
    p.add_argument("--batch-wait-ms", type=non_negative_float, default=50.0, metavar="MS",
                   help="how long the first request of a batch waits for others (default: %(default)g)")
    p.add_argument("--workers", type=positive_int, default=2, metavar="N",
                   help="perception threads (decode, faces, prosody, Whisper) (default: %(default)s)")
    p.add_argument("--max-queue", type=positive_int, default=DEFAULT_MAX_QUEUE, metavar="N",
                   help="most requests in flight (uploading, perceiving, waiting or generating); the "
                   "next one gets 503 with a Retry-After estimate (default: %(default)s)")
    add_upload_limits(p)
    p.add_argument("--allow-paths", metavar="DIR",
                   help="also accept JSON {\"path\": ...} naming a file inside DIR (off by default)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    check_port_free(args.host, args.port)
    from ..serve import create_app
    from ..serve.server import run as run_server
    from ..uploads import UploadLimits
    from .options import perceive_options

    app = create_app(args.model, max_batch=args.max_batch, batch_wait_ms=args.batch_wait_ms,
                     limits=UploadLimits(max_mb=args.max_upload_mb, max_seconds=args.max_seconds),
                     allow_paths=args.allow_paths, perception_workers=args.workers,
                     perceive_options=perceive_options(args), max_queue=args.max_queue)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"affect-llm serve: listening on {args.host}: the API has no authentication",
              file=sys.stderr)
    print(f"affect-llm serve: loading {args.model}, then http://{args.host}:{args.port}/ "
          "(docs at /docs; Ctrl-C to stop)", file=sys.stderr, flush=True)
    run_server(app, args.host, args.port, log_level="debug" if args.verbose > 1 else "info")
    return 0
