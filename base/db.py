"""Engine, sessions and schema upgrades for the project database.

One place decides how to connect (SQLite file under var/ by default, PostgreSQL through DATABASE_URL) and every entry
point (loader, importer, servers, tests) calls `migrate()` so the schema is always at Alembic's heads.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()


def database_url(url: Optional[str] = None) -> str:
    """The URL to use: the explicit one, else `DATABASE_URL` through settings."""
    if url:
        return url
    from base.settings import get_settings

    return get_settings().database_url


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial driver call
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def timeout_connect_args(url: str, connect_args: Optional[dict] = None) -> dict:
    """DBAPI connect arguments that bound how long one database call may wait.

    PostgreSQL (psycopg2): `connect_timeout` (whole seconds, as libpq takes it) and a server-side `statement_timeout`,
    added to any `options` already given; SQLite: how long to wait for a locked file. A database that is down or
    hung then fails a call within seconds instead of holding a worker (and, on an event loop, everyone) for minutes.
    """
    from base.settings import get_settings

    settings = get_settings()
    args = dict(connect_args or {})
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        args.setdefault("connect_timeout", max(1, round(settings.database_connect_timeout_s)))
        # connect_args replace the URL's own `?options=` (e.g. a search_path), so both are kept here.
        in_url = parsed.query.get("options")
        in_url = " ".join(in_url) if isinstance(in_url, tuple) else in_url
        statement = f"-c statement_timeout={int(settings.database_statement_timeout_s * 1000)}"
        args["options"] = " ".join(part for part in (in_url, args.get("options"), statement) if part)
    elif backend == "sqlite":
        args.setdefault("timeout", settings.sqlite_busy_timeout_s)
    return args


def make_engine(url: Optional[str] = None) -> Engine:
    """A new engine (2.0-style, `future=True`); SQLite gets its directory created and foreign keys enforced; every
    backend gets the connect and statement timeouts of `timeout_connect_args`."""
    url = database_url(url)
    _ensure_sqlite_dir(url)
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=timeout_connect_args(url))
    if engine.dialect.name == "sqlite":
        _enable_sqlite_foreign_keys(engine)
    return engine


def get_engine(url: Optional[str] = None) -> Engine:
    """The process-wide engine for a URL (created once)."""
    url = database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def session_factory(engine: Engine):
    """ORM sessions for writers (loader, importer); readers use Core so the ORM is imported only when needed."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def new_session(engine: Optional[Engine] = None):
    return session_factory(engine or get_engine())()


def _alembic_config(url: str):
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal "%" in passwords must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _revision_graph() -> Optional[set[str]]:
    """Heads of the migration graph read with `ast` from migrations/versions (no Alembic import on the fast path).

    Returns None when a revision file cannot be read this way; the caller then lets Alembic decide.
    """
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values: dict[str, object] = {}
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                target, value = node.targets[0].id, node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                target, value = node.target.id, node.value
            if target in ("revision", "down_revision"):
                try:
                    values[target] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision = values.get("revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        down = values.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, (tuple, list)):
            parents.update(str(d) for d in down)
    return revisions - parents


def _at_heads(engine: Engine) -> bool:
    """True when the database already records exactly the migration heads (skips Alembic on every start)."""
    heads = _revision_graph()
    if not heads:
        return False
    if not inspect(engine).has_table("alembic_version"):
        return False
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    return {row[0] for row in rows} == heads


def migrate(url: Optional[str] = None, engine: Optional[Engine] = None) -> None:
    """Bring the database schema to every branch head (`alembic upgrade heads`); cheap when already there."""
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
    url = database_url(url)
    if url in _migrated:
        return
    target = engine or get_engine(url)
    if not _at_heads(target):
        from alembic import command

        config = _alembic_config(url)
        with target.begin() as connection:
            if connection.dialect.name == "postgresql":
                # A migration may legitimately run longer than one statement of normal work.
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    _migrated.add(url)


def forget_migrations() -> None:
    """Tests that drop databases call this so the next `migrate()` checks again."""
    _migrated.clear()
