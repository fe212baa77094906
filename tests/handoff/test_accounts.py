"""Staff accounts: scrypt hashes, sessions with expiry, disabling, the `thutuc users` commands, the audit log and
the login limits per address and per account — on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from handoff.accounts import AccountError, AccountStore, hash_password, verify_password

PASSWORD = "mật-khẩu-đủ-dài-1"


@pytest.fixture
def engine(database_url):
    from base.db import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_password_hash_is_salted_scrypt_and_checked():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$32768$8$1$") and first != second  # a salt of its own per password
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "plain-text") and not verify_password(PASSWORD, "md5$x$y$z$a$b")
    with pytest.raises(AccountError, match="ít nhất 10 ký tự"):
        hash_password("ngắn")


def test_two_clerks_log_in_separately_and_a_disabled_one_cannot(engine):
    store = AccountStore(engine)
    lan = store.add_user("Lan", "clerk", PASSWORD)
    minh = store.add_user("minh", "operator", PASSWORD + "2")
    assert lan.name == "lan" and minh.is_operator and store.has_active_operator()
    with pytest.raises(AccountError, match="Đã có tài khoản lan"):
        store.add_user("LAN", "clerk", PASSWORD)
    with pytest.raises(AccountError, match="Vai trò"):
        store.add_user("hoa", "admin", PASSWORD)

    assert store.authenticate("lan", PASSWORD) == lan
    assert store.authenticate("lan", PASSWORD + "2") is None  # Minh's password is not Lan's
    assert store.authenticate("minh", PASSWORD + "2") == minh
    assert store.authenticate("nobody", PASSWORD) is None

    token = store.open_session(lan)
    assert store.session_user(token).name == "lan"
    assert store.session_user(token + "x") is None and store.session_user(None) is None

    store.set_active("lan", False)  # every session of the account ends at once
    assert store.session_user(token) is None
    assert store.authenticate("lan", PASSWORD) is None
    assert [(u.name, u.active) for u in store.list_users()] == [("lan", False), ("minh", True)]
    store.set_active("lan", True)
    assert store.authenticate("lan", PASSWORD) is not None


def test_sessions_expire_and_logout_ends_them(engine):
    store = AccountStore(engine, session_lifetime=timedelta(seconds=-1))
    user = store.add_user("hoa", "clerk", PASSWORD)
    assert store.session_user(store.open_session(user)) is None  # already past its expiry
    store.session_lifetime = timedelta(hours=12)
    token = store.open_session(user)
    assert store.session_user(token) is not None
    store.close_session(token)
    assert store.session_user(token) is None


def test_users_commands_read_the_password_from_stdin_and_audit(database_url, settings_env):
    from base.audit import AuditLog
    from base.db import get_engine
    from bot.cli import cli

    settings_env(DATABASE_URL=database_url)
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "lan", "--role", "clerk"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Đã tạo tài khoản lan (clerk)" in added.output and PASSWORD not in added.output
    short = runner.invoke(cli, ["users", "add", "tuan"], input="ngắn\n")
    assert short.exit_code != 0 and "ít nhất 10 ký tự" in short.output
    assert "lan" in runner.invoke(cli, ["users", "list"]).output
    assert runner.invoke(cli, ["users", "disable", "lan"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"]).output
    assert "đã khoá" in listed
    assert AccountStore(get_engine(database_url)).authenticate("lan", PASSWORD) is None
    assert runner.invoke(cli, ["users", "disable", "ai-do"]).exit_code != 0

    actions = [(e.action, e.target) for e in AuditLog(get_engine(database_url)).entries()]
    assert actions[:2] == [("user_disable", "user:lan"), ("user_add", "user:lan")]
    assert all(e.actor.startswith("cli:") for e in AuditLog(get_engine(database_url)).entries())
    shown = runner.invoke(cli, ["audit"]).output
    assert "user_disable" in shown and "user:lan" in shown


def test_login_limits_per_address_and_per_account(engine):
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from handoff.login_limits import LoginLimiter

    limiter = LoginLimiter(SlidingWindowCounter(SqlEventStore(engine)), client_limit=4, account_limit=2, window_s=600)
    # Per account: two wrong passwords for "lan" from two addresses, then "lan" waits, from any address.
    assert limiter.begin("ip:10.0.0.1", "lan").allowed and limiter.begin("ip:10.0.0.2", "lan").allowed
    blocked = limiter.begin("ip:10.0.0.3", "lan")
    assert not blocked.allowed and blocked.retry_after_minutes == 10
    # Per address: four tries from one address over several names, then that address waits.
    assert all(limiter.begin("ip:10.0.0.9", f"name{i}").allowed for i in range(4))
    assert not limiter.begin("ip:10.0.0.9", "someone-else").allowed
    # A right password does not count against anyone.
    gate = limiter.begin("ip:10.0.0.5", "minh")
    limiter.succeeded(gate)
    assert limiter.begin("ip:10.0.0.5", "minh").allowed and limiter.begin("ip:10.0.0.5", "minh").allowed


def test_the_embedded_run_prints_the_command_for_a_first_operator_until_one_exists(sqlite_url, settings_env):
    from base.db import get_engine
    from base.settings import get_settings
    from bot.model_cli import FIRST_OPERATOR_COMMAND, first_operator_hint

    settings_env(DATABASE_URL=sqlite_url)
    hint = first_operator_hint(get_settings())
    assert FIRST_OPERATOR_COMMAND in hint and "--role operator" in hint and "mật khẩu sẽ được hỏi" in hint
    store = AccountStore(get_engine(sqlite_url))
    store.add_user("lan", "clerk", PASSWORD)
    assert first_operator_hint(get_settings()) == hint  # a clerk is not an operator
    store.add_user("minh", "operator", PASSWORD)
    assert first_operator_hint(get_settings()) == ""
    store.set_active("minh", False)
    assert first_operator_hint(get_settings()) == hint
    settings_env(DATABASE_URL="postgresql://thutuc@127.0.0.1:5432/none")  # not the embedded default: no hint
    assert first_operator_hint(get_settings()) == ""


def test_cli_ticket_close_is_audited(sqlite_url, settings_env, monkeypatch):
    from base.audit import AuditLog
    from base.db import get_engine
    from bot.cli import cli
    from handoff import store as store_module

    settings_env(DATABASE_URL=sqlite_url)
    monkeypatch.setattr(store_module, "resume_conversation", lambda sender_id, **kwargs: None)
    ticket = store_module.ConversationStore(get_engine(sqlite_url)).open_ticket("web-" + "c" * 32, "webchat", "hỏi")
    result = CliRunner().invoke(cli, ["tickets", "close", str(ticket.id)])
    assert result.exit_code == 0, result.output
    [entry] = AuditLog(get_engine(sqlite_url)).entries(action="close")
    assert entry.actor.startswith("cli:") and entry.target == f"ticket:{ticket.id}"
