"""The shipped nginx site (deploy/nginx/thutuc.conf) on loopback: rendered with a test's ports and paths, checked
with `nginx -t`, run as a non-root process from a temporary prefix. Used by the fleet test and bench/bench_fleet.py,
so they route exactly as production does; only listen addresses, replica list, certificate and log paths change.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from base.settings import PROJECT_ROOT

SITE = PROJECT_ROOT / "deploy" / "nginx" / "thutuc.conf"
NGINX = "/usr/sbin/nginx"
UNPRIVILEGED_USER = "nobody"

REPLICAS_INCLUDE = "include /etc/nginx/thutuc-replicas.conf;"
REPLICA_OPTIONS = "max_fails=1 fail_timeout=10s"


class NginxError(RuntimeError):
    pass


def replicas_file(replica_ports: Sequence[int]) -> str:
    """The replica list, as deploy/nginx/thutuc-replicas.conf writes it for a host, for these ports."""
    return "".join(f"server 127.0.0.1:{port} {REPLICA_OPTIONS};\n" for port in replica_ports)


def render_site(site_text: str, replicas: Path, https_port: int, http_port: int,
                cert: Path, key: Path, log_dir: Path, webroot: Path) -> str:
    """The site with loopback listeners, this replica list, this certificate and these log paths."""
    replacements = [
        (REPLICAS_INCLUDE, f"include {replicas};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;\n", ""),
        ("/etc/ssl/thutuc/fullchain.pem", str(cert)),
        ("/etc/ssl/thutuc/privkey.pem", str(key)),
        ("/var/log/nginx/", f"{log_dir}/"),
        ("/var/www/letsencrypt", str(webroot)),
    ]
    text = site_text
    for old, new in replacements:
        if old not in text:
            raise NginxError(f"the site no longer contains {old.strip()!r}; update bot/nginx_site.py")
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site: Path, user: Optional[str]) -> str:
    """An nginx.conf whose every writable path is under `prefix` (pid, logs, request-body and proxy buffers)."""
    temp = prefix / "temp"
    return "\n".join([
        *([f"user {user};"] if user else []),
        "worker_processes 1;",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {prefix / 'logs' / 'error.log'} warn;",
        "events { worker_connections 1024; }",
        "http {",
        f"    access_log {prefix / 'logs' / 'access.log'};",
        f"    client_body_temp_path {temp / 'body'};",
        f"    proxy_temp_path {temp / 'proxy'};",
        f"    fastcgi_temp_path {temp / 'fastcgi'};",
        f"    uwsgi_temp_path {temp / 'uwsgi'};",
        f"    scgi_temp_path {temp / 'scgi'};",
        "    default_type application/octet-stream;",
        f"    include {site};",
        "}",
        "",
    ])


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=IP:{host}", "-keyout", str(key), "-out", str(cert)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return cert, key


@dataclass
class LoopbackNginx:
    """nginx from a temporary prefix: as root, its processes run as `nobody` (`runuser`), never as root."""

    prefix: Path
    replica_ports: Sequence[int]
    https_port: int
    http_port: int
    binary: str = NGINX
    _process: Optional[subprocess.Popen] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not Path(self.binary).exists() and shutil.which("nginx") is None:
            raise NginxError(f"{self.binary} is missing (Debian: apt-get install nginx-light)")
        self.binary = self.binary if Path(self.binary).exists() else shutil.which("nginx")  # type: ignore[assignment]
        self._as_user: list[str] = ["runuser", "-u", UNPRIVILEGED_USER, "--"] if os.geteuid() == 0 else []
        for sub in ("logs", "temp", "tls", "webroot"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        self.cert, self.key = self_signed_certificate(self.prefix / "tls")
        replicas = self.prefix / "thutuc-replicas.conf"
        replicas.write_text(replicas_file(self.replica_ports), encoding="utf-8")
        site = render_site(SITE.read_text(encoding="utf-8"), replicas, self.https_port, self.http_port,
                           self.cert, self.key, self.prefix / "logs", self.prefix / "webroot")
        self.site = self.prefix / "thutuc.conf"
        self.site.write_text(site, encoding="utf-8")
        self.config = self.prefix / "nginx.conf"
        self.config.write_text(main_config(self.prefix, self.site, None), encoding="utf-8")
        if self._as_user:
            import pwd

            owner = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in [self.prefix, *self.prefix.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "thutuc-access.log"

    def _command(self, *args: str) -> list[str]:
        return [*self._as_user, self.binary, "-p", str(self.prefix), "-c", str(self.config), *args]

    def test_config(self) -> str:
        """`nginx -t`; raises with nginx's own message when the configuration is refused."""
        done = subprocess.run(self._command("-t"), capture_output=True, text=True)
        if done.returncode != 0:
            raise NginxError(done.stderr.strip())
        return done.stderr.strip()

    def start(self, timeout_s: float = 10.0) -> "LoopbackNginx":
        self.test_config()
        with open(self.prefix / "logs" / "stderr.log", "ab") as stderr:
            self._process = subprocess.Popen(self._command("-g", "daemon off;"), stdout=subprocess.DEVNULL,
                                             stderr=stderr, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NginxError((self.prefix / "logs" / "stderr.log").read_text(errors="replace")[-2000:])
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.https_port)) == 0:
                    return self
            time.sleep(0.05)
        raise NginxError(f"nginx did not listen on {self.https_port} within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None

    def access_lines(self) -> list[str]:
        if not self.access_log.exists():
            return []
        return self.access_log.read_text(encoding="utf-8", errors="replace").splitlines()

    def __enter__(self) -> "LoopbackNginx":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
