"""A TCP proxy on 127.0.0.1 that can stop forwarding: to its clients, the server goes silent.

`freeze()` stops forwarding on the connections open now while keeping their sockets open (the
kernel still acknowledges what the client sends, so TCP keepalives and retransmission timers
see a live peer: only a client-side bound can end the wait). Connections made afterwards are
forwarded normally, like a server that hung one connection, or a pooler that lost its backend.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from sqlalchemy.engine import URL


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.sockets = (client, server)
        self.frozen = threading.Event()
        self.closed = threading.Event()

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set() and not self.closed.is_set():
                    self.closed.wait(0.05)  # hold what arrived: forward nothing, close nothing
                if self.closed.is_set():
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class SilencingProxy:
    """Forwards 127.0.0.1:`port` to `host`:`target_port` until told to fall silent."""

    def __init__(self, host: str, target_port: int) -> None:
        self._target = (host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="silencing-proxy").start()

    def url_for(self, url: URL) -> URL:
        """`url` with this proxy in place of its server."""
        return url.set(host="127.0.0.1", port=self.port)

    def freeze(self) -> None:
        """Stop forwarding on every connection open now; later ones are forwarded."""
        with self._lock:
            for pair in self._pairs:
                pair.frozen.set()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for pair in self._pairs:
                pair.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self._target)
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.append(pair)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=pair.pump, args=(source, target), daemon=True).start()

    def __enter__(self) -> SilencingProxy:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()
