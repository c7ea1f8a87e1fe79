"""A small TCP proxy on 127.0.0.1 in front of a real server, for tests of dropped connections.

It can drop the next N connections right after accepting them (as a busy sshd past its
``MaxStartups`` does: it writes ``Exceeded MaxStartups`` and closes), cut the next N forwarded
connections once the client has sent some bytes through them, and cut every connection it is
forwarding (a network that went away). Real sockets only; stopped with ``close``.
"""

from __future__ import annotations

import select
import socket
import threading

from tests.support.postgres import free_port


class TcpProxy:
    def __init__(self, upstream_port: int, *, drop_first: int = 0):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.accepted = self.dropped = 0
        self._drop_left = drop_first
        self._cut_left, self._cut_after = 0, 0
        self.cut_midway = 0
        self._lock = threading.Lock()
        self._live: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._closing = False
        threading.Thread(target=self._accept_loop, daemon=True, name="tcp-proxy").start()

    def drop_next(self, count: int) -> None:
        with self._lock:
            self._drop_left = count

    def cut_next(self, count: int, *, after_bytes: int) -> None:
        """Cut the next ``count`` forwarded connections once ``after_bytes`` went upstream."""
        with self._lock:
            self._cut_left, self._cut_after = count, after_bytes

    def cut(self) -> int:
        """Close every forwarded connection in both directions; how many there were."""
        with self._lock:
            live, self._live = self._live, []
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        return len(live) // 2

    def close(self) -> None:
        self._closing = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self._listener.close()
        self.cut()

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                drop = self._drop_left > 0
                if drop:
                    self._drop_left -= 1
                    self.dropped += 1
            if drop:
                try:
                    client.sendall(b"Exceeded MaxStartups\r\n")
                except OSError:
                    pass
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._live += [client, upstream]
                limit = self._cut_after if self._cut_left > 0 else None
                if limit is not None:
                    self._cut_left -= 1
            threading.Thread(target=self._pump, args=(client, upstream, limit), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket, limit: int | None) -> None:
        peers = {a: b, b: a}
        sent = 0
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
                    sent += len(data) if sock is a else 0
                    if limit is not None and sent > limit:
                        with self._lock:
                            self.cut_midway += 1
                        return
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass
            with self._lock:
                self._live = [s for s in self._live if s not in (a, b)]
