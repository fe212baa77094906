"""Schema upgrades: `migrate()` reaches every head, is idempotent, and the env loads several packages' metadata."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_creates_the_knowledge_tables_and_is_idempotent(db_url):
    from base.db import _revision_graph, forget_migrations, make_engine, migrate

    engine = make_engine(db_url)
    migrate(engine=engine)
    tables = set(inspect(engine).get_table_names())
    assert {"kb_procedures", "kb_aliases", "kb_documents", "kb_channels", "kb_sites", "kb_wards"} <= tables
    with engine.connect() as connection:
        versions = {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert "kb0001" in versions and versions == _revision_graph()
    forget_migrations()
    migrate(engine=engine)  # at heads already: nothing to do, no error
    engine.dispose()


def test_alembic_command_line_upgrades_heads(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "heads"],
        cwd=ROOT,
        env={"DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    from base.db import make_engine

    engine = make_engine(url)
    assert "kb_procedures" in inspect(engine).get_table_names()
    engine.dispose()


def test_env_lists_package_metadata_and_skips_only_missing_modules():
    source = (ROOT / "migrations" / "env.py").read_text(encoding="utf-8")
    import ast

    [assignment] = [node for node in ast.parse(source).body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", None) == "METADATA_MODULES"]
    assert ast.literal_eval(assignment.value) == ["base.ratelimit", "base.audit", "base.outbox", "handoff.accounts",
                                                  "knowledge.models", "dossiers.models", "handoff.store",
                                                  "review.models"]
    assert "find_spec" in source and "except ImportError" not in source


def test_review_revision_is_a_root_of_its_own_branch():
    text = next((ROOT / "migrations" / "versions").glob("*_rv0001_*.py")).read_text(encoding="utf-8")
    assert 'down_revision = None' in text and 'branch_labels = ("review",)' in text


def test_knowledge_revision_is_a_root_of_its_own_branch():
    text = next((ROOT / "migrations" / "versions").glob("*_kb0001_*.py")).read_text(encoding="utf-8")
    assert "down_revision = None" in text and "branch_labels = ('knowledge',)" in text
