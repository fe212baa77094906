"""How the fake backends serve: on a socket bound to 127.0.0.1:<free port>, printing `READY <port>` once Sanic
listens (tests/browser/conftest.py `start_backend` waits for that line)."""
from __future__ import annotations

import logging
import socket
from typing import Any


def loopback_socket() -> tuple[socket.socket, int]:
    """A listening socket on a free loopback port, and the port (known before the app is built)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    return sock, sock.getsockname()[1]


def serve(app: Any, sock: socket.socket, port: int) -> None:
    @app.listener("after_server_start")
    async def ready(app_: Any, loop: Any) -> None:
        print(f"READY {port}", flush=True)

    logging.basicConfig(level=logging.WARNING)
    app.run(sock=sock, access_log=False, motd=False)
