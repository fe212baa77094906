"""The files in deploy/: the nginx site passes `nginx -t` and routes as documented (public paths only, the real-IP
header overwritten, one Zalo user or web chat identity to one replica, echoes with their user), the compose file
passes `docker compose config`, the systemd units pass `systemd-analyze verify`."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import yaml

from base.settings import PROJECT_ROOT
from bot.local_bot import free_port
from bot.nginx_site import NGINX, LoopbackNginx

DEPLOY = PROJECT_ROOT / "deploy"


class Backend(ThreadingHTTPServer):
    """Stands in for a Rasa replica: names itself in X-Thutuc-Replica and records what reached it."""

    def __init__(self, name: str) -> None:
        self.name, self.seen = name, []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                backend.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
                payload = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Thutuc-Replica", backend.name)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def routed() -> Iterator[tuple[LoopbackNginx, List[Backend]]]:
    if not Path(NGINX).exists():
        pytest.skip(f"{NGINX} is missing (scripts/test.sh installs nginx-light)")
    backends = [Backend("rasa-1"), Backend("rasa-2"), Backend("rasa-3")]
    prefix = Path(tempfile.mkdtemp(prefix="thutuc-nginx-test-"))
    nginx = LoopbackNginx(prefix, [b.port for b in backends], free_port(), free_port())
    try:
        with nginx:
            yield nginx, backends
    finally:
        for backend in backends:
            backend.shutdown()
        shutil.rmtree(prefix, ignore_errors=True)


def _post(nginx: LoopbackNginx, path: str, body: bytes, headers: Dict[str, str] | None = None) -> requests.Response:
    return requests.post(nginx.url + path, data=body, headers=headers or {}, timeout=10, verify=str(nginx.cert))


def _who(backends: List[Backend], marker: bytes) -> List[str]:
    return [b.name for b in backends for seen in b.seen if marker in seen["body"]]


def test_site_passes_nginx_t(routed):
    nginx, _ = routed
    assert "test is successful" in nginx.test_config()
    host_replicas = (DEPLOY / "nginx" / "thutuc-replicas.conf").read_text()
    assert re.findall(r"^server 127\.0\.0\.1:(\d+) ", host_replicas, re.MULTILINE) == ["5005", "5006"]


def test_only_public_paths_reach_a_replica(routed):
    nginx, backends = routed
    before = sum(len(b.seen) for b in backends)
    for path in ("/webhooks/rest/webhook", "/status", "/version", "/conversations/1/tracker", "/model", "/",
                 "/chatx", "/api/dossiers/other", "/metrics"):
        assert requests.get(nginx.url + path, timeout=5, verify=str(nginx.cert)).status_code == 404, path
        assert _post(nginx, path, b"{}").status_code == 404, path
    assert sum(len(b.seen) for b in backends) == before
    for path in ("/chat/", "/chat", "/clerk/", "/clerk", "/admin/", "/admin", "/admin/misses/", "/admin/misses", "/api/dossiers/sync",
                 "/webhooks/zalo/webhook"):
        response = requests.get(nginx.url + path, timeout=5, verify=str(nginx.cert))
        assert response.status_code == 200, path
        assert "X-Thutuc-Replica" not in response.headers  # logged, not shown
    http = requests.get(f"http://127.0.0.1:{nginx.http_port}/chat/", timeout=5, allow_redirects=False)
    assert http.status_code == 301 and http.headers["Location"].startswith("https://")


def test_real_ip_header_is_nginx_own(routed):
    nginx, backends = routed
    marker = uuid.uuid4().hex.encode()
    _post(nginx, "/chat/webhook", b'{"message": "' + marker + b'"}',
          {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"})
    [seen] = [s for b in backends for s in b.seen if marker in s["body"]]
    assert seen["headers"]["X-Real-IP"] == "127.0.0.1" and seen["headers"]["X-Forwarded-For"] == "127.0.0.1"


def _zalo_event(name: str, sender: str, recipient: str, marker: str, compact: bool = False) -> bytes:
    event = {"app_id": "1", "event_name": name, "timestamp": "1", "sender": {"id": sender},
             "recipient": {"id": recipient}, "message": {"text": marker, "msg_id": marker}}
    return json.dumps(event, separators=(",", ":") if compact else (", ", ": ")).encode()


def test_one_zalo_user_one_replica_echoes_included(routed):
    nginx, backends = routed
    oa = "579745863508352884"
    placements = set()
    for n in range(12):
        user = f"84{n:017d}"
        markers = [uuid.uuid4().hex for _ in range(4)]
        _post(nginx, "/webhooks/zalo/webhook", _zalo_event("user_send_text", user, oa, markers[0]))
        _post(nginx, "/webhooks/zalo/webhook", _zalo_event("user_send_text", user, oa, markers[1], compact=True))
        _post(nginx, "/webhooks/zalo/webhook", _zalo_event("oa_send_text", oa, user, markers[2]))  # the OA's echo
        _post(nginx, "/webhooks/zalo/webhook", _zalo_event("user_send_sticker", user, oa, markers[3]))
        replicas = {name for marker in markers for name in _who(backends, marker.encode())}
        assert len(replicas) == 1, (user, replicas)
        placements |= replicas
    assert len(placements) >= 2  # and users are spread over the replicas


def test_one_web_chat_identity_one_replica(routed):
    nginx, backends = routed
    placements = set()
    for _ in range(12):
        token = f"v1.{uuid.uuid4().hex}.{'x' * 43}"
        markers = [uuid.uuid4().hex for _ in range(3)]
        for marker in markers:
            _post(nginx, "/chat/webhook", json.dumps({"message": marker}).encode(), {"X-Chat-Session": token})
        replicas = {name for marker in markers for name in _who(backends, marker.encode())}
        assert len(replicas) == 1
        placements |= replicas
    assert len(placements) >= 2


def test_compose_file():
    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "actions", "rasa-1", "rasa-2", "nginx"} <= set(services)
    replicas = [s for s in services if s.startswith("rasa-")]
    listed = re.findall(r"^server (rasa-\d+):5005 ", (DEPLOY / "compose" / "thutuc-replicas.conf").read_text(),
                        re.MULTILINE)
    assert sorted(listed) == sorted(replicas)  # nginx knows every replica
    for name in replicas:
        env = services[name]["environment"]
        assert env["THUTUC_REPLICA_NAME"] == name and env["REDIS_URL"].startswith("redis://redis:")
        assert env["TRACKER_DATABASE_URL"].startswith("postgresql://") and services[name]["command"][-2:] == ["serve", "rasa"]
    nginx_address = services["nginx"]["networks"]["thutuc"]["ipv4_address"]
    assert services["rasa-1"]["environment"]["THUTUC_TRUSTED_PROXIES"] == nginx_address
    for mount in services["nginx"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./") and not source.endswith("tls"):
            assert (DEPLOY / source).exists(), source

    # Metrics: on the compose network only, never published on the host.
    for name in [*replicas, "actions"]:
        assert "ports" not in services[name], name
    assert services["actions"]["expose"] == ["9055"] and all(services[r]["expose"] == ["9005"] for r in replicas)
    assert services["rasa-1"]["environment"]["THUTUC_METRICS_BIND_HOST"] == "0.0.0.0"
    assert services["prometheus"]["ports"] == ["127.0.0.1:9090:9090"]

    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` (plugin) nor `docker-compose` is installed (scripts/test.sh installs "
                    "Debian's docker-compose): `compose config` not run")
    env_file = DEPLOY / "thutuc.env"
    created = not env_file.exists()
    if created:
        shutil.copy(DEPLOY / "thutuc.env.example", env_file)
    try:
        done = subprocess.run([*command, "-p", "thutuc", "-f", str(DEPLOY / "compose.yml"), "--profile", "monitoring",
                               "config", "--quiet"],
                              capture_output=True, text=True, env={"POSTGRES_PASSWORD": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"})
    finally:
        if created:
            env_file.unlink()
    assert done.returncode == 0, done.stderr


def compose_command() -> list[str] | None:
    """The Compose v2 plugin (`docker compose`) when the docker client has it, else Debian's `docker-compose`."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_config_refuses_a_broken_file(tmp_path):
    """The validator really validates: a service with an unknown key is refused."""
    command = compose_command()
    if command is None:
        pytest.skip("no docker compose / docker-compose installed")
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  a:\n    image: x\n    no_such_key: 1\n")
    done = subprocess.run([*command, "-f", str(broken), "config", "--quiet"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin:/usr/local/bin"})
    assert done.returncode != 0


def test_systemd_units_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    units = {"thutuc-actions.service": "thutuc-actions.service", "thutuc-rasa@.service": "thutuc-rasa@5005.service",
             "thutuc.target": "thutuc.target"}
    for source, target in units.items():
        text = (DEPLOY / "systemd" / source).read_text()
        text = text.replace("/opt/thutuc", str(PROJECT_ROOT))
        text = text.replace("/etc/thutuc/thutuc.env", str(DEPLOY / "thutuc.env.example"))
        text = text.replace("User=thutuc", "User=root").replace("Group=thutuc", "Group=root")
        (tmp_path / target).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / t) for t in units.values()]],
                          capture_output=True, text=True)
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line and "thutuc" in line]
    assert done.returncode == 0 and not problems, done.stderr
