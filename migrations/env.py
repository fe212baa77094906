"""Alembic environment shared by every package that owns tables.

Each package keeps its own declarative Base and its own migration branch (branch_label "base", "knowledge",
"dossiers", "conversations"); this file only gathers their metadata for autogenerate and runs migrations on the
configured URL.
Upgrade with `alembic upgrade heads` (or `base.db.migrate()`).
"""
from __future__ import annotations

import importlib
import importlib.util
import logging.config
import sys
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# Modules that define a `Base` (or `metadata`) whose tables live in this database.
METADATA_MODULES = ["base.ratelimit", "base.audit", "base.outbox", "handoff.accounts", "knowledge.models", "dossiers.models", "handoff.store",
                    "review.models"]

config = context.config
if config.config_file_name and not config.attributes.get("connection"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _module_exists(name: str) -> bool:
    """A package may not have its models yet; only that is skipped, real import errors still surface."""
    parent = name.split(".")[0]
    if importlib.util.find_spec(parent) is None:  # top-level lookups never import anything
        return False
    return importlib.util.find_spec(name) is not None


def _target_metadata() -> list:
    found = []
    for name in METADATA_MODULES:
        if not _module_exists(name):
            continue
        module = importlib.import_module(name)
        metadata = getattr(module, "metadata", None)
        if metadata is None and hasattr(module, "Base"):
            metadata = module.Base.metadata
        if metadata is not None and all(metadata is not seen for seen in found):  # handoff modules share one
            found.append(metadata)
    return found


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from base.settings import get_settings

    return get_settings().database_url


def _needs_metadata() -> bool:
    """Only autogenerate/check compare models with the database; plain upgrades run the revision files alone.

    Skipping the model imports on upgrade keeps every entry point's `migrate()` fast and independent of other
    packages' import-time dependencies; autogenerate still imports every listed module and fails loudly.
    """
    options = config.cmd_opts
    if options is None:
        return bool(config.attributes.get("autogenerate"))
    command = getattr(options, "cmd", None)
    command_name = getattr(command[0], "__name__", "") if isinstance(command, tuple) and command else ""
    return bool(getattr(options, "autogenerate", False)) or command_name == "check"


target_metadata = _target_metadata() if _needs_metadata() else None


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    from base.db import make_engine

    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run_with(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
