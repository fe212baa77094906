"""Load through nginx: 1 and 2 Rasa replicas (our configuration) and 1 replica of stock `rasa init`, at 20 and 100
closed-loop web chat users, with the stores of a fleet (PostgreSQL, Redis of our own) and CPU per message.

    PYTHONPATH=. .venv/bin/python bench/bench_fleet.py            # writes the "Fleet" section of docs/benchmarks.md

Each simulated user holds web chat conversations (bench_load.CONVERSATIONS) over HTTPS through the shipped nginx
site (deploy/nginx/thutuc.conf, bot/nginx_site.py): a new identity per conversation, its token sent back with every
later message, so nginx hashes each conversation onto one replica. No think time: the fleet is saturated and
throughput measures its cost per message. CPU seconds of every process (replicas, action server, nginx, PostgreSQL,
Redis) are read from /proc before and after each phase.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import ssl
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_load import CONVERSATIONS, WARD_FIXTURE, Budget, PhaseResult, _tree, tree_memory  # noqa: E402
from bench.bench_nlu import (  # noqa: E402
    _now, cpu_probe_seconds, describe_snapshot, load_average, machine_description, snapshot_training_data,
    train_variant, update_section,
)
from base.settings import PROJECT_ROOT  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_SPEEDUP = 6.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants, in seconds."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


@dataclass
class Phase:
    result: PhaseResult
    cpu: Dict[str, float]  # CPU seconds spent during the phase, by component


@dataclass
class Setup:
    name: str
    label: str
    replicas: int
    phases: List[Phase] = field(default_factory=list)
    rss_per_replica: int = 0
    cpu_per_message_ms: Dict[str, float] = field(default_factory=dict)


async def _user(session: aiohttp.ClientSession, url: str, index: int, budget: Budget, latencies: List[float],
                errors: List[int]) -> None:
    number = 0
    while True:
        script = CONVERSATIONS[(index + number) % len(CONVERSATIONS)]
        number += 1
        token: Optional[str] = None
        for text in script:
            if not budget.take():
                return
            started = time.perf_counter()
            headers = {"X-Chat-Session": token} if token else {}
            try:
                async with session.post(url, json={"message": text}, headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
                    token = response.headers.get("X-Chat-Session", token)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors.append(1)


async def run_phase(base_url: str, cafile: Path, users: int, messages: int, seconds: float) -> PhaseResult:
    context = ssl.create_default_context(cafile=str(cafile))
    latencies: List[float] = []
    errors: List[int] = []
    budget = Budget(messages, seconds)
    connector = aiohttp.TCPConnector(limit=users, ssl=context)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60), connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(_user(session, base_url + "/chat/webhook", i, budget, latencies, errors)
                               for i in range(users)))
        elapsed = time.perf_counter() - started
    return PhaseResult(users, latencies, len(errors), elapsed)


def _postmaster_pid(postgres) -> int:
    return int((postgres.data / "postmaster.pid").read_text().split()[0])


def bench_setup(setup: Setup, model: Path, phases: List[tuple[int, int, float]], postgres, redis_server) -> Setup:
    from bot.fleet import Fleet

    workdir = Path(tempfile.mkdtemp(prefix=f"bench-fleet-{setup.name}-"))
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "procedures", knowledge / "procedures")
    shutil.copy(WARD_FIXTURE, knowledge / "ward.yml")
    suffix = uuid.uuid4().hex[:8]
    env = {
        "DATABASE_URL": postgres.create_database(f"bench_{suffix}"),
        "TRACKER_DATABASE_URL": postgres.create_database(f"bench_conv_{suffix}"),
        "REDIS_URL": redis_server.url,
        "THUTUC_WEBCHAT_SECRET": "bench-fleet-webchat-secret-" + suffix,
        "KNOWLEDGE_CACHE_DIR": str(workdir / "cache"),
    }
    fleet = Fleet(workdir, model, env, replicas=setup.replicas)
    try:
        fleet.load_knowledge(knowledge)
        print(f"[{setup.name}] starting {setup.replicas} replica(s) …", flush=True)
        with fleet:
            assert fleet.nginx is not None and fleet.action is not None
            asyncio.run(run_phase(fleet.url, fleet.nginx.cert, setup.replicas * 2,
                                  sum(len(c) for c in CONVERSATIONS) * setup.replicas, 60))  # warm-up
            setup.rss_per_replica = max(tree_memory(r.popen.pid) for r in fleet.rasa)
            pids = {"rasa": [r.popen.pid for r in fleet.rasa], "actions": [fleet.action.popen.pid],
                    "nginx": [fleet.nginx._process.pid],  # type: ignore[union-attr]
                    "postgres": [_postmaster_pid(postgres)], "redis": [redis_server._process.pid]}
            for users, messages, seconds in phases:
                before = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
                result = asyncio.run(run_phase(fleet.url, fleet.nginx.cert, users, messages, seconds))
                cpu = {k: sum(cpu_seconds(p) for p in v) - before[k] for k, v in pids.items()}
                setup.phases.append(Phase(result, cpu))
                print(f"[{setup.name}] {users} users: {result.messages} msgs in {result.seconds:.1f} s, "
                      f"{result.throughput:.1f} msg/s, p50 {result.percentile(0.5):.0f} ms, "
                      f"p95 {result.percentile(0.95):.0f} ms, p99 {result.percentile(0.99):.0f} ms, "
                      f"errors {result.errors}, CPU ms/msg " + ", ".join(
                          f"{k} {1000 * v / max(1, result.messages):.1f}" for k, v in cpu.items()), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return setup


def render(setups: List[Setup], command: str, start_load: str, snapshot: str, probes: tuple[float, float]) -> str:
    lines = [
        f"Command: `{command}` · machine: {machine_description()} · {_now()}",
        "",
        "Closed-loop web chat users over HTTPS through the shipped nginx site (deploy/nginx/thutuc.conf, run by "
        "bot/nginx_site.py on loopback), each conversation a new server-issued identity whose token nginx hashes "
        f"onto one replica ({len(CONVERSATIONS)} scripted conversations of bench/bench_load.py, no think time). "
        "Stores as in production: PostgreSQL (tracker and project database) and Redis (locks, keys) of the "
        "benchmark's own, one action server. Both models trained by bench/bench_nlu.py on the same data "
        f"({snapshot}). The load generator, nginx, PostgreSQL and Redis share the same 2 cores with the replicas "
        f"and with other work (load average 1/5/15 min: {start_load} at the start, {load_average()} at the end; "
        f"CPU probe {probes[0]:.2f} s at the start, {probes[1]:.2f} s at the end, lower is faster).",
        "",
        "| setup | users | messages | errors | msg/s | p50 | p95 | p99 | CPU per message: replicas / actions / nginx "
        "/ PostgreSQL / Redis | RSS per replica |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setup in setups:
        for i, phase in enumerate(setup.phases):
            r, n = phase.result, max(1, phase.result.messages)
            cpu = " / ".join(f"{1000 * phase.cpu[k] / n:.1f}" for k in ("rasa", "actions", "nginx", "postgres",
                                                                         "redis"))
            lines.append(
                f"| {setup.label if i == 0 else ''} | {r.users} | {r.messages} | {r.errors} | {r.throughput:.1f} "
                f"| {r.percentile(0.5):.0f} ms | {r.percentile(0.95):.0f} ms | {r.percentile(0.99):.0f} ms "
                f"| {cpu} ms | {f'{setup.rss_per_replica / 1e6:.0f} MB' if i == 0 else ''} |")
    by_name = {s.name: s for s in setups}
    ours, stock = by_name.get("ours-1"), by_name.get("stock-1")
    if ours and ours.phases:
        at20 = next((p for p in ours.phases if p.result.users == 20), ours.phases[0])
        lines += ["", f"Targets (issue 11) on one process at {at20.result.users} users, through nginx:", ""]
        p95 = at20.result.percentile(0.95)
        lines.append(f"- p95 ≤ {TARGET_P95_MS:.0f} ms: {p95:.0f} ms — {'**met**' if p95 <= TARGET_P95_MS else '**not met**'}")
        if stock and stock.phases:
            s20 = next((p for p in stock.phases if p.result.users == at20.result.users), stock.phases[0])
            ratio = at20.result.throughput / s20.result.throughput if s20.result.throughput else float("inf")
            lines.append(f"- throughput ≥ {TARGET_SPEEDUP:.0f}× stock: {at20.result.throughput:.1f} vs "
                         f"{s20.result.throughput:.1f} msg/s = {ratio:.1f}× — "
                         f"{'**met**' if ratio >= TARGET_SPEEDUP else '**not met**'}")
    return "\n".join(lines)


def _ints(text: str) -> List[int]:
    return [int(x) for x in text.split(",")]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="20,100")
    parser.add_argument("--messages", default="2500,4000", help="message budget per phase")
    parser.add_argument("--seconds", default="30,40", help="time limit per phase")
    parser.add_argument("--only", default="ours-1,ours-2,stock-1")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    phases = list(zip(_ints(args.users), _ints(args.messages), [float(s) for s in args.seconds.split(",")]))
    from tests.faults.dependencies import OwnPostgres, OwnRedis

    start_load, probe_start = load_average(), cpu_probe_seconds()
    snapshot = snapshot_training_data()
    names = [n for n in args.only.split(",") if n]
    models = {kind: train_variant(kind, snapshot).path for kind in {n.split("-")[0] for n in names}}
    labels = {"ours": "ours (config.yml)", "stock": "stock `rasa init` 3.6"}
    postgres, redis_server = OwnPostgres().start(), OwnRedis().start()
    setups = []
    try:
        for name in names:
            kind, replicas = name.split("-")
            setup = Setup(name, f"{labels[kind]}, {replicas} replica{'s' if replicas != '1' else ''}", int(replicas))
            setups.append(bench_setup(setup, models[kind], phases, postgres, redis_server))
    finally:
        redis_server.close()
        postgres.close()
    command = "PYTHONPATH=. .venv/bin/python bench/bench_fleet.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    report = render(setups, command, start_load, describe_snapshot(snapshot), (probe_start, cpu_probe_seconds()))
    print(report)
    if not args.no_docs:
        update_section("## Fleet", report)


if __name__ == "__main__":
    main()
