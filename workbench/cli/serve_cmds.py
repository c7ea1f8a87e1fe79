"""``workbench serve``, ``workbench serve tokens`` and ``workbench replay``: the REST inference
service, its bearer tokens and its traffic replayer."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from typing import Any

from workbench.cli.context import CliContext

TOKEN_ENV = "WORKBENCH_SERVE_TOKEN"
MIB = 1024 * 1024

SERVE_USAGE = ("workbench serve FILE --node ID [--host HOST] [--port PORT] [--require-token] "
               "[--max-body BYTES] [--certfile PEM --keyfile PEM] [--no-log] [--poll SECONDS]\n"
               "       workbench serve tokens {add,list,revoke} [NAME] [--json]")
SERVE_EPILOG = """bearer tokens:
  Bound to a loopback address (127.0.0.1, ::1, localhost) the service answers anyone on this
  machine; bound to any other address (0.0.0.0, a LAN address) every request, /docs included,
  needs 'Authorization: Bearer TOKEN' and the service does not start without a token in the
  store. --require-token asks for tokens on loopback too.

  workbench serve tokens add NAME      make a token (engineer or admin); printed once
  workbench serve tokens list [--json] names, who made them, when, revoked or not
  workbench serve tokens revoke NAME   refused within a few seconds by running services"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``serve`` (with ``serve tokens``) and ``replay`` to the parser."""
    serve = sub.add_parser(
        "serve", help="serve a graph node's models over REST; 'serve tokens' manages its tokens",
        usage=SERVE_USAGE, add_help=False, epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    serve.add_argument("file", metavar="FILE", nargs="?",
                       help="graph file ('tokens': manage the bearer tokens, see below)")
    serve.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    serve.add_argument("--node", metavar="ID",
                       help="an inference node, or a comparator node (canary / shadow); required")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; any other needs tokens)")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--require-token", action="store_true",
                       help="require a bearer token on a loopback address too")
    serve.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                       help="largest request body accepted (default 10 MiB); larger gets 413")
    serve.add_argument("--certfile", metavar="PEM", help="serve HTTPS with this certificate (with --keyfile)")
    serve.add_argument("--keyfile", metavar="PEM", help="the certificate's private key (with --certfile)")
    serve.add_argument("--no-log", action="store_true",
                       help="do not log predictions into the store")
    serve.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                       help="how often to check for a newly promoted version")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="serving processes sharing the port (default 1; Linux and macOS)")
    serve.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)  # a worker's socket
    serve.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # 'tokens list --json'
    serve.set_defaults(handler=_serve, serve_parser=serve)

    replay = sub.add_parser("replay", help="send a dataset to a running inference service")
    replay.add_argument("dataset", metavar="DATASET", help="CSV or Parquet file")
    replay.add_argument("--url", required=True,
                        help="the service, e.g. http://127.0.0.1:8765 or https://host:8765")
    replay.add_argument("--rate", type=float, default=None, metavar="R",
                        help="requests per second (default: as fast as answered)")
    replay.add_argument("--count", type=int, default=None, metavar="N",
                        help="requests to send (default: one pass over the dataset)")
    replay.add_argument("--concurrency", type=int, default=4, metavar="C")
    replay.add_argument("--batch", type=int, default=1, metavar="ROWS", help="rows per request")
    replay.add_argument("--prefix", default="replay", help="request id prefix")
    replay.add_argument("--token", default=None,
                        help=f"bearer token to send (default: ${TOKEN_ENV}; prefer the variable: "
                             "a command line is visible to other users of this machine)")
    replay.add_argument("--cacert", default=None, metavar="PEM",
                        help="trust this certificate (or CA) for an https:// URL")
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(handler=_replay)


