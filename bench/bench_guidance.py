"""End-to-end guidance quality: held-out citizen questions over REST against the real assistant.

    PYTHONPATH=. .venv/bin/python bench/bench_guidance.py [--write]
    PYTHONPATH=. .venv/bin/python bench/bench_guidance.py --questions tests/e2e/questions_commune.yml [--catalogue none]

Starts an isolated assistant (shipped knowledge base, current model, and by default the national catalogue
../shared/reference/dvcqg/procedures_all.jsonl.gz imported as `thutuc kb import` does), asks every question of each
question file in a fresh conversation, and reports the share that names an acceptable procedure and answers the asked
facet — overall, with and without diacritics, by facet, curated vs imported procedure — with every failure. Question
files may use `code` or `codes` (tests/eval_sets/README.md).

`--write` runs the two configurations docs/benchmarks.md records (both held-out sets with the catalogue imported, and
tests/e2e/questions.yml on the curated data alone, as its CI gate runs) and rewrites the "Guidance" section.
`--json FILE` also dumps every result (for looking at failures; never commit it).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation_eval import QuestionResult, load_questions, reference_file, run_questions  # noqa: E402
from bot.evaluation import has_diacritics  # noqa: E402
from bot.local_bot import local_bot  # noqa: E402

SECTION = "## Guidance (end to end)"
OLD_SET = ROOT / "tests/e2e/questions.yml"
NEW_SET = ROOT / "tests/e2e/questions_commune.yml"
CATALOGUE_NAME = "procedures_all.jsonl.gz"
TARGETS = {OLD_SET.name: 0.90, NEW_SET.name: 0.95}


def ask(question_files: list[Path], catalogue: Optional[Path]) -> dict[str, tuple[list[QuestionResult], set[str]]]:
    """Results per question file, and the curated codes of that assistant."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp, local_bot(Path(tmp), catalogue=catalogue) as servers:
        from knowledge.api import KnowledgeBase

        curated = set(KnowledgeBase.from_settings().codes(status="curated"))

        def send(text: str, sender: str) -> list[dict]:
            response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}, timeout=30)
            response.raise_for_status()
            return response.json()

        for path in question_files:
            out[path.name] = (run_questions(send, load_questions(path)), curated)
    return out


def share(items) -> str:
    items = list(items)
    if not items:
        return "–"
    right = sum(r.correct for r in items)
    return f"{right / len(items):.1%} ({right}/{len(items)})"


def _row(label: str, items: list[QuestionResult]) -> str:
    return (f"| {label} | {share(items)} | {sum(r.right_procedure for r in items)}/{len(items)} | "
            f"{sum(r.right_facet for r in items)}/{len(items)} |")


def render_set(title: str, results: list[QuestionResult], curated: set[str], target: Optional[float]) -> list[str]:
    with_d = [r for r in results if has_diacritics(r.text)]
    without = [r for r in results if not has_diacritics(r.text)]
    on_curated = [r for r in results if set(r.codes) & curated]
    on_imported = [r for r in results if not set(r.codes) & curated]
    by_facet = defaultdict(list)
    for r in results:
        by_facet[r.facet].append(r)
    latencies = sorted(r.seconds * 1000 for r in results)
    lines = [
        f"### {title}",
        "",
        "| questions | correct | right procedure | right facet |",
        "|---|---|---|---|",
        _row("all", results),
        _row("with diacritics", with_d),
        _row("without diacritics", without),
    ]
    if on_imported:
        lines += [_row("procedure curated", on_curated), _row("procedure only imported", on_imported)]
    lines += [
        "",
        "By facet: " + ", ".join(f"{facet} {share(items)}" for facet, items in sorted(by_facet.items())) + ".",
        "",
        f"Reply latency (one user, sequential): p50 {latencies[len(latencies) // 2]:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms.",
    ]
    if target is not None:
        reached = sum(r.correct for r in results) / len(results)
        both = min(sum(r.correct for r in s) / len(s) for s in (with_d, without) if s)
        lines += ["", f"Target: ≥ {target:.0%} — {'**met**' if reached >= target else '**not met**'} overall"
                      f"{'' if target < 0.95 else (', met both with and without diacritics' if both >= target else ', not met in both diacritics splits')}."]
    failures = [r for r in results if not r.correct]
    lines += ["", f"Failures ({len(failures)}):" if failures else "Failures: none.", ""]
    for r in failures:
        first = re.sub(r"\s+", " ", r.reply)[:110]
        lines.append(f"- `{r.text}` (expected {'/'.join(r.codes[:2])}{'…' if len(r.codes) > 2 else ''} {r.facet}) "
                     f"→ {first or '(no reply)'}")
    return lines


def header(catalogue: Optional[Path]) -> list[str]:
    return [
        SECTION,
        "",
        "Command: `PYTHONPATH=. .venv/bin/python bench/bench_guidance.py --write` · machine: "
        f"`{platform.system()} {platform.release()} {platform.machine()}`, {os.cpu_count()} CPUs (`nproc`) · "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        "Each held-out question (written independently of the training data and aliases; tests/eval_sets/README.md) is "
        "the first message of a new conversation over REST. Correct = the reply names an acceptable procedure code "
        "(\"(mã …)\") and contains the asked facet's section. "
        + (f"National catalogue imported: `{catalogue.name}` (`thutuc kb import`), so curated and imported entries "
           "compete as in a deployment." if catalogue else "Curated data only."),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, action="append",
                        help="question file (repeatable); default: both held-out sets")
    parser.add_argument("--catalogue", default=None,
                        help=f"catalogue file to import, or 'none'; default ../shared/reference/dvcqg/{CATALOGUE_NAME}")
    parser.add_argument("--write", action="store_true", help="run the recorded configurations, update docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="dump every result to this file")
    args = parser.parse_args()
    if args.catalogue == "none":
        catalogue = None
    elif args.catalogue:
        catalogue = Path(args.catalogue)
    else:
        catalogue = reference_file(CATALOGUE_NAME)
        if catalogue is None:
            sys.exit(f"../shared/reference/dvcqg/{CATALOGUE_NAME} not found: pass --catalogue FILE or --catalogue none")
    files = [p.resolve() for p in (args.questions or [NEW_SET, OLD_SET])]
    runs = {"catalogue": ask(files, catalogue)}
    lines = header(catalogue)
    for path in files:
        results, curated = runs["catalogue"][path.name]
        title = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}" + (
            f", catalogue imported" if catalogue else ", curated data only")
        lines += [""] + render_set(title, results, curated, TARGETS.get(path.name))
    if args.write:
        results, curated = ask([OLD_SET], None)[OLD_SET.name]
        runs["curated"] = {OLD_SET.name: (results, curated)}
        lines += [""] + render_set(f"{OLD_SET.relative_to(ROOT)}, curated data only (as its CI gate runs)", results,
                                   curated, TARGETS[OLD_SET.name])
    report = "\n".join(lines) + "\n"
    print(report)
    if args.json:
        dump = {f"{config}:{name}": [asdict(r) for r in results]
                for config, sets in runs.items() for name, (results, _) in sets.items()}
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write:
        write_section(report)


def write_section(report: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r"\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: report.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + report
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
