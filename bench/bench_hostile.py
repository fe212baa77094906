"""Hostile input at scale: the mix of tests/security/test_hostile_input.py with 20,000 requests against the real
assistant, while a citizen's normal web chat conversation goes on.

    PYTHONPATH=. .venv/bin/python bench/bench_hostile.py [--requests 20000] [--concurrency 8] [--write]

Starts an isolated assistant (shipped knowledge base, current model, `bot.local_bot`), fires the mix
(tests/security/hostile_mix.py: huge, empty, binary, deeply nested and wrongly typed bodies, forged Zalo
signatures and web identities, path tricks, long URLs, bad methods and content types, broken HTTP framing) from
`--concurrency` connections at a time, and prints the requests, their statuses, the violations (answers ≥ 500 or
a body naming internals) and the probe conversation's latency p50/p95. `--write` updates the "Hostile input"
section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_nlu import _now, load_average, update_section  # noqa: E402
from bot.local_bot import local_bot  # noqa: E402
from tests.security.hostile_mix import MixReport, hostile_requests, run_mix  # noqa: E402

SECTION = "## Hostile input"
TOKENS = {"THUTUC_SYNC_TOKEN": "bench-sync-token"}


def machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    model = next((line.split(":", 1)[1].strip() for line in
                  subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                  if line.startswith("Model name")), "unknown CPU")
    return f"`nproc` {cores}, `lscpu` {model}"


def render(report: MixReport, command: str, concurrency: int, started_load: str) -> str:
    statuses = " · ".join(f"{status}: {count}" for status, count in sorted(report.statuses.items()))
    lines = [
        f"Command: `{command}` · machine: {machine()} · {_now()} · load average {started_load} at the start, "
        f"{load_average()} at the end.",
        "",
        f"The mix of `tests/security/hostile_mix.py` ({len(report.families)} request families over every public "
        f"endpoint, through a simulated reverse proxy) from {concurrency} connections at a time, while one citizen "
        "keeps a normal web chat conversation going (a question every 0.5 s). Zero answers ≥ 500 needs the head "
        "checks of `bot/http_guard.py`: Sanic 21.12 alone answers `Content-Length: abc` and `Transfer-Encoding: gzip` "
        "with 500, hangs on `Content-Length: -5`, and drops raw non-ASCII request lines without an answer.",
        "",
        "| requests | time | requests/s | statuses | answers ≥ 500 or naming internals | probe answers | probe failures | probe p50 | probe p95 | probe max |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {report.requests} | {report.seconds:.0f} s | {report.requests / report.seconds:.0f} | {statuses} | "
        f"{len(report.violations)} | {len(report.probe_latencies_s)} | {len(report.probe_failures)} | "
        f"{report.percentile(0.5) * 1000:.0f} ms | {report.percentile(0.95) * 1000:.0f} ms | "
        f"{max(report.probe_latencies_s, default=float('nan')) * 1000:.0f} ms |",
    ]
    for violation in report.violations[:20]:
        lines.append(f"- violation: {violation.family} → {violation.status}: `{violation.excerpt[:120]}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    command = "PYTHONPATH=. .venv/bin/python bench/bench_hostile.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp, local_bot(Path(tmp), extra_env=TOKENS) as servers:
        address = urlsplit(servers.rasa_url)
        mix = hostile_requests(args.requests, address.netloc)
        started_load = load_average()
        report = asyncio.run(run_mix(address.hostname, address.port, mix, concurrency=args.concurrency))
    print(report.summary())
    text = render(report, command.strip(), args.concurrency, started_load)
    print(text)
    if args.write:
        update_section(SECTION, text)


if __name__ == "__main__":
    main()
