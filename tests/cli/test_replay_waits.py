"""A replay started right after ``workbench serve … &`` waits for the service instead of
failing at once."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def test_a_replay_waits_for_a_service_that_is_still_starting() -> None:
    from workbench.serving.replay import _wait_for_service

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Model(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            body = json.dumps({"features": ["a"]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    servers: list[HTTPServer] = []

    def start_late() -> None:
        time.sleep(1.5)
        server = HTTPServer(("127.0.0.1", port), Model)
        servers.append(server)
        server.serve_forever()

    threading.Thread(target=start_late, daemon=True).start()
    started = time.monotonic()
    described = _wait_for_service(f"http://127.0.0.1:{port}", timeout=5)
    assert described == {"features": ["a"]} and time.monotonic() - started >= 1.4
    servers[0].shutdown()
