"""deploy/grafana and deploy/prometheus name only metrics that exist, on the ports the servers use by default."""
from __future__ import annotations

import json
import re

import yaml
from prometheus_client import CollectorRegistry

from base.metrics import REGISTRY
from base.settings import METRICS_PORT_OFFSET, PROJECT_ROOT, Settings
from handoff.metrics import TicketCollector

DEPLOY = PROJECT_ROOT / "deploy"
PROMETHEUS_OWN = {"up"}  # added by Prometheus to every target


def _known_names() -> set:
    tickets = CollectorRegistry()
    tickets.register(TicketCollector(lambda: {}, timeout_s=1))
    return set(REGISTRY._names_to_collectors) | set(tickets._names_to_collectors) | PROMETHEUS_OWN


def test_every_metric_of_the_dashboard_exists():
    dashboard = json.loads((DEPLOY / "grafana" / "thutuc-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    used = {name for expr in exprs for name in re.findall(r"\b([a-z_]+)(?=\s*[\[{)]|\s*$)", expr)
            if name.startswith(("thutuc_", "process_")) or name == "up"}
    assert used, exprs
    assert used <= _known_names(), used - _known_names()
    # And each thutuc metric of the registry is on the dashboard.
    families = {name.removesuffix("_total").removesuffix("_bucket") for name in used}
    defined = {c._name for c in REGISTRY._collector_to_names if getattr(c, "_name", "").startswith("thutuc_")}
    assert defined <= families, defined - families
    assert {"thutuc_handoff_tickets_open", "thutuc_ticket_store_up"} <= families


def test_scrape_examples_name_the_default_ports():
    defaults = Settings()
    host = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]] for job in host["scrape_configs"]}
    assert jobs["thutuc-rasa"] == [f"127.0.0.1:{port + METRICS_PORT_OFFSET}" for port in (5005, 5006)]
    assert jobs["thutuc-actions"] == [f"127.0.0.1:{defaults.actions_metrics_port}"]
    compose = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]] for job in compose["scrape_configs"]}
    assert jobs == {"thutuc-rasa": [f"rasa-1:{defaults.rasa_metrics_port}", f"rasa-2:{defaults.rasa_metrics_port}"],
                    "thutuc-actions": [f"actions:{defaults.actions_metrics_port}"]}
