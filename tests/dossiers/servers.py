"""Loopback servers for tests: free ports, subprocess action servers, a tiny recording HTTP server."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

import requests

from bot.local_bot import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def wait_until_up(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise TimeoutError(url)


def start_action_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`actions.dossier_status` in its own OS process, bound to 127.0.0.1 on a free port."""
    port = free_port()
    code = ("from rasa_sdk.endpoint import create_app\n"
            "app = create_app('actions.dossier_status', cors_origins=None)\n"
            f"app.run(host='127.0.0.1', port={port}, workers=1, access_log=False, motd=False)\n")
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/health", process)
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class RecordingServer:
    """Answers every request with `responder(method, path, body)` → (status, json) and records the calls."""

    def __init__(self, responder: Callable[[str, str, bytes], tuple[int, object]]):
        self.calls: list[tuple[str, str, bytes]] = []
        self.headers: list[dict[str, str]] = []  # the request headers, in the order of `calls`
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.calls.append((method, self.path, body))
                outer.headers.append(dict(self.headers))
                status, payload = responder(method, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "RecordingServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
