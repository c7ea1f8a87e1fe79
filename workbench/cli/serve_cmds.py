"""``workbench serve`` and ``workbench replay``: the REST inference service and its traffic
replayer.

``serve FILE --node ID`` serves an inference node (one model) or a comparator node (champion
and challenger with the comparator's split) until Ctrl-C or SIGTERM, which stop it gracefully
(the prediction log is flushed; exit 0). ``replay DATASET --url URL`` sends a CSV/Parquet
dataset to a running service and prints a report (``--json`` for one JSON object); it exits 0
only when every request was answered.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve a graph node's models over REST")
    serve.add_argument("file", metavar="FILE", help="graph file")
    serve.add_argument("--node", required=True, metavar="ID",
                       help="an inference node, or a comparator node (canary / shadow)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--no-log", action="store_true",
                       help="do not log predictions into the store")
    serve.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                       help="how often to check for a newly promoted version")
    serve.set_defaults(handler=_serve)

    replay = sub.add_parser("replay", help="send a dataset to a running inference service")
    replay.add_argument("dataset", metavar="DATASET", help="CSV or Parquet file")
    replay.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8765")
    replay.add_argument("--rate", type=float, default=None, metavar="R",
                        help="requests per second (default: as fast as answered)")
    replay.add_argument("--count", type=int, default=None, metavar="N",
                        help="requests to send (default: one pass over the dataset)")
    replay.add_argument("--concurrency", type=int, default=4, metavar="C")
    replay.add_argument("--batch", type=int, default=1, metavar="ROWS", help="rows per request")
    replay.add_argument("--prefix", default="replay", help="request id prefix")
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(handler=_replay)


def _serve(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.serving import serve

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

    stats = serve(ctx.store(), ctx.user, args.file, args.node, host=args.host, port=args.port,
                  log_predictions=not args.no_log, on_ready=ready, poll_s=args.poll)
    if stats.get("enabled"):
        print(f"stopped: {stats['logged']} prediction row(s) logged, {stats['dropped']} dropped",
              flush=True)
    else:
        print("stopped", flush=True)
    return 0


def _replay(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.serving.replay import replay

    report = replay(args.dataset, args.url, rate=args.rate, count=args.count,
                    concurrency=args.concurrency, batch=args.batch, request_prefix=args.prefix)
    if args.json:
        ctx.print_json(report.as_dict())
    else:
        print(report.summary())
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
    return 0 if report.failed == 0 else 1
