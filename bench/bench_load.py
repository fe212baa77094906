"""Load benchmark: closed-loop simulated citizens over the REST channel, our configuration vs the stock one.

For each configuration (our model from config.yml, the stock `rasa init` model trained on our data by
bench/bench_nlu.py) it starts the action server and the Rasa server on free ports of 127.0.0.1 with a fresh SQLite
knowledge base and tracker store, runs 1 and then 20 simulated users, and stops the servers before the next
configuration. Each user sends the messages of a scripted conversation one at a time and waits for the reply before
the next (no think time: a saturation test, so throughput compares the servers' cost per message). Every phase is
bounded by a message count and a time limit. RSS of both servers (process trees) is sampled throughout.

    PYTHONPATH=. .venv/bin/python bench/bench_load.py [--users 1,20] [--messages 200,1500] [--seconds 60,120]
                                                      [--only ours,stock] [--profile 20] [--no-docs]

Only 127.0.0.1 is ever contacted.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import aiohttp

from bench.bench_nlu import (
    DOCS, WORK_DIR, _met, _now, cpu_probe_seconds, describe_snapshot, load_average, machine_description,
    snapshot_training_data, train_variant, update_section,
)
from base.settings import PROJECT_ROOT

WARD_FIXTURE = PROJECT_ROOT / "tests" / "e2e" / "fixtures" / "ward.yml"
TARGET_SPEEDUP = 3.0
TARGET_P95_MS = 250.0
TARGET_RSS_BYTES = 1.2e9

# Realistic conversations: greeting, procedure questions with and without diacritics, follow-ups that rely on the
# procedure already named, small talk. Written for this benchmark; not taken from the held-out NLU set.
CONVERSATIONS: list[list[str]] = [
    ["xin chào", "làm giấy khai sinh cho con cần những giấy tờ gì", "lệ phí bao nhiêu vậy",
     "mất mấy ngày thì có kết quả", "cảm ơn nhé"],
    ["chao ad", "dang ky ket hon can giay to gi", "nop ho so o dau vay ad", "co nop online duoc khong",
     "ok cam on"],
    ["alo", "cho hỏi đăng ký thường trú làm thế nào", "thế còn lệ phí thì sao?", "ủy ban làm việc mấy giờ",
     "tạm biệt"],
    ["hello", "cap ban sao trich luc ho tich mat bao lau", "can mang theo nhung gi", "lam theo cac buoc nao",
     "thanks ad"],
    ["chào bạn", "xin trích lục khai tử ở đâu", "có làm online được không ạ", "bạn là người hay máy vậy",
     "bye"],
    ["ad oi", "chung thuc ban sao giay to het bao nhieu tien", "can giay to gi", "cam on ad nhieu"],
]


@dataclass
class PhaseResult:
    users: int
    latencies_ms: list[float]
    errors: int
    seconds: float

    @property
    def messages(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


@dataclass
class MemoryReport:
    steady_rasa: int = 0
    steady_actions: int = 0
    peak_rasa: int = 0
    peak_actions: int = 0


@dataclass
class ConfigResult:
    name: str
    model: Path
    phases: list[PhaseResult] = field(default_factory=list)
    memory: MemoryReport = field(default_factory=MemoryReport)
    profile: list[tuple[str, float]] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------------
# Memory of a process tree, from /proc

def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int, key: str = "VmRSS") -> int:
    """Bytes of `key` (VmRSS now, VmHWM peak) summed over the process and its descendants."""
    return sum(_status_kb(p, key) for p in _tree(pid)) * 1024


class MemorySampler(threading.Thread):
    """Samples the RSS of both server trees every `interval` seconds while a load phase runs."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.peaks = {name: 0 for name in pids}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for name, pid in self.pids.items():
                self.peaks[name] = max(self.peaks[name], tree_memory(pid))
            self._stop_event.wait(self.interval)

    def stop(self) -> dict[str, int]:
        self._stop_event.set()
        self.join()
        return self.peaks


# ----------------------------------------------------------------------------------------------------------------
# Closed-loop users

