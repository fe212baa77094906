"""Catalogue import time (target: all 2,642 records in under 60 s) on SQLite, and PostgreSQL when reachable.

    PYTHONPATH=. .venv/bin/python bench/bench_import.py [--no-write] [--skip-postgres]

Loads the curated data first (so the import must skip those codes), imports
../shared/reference/dvcqg/procedures_all.jsonl.gz twice (first import, then the idempotent re-import) and writes the
"Knowledge base: catalogue import" section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_search import machine_line, update_section  # noqa: E402

CATALOGUE = ROOT.parent / "shared/reference/dvcqg/procedures_all.jsonl.gz"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def run_once(url: str) -> tuple[float, float, object]:
    from base.db import make_engine
    from knowledge.importer import import_catalogue
    from knowledge.loader import load_curated

    engine = make_engine(url)
    load_curated(engine, ROOT / "knowledge" / "data")
    started = time.perf_counter()
    report = import_catalogue(engine, CATALOGUE)
    first = time.perf_counter() - started
    started = time.perf_counter()
    import_catalogue(engine, CATALOGUE)
    again = time.perf_counter() - started
    engine.dispose()
    return first, again, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not CATALOGUE.exists():
        sys.exit(f"{CATALOGUE} not found (../shared beside the checkout)")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        first, again, report = run_once(f"sqlite:///{Path(tmp) / 'bench.db'}")
        rows.append(("SQLite", first, again, report))
    if not args.skip_postgres:
        import psycopg2

        name = f"thutuc_bench_{uuid.uuid4().hex[:10]}"
        try:
            admin = psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=3)
        except psycopg2.OperationalError as error:
            print(f"PostgreSQL skipped: {error}")
        else:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
            try:
                first, again, report = run_once(f"{PG_SERVER}/{name}")
                rows.append(("PostgreSQL", first, again, report))
            finally:
                from base.db import _engines

                for engine in _engines.values():
                    engine.dispose()
                with admin.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()

    report = rows[0][3]
    body = [
        f"Command: `PYTHONPATH=. .venv/bin/python bench/bench_import.py` · {machine_line()}",
        "",
        f"Input: procedures_all.jsonl.gz, {report.read} records; {report.imported} imported, "
        f"{len(report.skipped_curated)} skipped because curated, {len(report.failed)} unreadable, "
        f"{report.with_warnings} with parse warnings. Target: under 60 s.",
        "",
        "| database | first import | re-import (idempotent) |",
        "|---|---|---|",
        *[f"| {label} | {first:.1f} s | {again:.1f} s |" for label, first, again, _ in rows],
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        update_section("Knowledge base: catalogue import", text)


if __name__ == "__main__":
    main()