def _tokens_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench serve tokens",
                                     description="bearer tokens of the REST inference service")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="make a token (engineer or admin); it is printed once")
    add.add_argument("name", metavar="NAME", help="what the token is for, e.g. the client's name")
    listing = actions.add_parser("list", help="the tokens: name, made by, made at, revoked (never the token)")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    revoke = actions.add_parser("revoke", help="revoke a token (engineer or admin)")
    revoke.add_argument("name", metavar="NAME")
    return parser


def _serve(args: argparse.Namespace, ctx: CliContext) -> int:
    """``serve FILE --node ID`` serves an inference node (one model) or a comparator node
    (champion and challenger with the comparator's split) until Ctrl-C or SIGTERM, which stop it
    gracefully (the prediction log is flushed; exit 0). Bound beyond loopback (or with
    ``--require-token``) every request needs a bearer token; ``--certfile/--keyfile`` serve
    HTTPS; ``--max-body`` caps a request's size."""
    parser: argparse.ArgumentParser = args.serve_parser
    if args.file == "tokens":
        return _tokens(args, ctx)
    if args.help:
        parser.print_help()
        return 0
    if args.file is None or args.node is None:
        parser.error("serving needs a graph FILE and --node ID")
    if args.words:
        parser.error(f"unexpected argument(s): {' '.join(args.words)}")
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    from workbench.services.serving import serve, serve_workers

    guard = _guard_text(args)
    if args.workers > 1:
        return _serve_workers(args, ctx, guard, serve_workers)

    def ready(url: str, service: Any) -> None:
        served = ", ".join(f"{h['variant']} {h['model']}" for h in service.health()["models"])
        split = ""
        if service.config.node_kind == "comparator":
            split = (" (shadow)" if service.config.shadow
                     else f" (challenger answers {service.config.traffic_split:.0%})")
        print(f"serving {service.config.source}: {served}{split} on {url}", flush=True)
        log = "logged into the store" if service.logger.enabled else "not logged (--no-log)"
        print(f"  POST {url}/predict, GET {url}/health, {url}/model, {url}/docs; predictions "
              f"are {log}; Ctrl-C stops", flush=True)
        print(f"  {guard}", flush=True)

    listen = None
    if args.listen_fd is not None:
        import socket

        listen = socket.socket(fileno=args.listen_fd)
    stats = serve(ctx.store(), ctx.user, args.file, args.node, host=args.host, port=args.port,
                  log_predictions=not args.no_log, on_ready=ready, poll_s=args.poll,
                  require_token=args.require_token, max_body=args.max_body,
                  certfile=args.certfile, keyfile=args.keyfile, listen=listen)
    if stats.get("enabled"):
        print(f"stopped: {stats['logged']} prediction row(s) logged, {stats['dropped']} dropped",
              flush=True)
    else:
        print("stopped", flush=True)
    return 0


def _serve_workers(args: argparse.Namespace, ctx: CliContext, guard: str, serve_workers: Any) -> int:
    child = [*(["--no-log"] if args.no_log else []), "--poll", str(args.poll),
             *(["--require-token"] if args.require_token else []),
             *(["--max-body", str(args.max_body)] if args.max_body is not None else []),
             *(["--certfile", args.certfile, "--keyfile", args.keyfile] if args.certfile else [])]

    def ready(url: str, workers: int) -> None:
        log = "logged into the store" if not args.no_log else "not logged (--no-log)"
        print(f"serving {args.node} of {args.file} with {workers} worker processes on {url}", flush=True)
        print(f"  POST {url}/predict, GET {url}/health (one worker's figures), {url}/model; "
              f"predictions are {log}; Ctrl-C stops", flush=True)
        print(f"  {guard}", flush=True)

    stats = serve_workers(ctx.store(), ctx.user, args.file, args.node, args.workers, host=args.host,
                          port=args.port, require_token=args.require_token, max_body=args.max_body,
                          certfile=args.certfile, keyfile=args.keyfile, child_args=child,
                          on_ready=ready)
    failed = [w for w in stats["workers"] if w["exit_code"] not in (0, None)]
    if stats.get("enabled"):
        print(f"stopped: {stats['logged']} prediction row(s) logged, {stats['dropped']} dropped "
              f"(by {len(stats['workers'])} workers)", flush=True)
    else:
        print("stopped", flush=True)
    for worker in failed:
        print(f"worker {worker['pid']} ended with exit code {worker['exit_code']}: the rows it had "
              "not yet written are lost", file=sys.stderr)
    return 1 if failed else 0