async def _user(session: aiohttp.ClientSession, url: str, index: int, budget: "Budget",
                latencies: list[float], errors: list[int]) -> None:
    conversation_number = 0
    while True:
        script = CONVERSATIONS[(index + conversation_number) % len(CONVERSATIONS)]
        sender = f"bench-{index}-{conversation_number}-{uuid.uuid4().hex[:6]}"
        conversation_number += 1
        for text in script:
            if not budget.take():
                return
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors.append(1)


class Budget:
    """At most `messages` messages and `seconds` seconds for a phase."""

    def __init__(self, messages: int, seconds: float) -> None:
        self.remaining = messages
        self.deadline = time.monotonic() + seconds

    def take(self) -> bool:
        if self.remaining <= 0 or time.monotonic() >= self.deadline:
            return False
        self.remaining -= 1
        return True


async def run_phase(rasa_url: str, users: int, messages: int, seconds: float) -> PhaseResult:
    url = f"{rasa_url}/webhooks/rest/webhook"
    latencies: list[float] = []
    errors: list[int] = []
    budget = Budget(messages, seconds)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=users)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(_user(session, url, i, budget, latencies, errors) for i in range(users)))
        elapsed = time.perf_counter() - started
    return PhaseResult(users, latencies, len(errors), elapsed)


# ----------------------------------------------------------------------------------------------------------------
# Profiling with py-spy (optional)

def start_profile(pid: int, seconds: int, output: Path) -> Optional[subprocess.Popen]:
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        print("py-spy not installed in .venv: no profile", flush=True)
        return None
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
         "--format", "raw", "--output", str(output), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


# Stages of handling one message in the Rasa server, by a function that is on the stack while the stage runs.
PROFILE_STAGES: list[tuple[str, str]] = [
    ("NLU parse (tokenizer, featurizers, classifier, extractors)", "parse_message (rasa/core/processor.py)"),
    ("… CountVectorsFeaturizer", "process (rasa/nlu/featurizers/sparse_featurizer/count_vectors_featurizer.py)"),
    ("… regex featurizer", "process (rasa/nlu/featurizers/sparse_featurizer/regex_featurizer.py)"),
    ("… classifier", "process (bot/nlu/classifier.py)"),
    ("… tokenizer", "process (rasa/nlu/tokenizers/tokenizer.py)"),
    ("dialogue policies", "_predict_next_with_tracker (rasa/core/processor.py)"),
    ("… MemoizationPolicy", "predict_action_probabilities (rasa/core/policies/memoization.py)"),
    ("… RulePolicy", "predict_action_probabilities (rasa/core/policies/rule_policy.py)"),
    ("custom actions, total (HTTP call to the action server included)", "_run_action (rasa/core/processor.py)"),
    ("… of which the check of the action response", "validate_action_result (bot/perf/action_validation.py)"),
    ("tracker store: load conversation", "fetch_tracker_and_update_session (rasa/core/processor.py)"),
    ("tracker store: save conversation", "save_tracker (rasa/core/processor.py)"),
]
# A sample counts when the main thread is handling a request: Sanic's request coroutine is on its stack. py-spy also
# records the idle threads of the pools (asyncio's executor, Rasa's and SQLAlchemy's), which would otherwise make
# every stage look like ~0 % of the total.
REQUEST_FRAME = "handle_request (sanic/app.py)"
_LINE_NUMBER = re.compile(r":\d+\)$")


def summarize_profile(collapsed: Path) -> list[tuple[str, float]]:
    """Share of the Rasa server's request-handling samples spent in each stage, from py-spy's collapsed stacks.

    Only stacks with Sanic's `handle_request` on them count, in the denominator and in the stages alike.
    """
    if not collapsed.exists():
        return []
    on_stack: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or not stack:
            continue
        frames = {_LINE_NUMBER.sub(")", f.strip()) for f in stack.split(";")}
        if REQUEST_FRAME not in frames:
            continue
        total += int(count)
        for frame in frames:
            on_stack[frame] += int(count)
    if not total:
        return []
    return [(stage, on_stack[frame] / total) for stage, frame in PROFILE_STAGES]


# ----------------------------------------------------------------------------------------------------------------
# One configuration: fresh databases, servers on free ports, phases, stop

