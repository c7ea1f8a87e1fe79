"""Where outbound notifications land in the collaboration tests: a webhook endpoint (``http.server``
on 127.0.0.1, a real socket) and an SMTP server (aiosmtpd on 127.0.0.1), each recording what
arrived, with the time it arrived."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.postgres import free_port


class WebhookReceiver:
    """Records every POST (JSON body, ``Idempotency-Key``); the first ``fail_first`` POSTs are
    answered with HTTP 500 and not recorded as delivered."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.refused: list[dict[str, Any]] = []
        self.arrived_at: list[float] = []
        self.fail_left = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    failing = receiver.fail_left > 0
                    if failing:
                        receiver.fail_left -= 1
                        receiver.refused.append(body)
                    else:
                        receiver.bodies.append(body)
                        receiver.keys.append(self.headers["Idempotency-Key"])
                        receiver.arrived_at.append(time.time())
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=collab-secret"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """An SMTP server that keeps every message it accepts; the first ``fail_first`` messages are
    answered "451 try again later" and not kept."""

    def __init__(self, fail_first: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.refused: list[Message] = []
        self.fail_left = fail_first
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                message = message_from_bytes(envelope.content)
                if receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    receiver.refused.append(message)
                    return "451 4.3.0 try again later"
                receiver.messages.append(message)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
