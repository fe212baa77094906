"""`thutuc users add|disable|enable|passwd|list` and `thutuc audit`: staff accounts and who did what.

A password is never a command-line argument (it would sit in the shell history and in `ps`): it is read from a
hidden prompt (asked twice), or from the first line of standard input when that is not a terminal
(`printf '%s\\n' "$PW" | thutuc users add lan --role clerk`).
"""
from __future__ import annotations

import json
import sys

import click

from handoff.accounts import ROLES


def register(cli: click.Group) -> None:
    cli.add_command(users)
    cli.add_command(audit)


def _password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")


def _stores():
    from base.audit import AuditLog
    from handoff.accounts import AccountStore

    return AccountStore.from_settings(), AuditLog.from_settings()


@click.group()
def users() -> None:
    """Tài khoản cán bộ (clerk) và quản trị (operator)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="clerk", show_default=True,
              help="clerk: cán bộ trả lời người dân; operator: quản trị.")
def add(name: str, role: str) -> None:
    """Tạo tài khoản; mật khẩu nhập ẩn (hoặc dòng đầu của stdin)."""
    from base.audit import cli_actor
    from handoff.accounts import AccountError

    accounts, log = _stores()
    try:
        user = accounts.add_user(name, role, _password())
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    log.record(cli_actor(), "user_add", f"user:{user.name}", f"vai trò {user.role}")
    click.echo(f"Đã tạo tài khoản {user.name} ({user.role}). Đăng nhập tại /clerk/.")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Khoá tài khoản: đăng xuất ngay mọi phiên, không đăng nhập được nữa."""
    from base.audit import cli_actor

    accounts, log = _stores()
    user = accounts.set_active(name, False)
    if user is None:
        raise click.ClickException(f"Không có tài khoản {name}.")
    log.record(cli_actor(), "user_disable", f"user:{user.name}")
    click.echo(f"Đã khoá tài khoản {user.name}.")


@users.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Mở lại tài khoản đã khoá."""
    from base.audit import cli_actor

    accounts, log = _stores()
    user = accounts.set_active(name, True)
    if user is None:
        raise click.ClickException(f"Không có tài khoản {name}.")
    log.record(cli_actor(), "user_enable", f"user:{user.name}")
    click.echo(f"Đã mở lại tài khoản {user.name}.")


@users.command("passwd")
@click.argument("name")
def passwd(name: str) -> None:
    """Đặt mật khẩu mới (mọi phiên đang mở của tài khoản kết thúc)."""
    from base.audit import cli_actor
    from handoff.accounts import AccountError

    accounts, log = _stores()
    try:
        user = accounts.set_password(name, _password())
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    if user is None:
        raise click.ClickException(f"Không có tài khoản {name}.")
    log.record(cli_actor(), "user_password", f"user:{user.name}")
    click.echo(f"Đã đổi mật khẩu của {user.name}.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON.")
def list_users(as_json: bool) -> None:
    """Danh sách tài khoản."""
    accounts, _ = _stores()
    rows = accounts.list_users()
    if as_json:
        click.echo(json.dumps([{"name": u.name, "role": u.role, "active": u.active,
                                "created_at": u.created_at.isoformat()} for u in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Chưa có tài khoản nào. Tạo tài khoản quản trị: thutuc users add <tên> --role operator")
        return
    for user in rows:
        state = "đang dùng" if user.active else "đã khoá"
        click.echo(f"{user.name:<20} {user.role:<9} {state}")


@click.command()
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--actor", default=None, help="Chỉ những việc của tài khoản này.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON.")
def audit(limit: int, actor: str, as_json: bool) -> None:
    """Nhật ký: ai đã trả lời, đóng phiếu, mở khoá hay thay đổi gì, lúc nào (mới nhất trước)."""
    from base.audit import AuditLog

    entries = AuditLog.from_settings().entries(limit=limit, actor=actor)
    if as_json:
        click.echo(json.dumps([{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
                                "detail": e.detail} for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("Nhật ký trống.")
    for e in entries:
        click.echo(f"{e.at.strftime('%d/%m/%Y %H:%M:%S')}  {e.actor:<16} {e.action:<14} {e.target or ''}  {e.detail or ''}")