def bench_configuration(name: str, model: Path, phases: list[tuple[int, int, float]],
                        profile_s: int = 0) -> ConfigResult:
    """The start-up of `thutuc run` (bot.local_bot, as the end-to-end tests use it), then the load phases."""
    from bot.local_bot import local_bot

    result = ConfigResult(name, model)
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-load-{name}-"))
    knowledge = workdir / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "procedures", knowledge / "procedures")
    shutil.copy(WARD_FIXTURE, knowledge / "ward.yml")
    extra_env = {"KNOWLEDGE_CACHE_DIR": str(workdir / "cache"), "THUTUC_SYNC_TOKEN": "bench-sync-token"}
    try:
        print(f"[{name}] starting servers …", flush=True)
        with local_bot(workdir / "bot", knowledge, model=model, extra_env=extra_env) as servers:
            actions_pid, rasa_pid = servers._processes[0].pid, servers._processes[1].pid
            pids = {"rasa": rasa_pid, "actions": actions_pid}
            print(f"[{name}] warming up …", flush=True)
            asyncio.run(run_phase(servers.rasa_url, 1, sum(len(c) for c in CONVERSATIONS), 60))
            result.memory.steady_rasa = tree_memory(rasa_pid)
            result.memory.steady_actions = tree_memory(actions_pid)
            sampler = MemorySampler(pids)
            sampler.start()
            for users, messages, seconds in phases:
                profiler = None
                collapsed = WORK_DIR / f"profile-{name}-{users}.txt"
                if profile_s and users == max(p[0] for p in phases):
                    profiler = start_profile(rasa_pid, profile_s, collapsed)
                print(f"[{name}] {users} user(s): ≤ {messages} messages, ≤ {seconds:.0f} s …", flush=True)
                phase = asyncio.run(run_phase(servers.rasa_url, users, messages, seconds))
                result.phases.append(phase)
                print(f"[{name}] {users} user(s): {phase.messages} messages in {phase.seconds:.1f} s, "
                      f"{phase.throughput:.1f} msg/s, p50 {phase.percentile(0.5):.0f} ms, "
                      f"p95 {phase.percentile(0.95):.0f} ms, errors {phase.errors}", flush=True)
                if profiler is not None:
                    profiler.wait(timeout=profile_s + 60)
                    result.profile = summarize_profile(collapsed)
            peaks = sampler.stop()
            result.memory.peak_rasa = max(peaks["rasa"], tree_memory(rasa_pid, "VmHWM"))
            result.memory.peak_actions = max(peaks["actions"], tree_memory(actions_pid, "VmHWM"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------------------------------------------
# Report

def _mb(value: int) -> str:
    return f"{value / 1e6:.0f} MB"


def render_report(results: list[ConfigResult], command: str, started_load: str, snapshot: str,
                  probes: tuple[float, float] = (float("nan"), float("nan"))) -> str:
    labels = {"ours": "ours (config.yml)", "stock": "stock `rasa init` 3.6", "pyvi": "ours with pyvi tokenizer"}
    lines = [
        f"Command: `{command}` · machine: {machine_description()} · {_now()}",
        "",
        "Closed loop over the REST channel (`POST /webhooks/rest/webhook` on 127.0.0.1): each simulated user sends "
        f"the next message of a scripted conversation ({len(CONVERSATIONS)} scripts: greeting, procedure questions "
        "with and without diacritics, follow-ups, thanks) as soon as the previous reply arrives, with no think time, "
        "so the server is saturated and throughput measures its cost per message. Each reply includes the custom "
        "actions (knowledge-base lookups in the action server, SQLite). Both models are trained by "
        f"bench/bench_nlu.py on the same data ({snapshot}) and run with the same domain and action server; only "
        "the configuration differs. RSS is the resident memory of the process tree: *steady* after a "
        "warm-up conversation, *peak* the maximum of 0.5 s samples under load and the kernel's high-water mark. "
        f"The 2 cores were shared with other work and the load generator runs on them too (load average 1/5/15 min: "
        f"{started_load} at the start, {load_average()} at the end). CPU probe (`bench_nlu.cpu_probe_seconds`, a fixed "
        f"10⁷-step Python loop on one core; lower is faster): {probes[0]:.2f} s at the start, {probes[1]:.2f} s at "
        "the end — this virtual machine's cores change speed with the host's load, and latency at 20 users with them.",
        "",
        "| configuration | users | messages | errors | msg/s | p50 | p95 | p99 | Rasa RSS steady / peak "
        "| action server RSS steady / peak |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        memory = result.memory
        for i, phase in enumerate(result.phases):
            lines.append(
                f"| {labels.get(result.name, result.name) if i == 0 else ''} | {phase.users} | {phase.messages} "
                f"| {phase.errors} | {phase.throughput:.1f} | {phase.percentile(0.5):.0f} ms "
                f"| {phase.percentile(0.95):.0f} ms | {phase.percentile(0.99):.0f} ms "
                f"| {_mb(memory.steady_rasa) + ' / ' + _mb(memory.peak_rasa) if i == 0 else ''} "
                f"| {_mb(memory.steady_actions) + ' / ' + _mb(memory.peak_actions) if i == 0 else ''} |"
            )
    by_name = {r.name: r for r in results}
    if "ours" in by_name:
        ours = by_name["ours"]
        busiest = max(ours.phases, key=lambda p: p.users)
        lines += ["", f"Targets (issue 2, point 9) at {busiest.users} users:", ""]
        if "stock" in by_name:
            stock_busiest = max(by_name["stock"].phases, key=lambda p: p.users)
            ratio = busiest.throughput / stock_busiest.throughput if stock_busiest.throughput else float("inf")
            lines.append(f"- throughput ≥ 3× stock: {busiest.throughput:.1f} vs {stock_busiest.throughput:.1f} msg/s "
                         f"= {ratio:.1f}× — {_met(ratio >= TARGET_SPEEDUP)}")
        p95 = busiest.percentile(0.95)
        lines.append(f"- p95 ≤ 250 ms: {p95:.0f} ms — {_met(p95 <= TARGET_P95_MS)}")
        peak = max(ours.memory.peak_rasa, ours.memory.peak_actions)
        lines.append(f"- server RSS ≤ 1.2 GB (each server, peak): Rasa {_mb(ours.memory.peak_rasa)}, action server "
                     f"{_mb(ours.memory.peak_actions)} — {_met(peak <= TARGET_RSS_BYTES)}")
        if ours.profile:
            lines += ["", f"Where our Rasa server spends its request-handling time under {busiest.users} users (share "
                      "of py-spy's samples with Sanic's `handle_request` on the stack; stages overlap where one runs "
                      "inside another, marked …; the rest is Sanic, JSON and the event loop):", ""]
            lines += [f"- {stage}: {100 * share:.0f}%" for stage, share in ours.profile]
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,20", help="simulated users per phase")
    parser.add_argument("--messages", default="200,1500", help="message budget per phase")
    parser.add_argument("--seconds", default="60,120", help="time limit per phase")
    parser.add_argument("--only", default="ours,stock")
    parser.add_argument("--profile", type=int, default=0, metavar="SECONDS",
                        help="record the Rasa server with py-spy for this long during the busiest phase")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--snapshot", type=Path, help="training-data snapshot for both models (default: the newest "
                        "var/bench/data-* that bench_nlu.py trained on, else a fresh one)")
    args = parser.parse_args(argv)
    users, messages, seconds = _ints(args.users), _ints(args.messages), [float(s) for s in args.seconds.split(",")]
    if not len(users) == len(messages) == len(seconds):
        parser.error("--users, --messages and --seconds need the same number of values")
    phases = list(zip(users, messages, seconds))
    names = [n for n in args.only.split(",") if n]

    started_load = load_average()
    probe_start = cpu_probe_seconds()
    snapshots = sorted(WORK_DIR.glob("data-*"), key=lambda p: p.stat().st_mtime)
    snapshot = snapshot_training_data(args.snapshot or (snapshots[-1] if snapshots else None))
    print(f"training data: {snapshot}", flush=True)
    models = {name: train_variant(name, snapshot).path for name in names}
    results = [bench_configuration(name, models[name], phases, args.profile if name == "ours" else 0)
               for name in names]
    command = "PYTHONPATH=. .venv/bin/python bench/bench_load.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    report = render_report(results, command, started_load, describe_snapshot(snapshot),
                           (probe_start, cpu_probe_seconds()))
    print(report)
    if not args.no_docs and set(names) == {"ours", "stock"}:
        update_section("## Load", report)
        print(f"\nupdated the Load section of {DOCS.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
