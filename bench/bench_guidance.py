"""End-to-end guidance quality: the held-out citizen questions over REST against the real assistant.

    PYTHONPATH=. .venv/bin/python bench/bench_guidance.py [--write]

Starts an isolated assistant (shipped knowledge base, current model), asks every question of tests/e2e/questions.yml
whose procedure is curated in a fresh conversation, and reports the share that names the right procedure and answers
the asked facet, split by diacritics and facet, with every failure. `--write` updates the "Guidance" section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import platform
import re
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation_eval import load_questions, run_questions  # noqa: E402
from bot.evaluation import has_diacritics  # noqa: E402
from bot.local_bot import local_bot  # noqa: E402

SECTION = "## Guidance (end to end)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, local_bot(Path(tmp)) as servers:
        from knowledge.api import KnowledgeBase

        curated = set(KnowledgeBase.from_settings().codes(status="curated"))
        questions = [q for q in load_questions(ROOT / "tests/e2e/questions.yml") if q["code"] in curated]

        def send(text: str, sender: str) -> list[dict]:
            response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}, timeout=30)
            response.raise_for_status()
            return response.json()

        results = run_questions(send, questions)
    report = render(results, len(load_questions(ROOT / "tests/e2e/questions.yml")))
    print(report)
    if args.write:
        write_section(report)


def share(items) -> str:
    items = list(items)
    return f"{sum(r.correct for r in items) / len(items):.1%} ({sum(r.correct for r in items)}/{len(items)})" if items else "–"


def render(results, total_questions: int) -> str:
    with_d = [r for r in results if has_diacritics(r.text)]
    without = [r for r in results if not has_diacritics(r.text)]
    by_facet = defaultdict(list)
    for r in results:
        by_facet[r.facet].append(r)
    latencies = sorted(r.seconds * 1000 for r in results)
    lines = [
        SECTION,
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python bench/bench_guidance.py --write` · machine: "
        f"`{platform.system()} {platform.release()} {platform.machine()}`, 2 CPUs · "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Held-out questions (tests/e2e/questions.yml, written independently of the training data): {len(results)} of "
        f"{total_questions} are about curated procedures and were asked, each in a new conversation over REST. Correct "
        "= the reply names the expected procedure code and contains the asked facet's section. Target: ≥ 90 %.",
        "",
        "| questions | correct | right procedure | right facet |",
        "|---|---|---|---|",
        f"| all | {share(results)} | {sum(r.right_procedure for r in results)}/{len(results)} | "
        f"{sum(r.right_facet for r in results)}/{len(results)} |",
        f"| with diacritics | {share(with_d)} | {sum(r.right_procedure for r in with_d)}/{len(with_d)} | "
        f"{sum(r.right_facet for r in with_d)}/{len(with_d)} |",
        f"| without diacritics | {share(without)} | {sum(r.right_procedure for r in without)}/{len(without)} | "
        f"{sum(r.right_facet for r in without)}/{len(without)} |",
        "",
        "By facet: " + ", ".join(f"{facet} {share(items)}" for facet, items in sorted(by_facet.items())) + ".",
        "",
        f"Reply latency (one user, sequential): p50 {latencies[len(latencies) // 2]:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms.",
        "",
        "Failures:",
        "",
    ]
    for r in results:
        if not r.correct:
            first = re.sub(r"\s+", " ", r.reply)[:110]
            lines.append(f"- `{r.text}` (expected {r.code} {r.facet}) → {first or '(no reply)'}")
    return "\n".join(lines) + "\n"


def write_section(report: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r"\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(report.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + report
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