def _guard_text(args: argparse.Namespace) -> str:
    from workbench.serving.guard import DEFAULT_MAX_BODY, is_loopback

    tokens = ("every request needs 'Authorization: Bearer TOKEN'"
              if args.require_token or not is_loopback(args.host)
              else "no token needed on this loopback address")
    limit = DEFAULT_MAX_BODY if args.max_body is None else args.max_body
    size = f"{limit / MIB:g} MiB" if limit % MIB == 0 else f"{limit} bytes"
    return f"{tokens}; bodies up to {size}; {'HTTPS' if args.certfile else 'plain HTTP'}"


def _when(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _tokens(args: argparse.Namespace, ctx: CliContext) -> int:
    """``serve tokens add|list|revoke`` (``tokens`` as the first word after ``serve``; a graph
    file named so is given as ``./tokens``): ``add`` prints the new token alone on stdout, once."""
    parser = _tokens_parser()
    if args.help:
        parser.parse_args([*args.words, "--help"])
    serving_options = [flag for flag, value in (("--node", args.node), ("--certfile", args.certfile),
                                                ("--keyfile", args.keyfile), ("--max-body", args.max_body))
                       if value is not None]
    if serving_options:
        args.serve_parser.error(f"{', '.join(serving_options)} belong(s) to serving, not to 'serve tokens'")
    chosen = parser.parse_args(args.words)
    from workbench.services import serve_tokens

    if chosen.action == "add":
        token, text = serve_tokens.add_token(ctx.store(), ctx.user, chosen.name)
        print(text, flush=True)
        print(f"made the serve token {token.name!r}. It is shown this once and cannot be read "
              "again (the store keeps only its hash): copy it now. Clients send it as "
              f"'Authorization: Bearer TOKEN'; 'workbench replay' reads ${TOKEN_ENV}.",
              file=sys.stderr)
        return 0
    if chosen.action == "revoke":
        token = serve_tokens.revoke_token(ctx.store(), ctx.user, chosen.name)
        print(f"revoked the serve token {token.name!r}; running services refuse it within a few seconds")
        return 0
    tokens = serve_tokens.list_tokens(ctx.store(read_only=True), ctx.user)
    if args.json or chosen.json:
        ctx.print_json([{"name": t.name, "created_by": t.created_by, "created_at": t.created_at,
                         "revoked": t.revoked, "revoked_at": t.revoked_at, "revoked_by": t.revoked_by}
                        for t in tokens])
        return 0
    if not tokens:
        print("no serve tokens (an engineer makes one with 'workbench serve tokens add NAME')")
        return 0
    ctx.print_table(["NAME", "CREATED BY", "CREATED AT", "REVOKED"],
                    [[t.name, t.created_by, _when(t.created_at),
                      f"{_when(t.revoked_at)} by {t.revoked_by}" if t.revoked else "no"] for t in tokens])
    return 0


def _replay(args: argparse.Namespace, ctx: CliContext) -> int:
    """``replay DATASET --url URL`` sends a CSV/Parquet dataset to a running service and prints a
    report (``--json`` for one JSON object); exit 0 only when every request was answered."""
    from workbench.serving.replay import replay

    token = args.token or os.environ.get(TOKEN_ENV) or None
    report = replay(args.dataset, args.url, rate=args.rate, count=args.count,
                    concurrency=args.concurrency, batch=args.batch, request_prefix=args.prefix,
                    token=token, cafile=args.cacert)
    if args.json:
        ctx.print_json(report.as_dict())
    else:
        print(report.summary())
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
    return 0 if report.failed == 0 else 1
