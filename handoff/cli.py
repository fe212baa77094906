"""`thutuc tickets`: clerks list and close handoff tickets from the desk."""
from __future__ import annotations

import json

import click


def register(cli: click.Group) -> None:
    from handoff import users_cli

    cli.add_command(tickets)
    users_cli.register(cli)


@click.group(invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Hiện cả phiếu đã đóng và phiếu hẹn gọi lại.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON.")
@click.pass_context
def tickets(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """Danh sách phiếu chuyển cán bộ (mặc định: phiếu đang mở)."""
    if ctx.invoked_subcommand is not None:
        return
    from handoff.store import ConversationStore

    rows = ConversationStore.from_settings().list_tickets(status=None if show_all else "open")
    if as_json:
        click.echo(json.dumps([_as_dict(t) for t in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Không có phiếu nào.")
        return
    for t in rows:
        created = t.created_at.strftime("%d/%m/%Y %H:%M")
        click.echo(f"#{t.id}  [{t.status}]  {created}  {t.channel}:{t.sender_id}  {t.contact or ''}")
        if t.question:
            click.echo(f"      {t.question}")


@tickets.command("close")
@click.argument("ticket_id", type=int)
def close(ticket_id: int) -> None:
    """Đóng phiếu và cho trợ lý trả lời lại cuộc trò chuyện đó."""
    from base.audit import AuditLog, cli_actor
    from handoff.store import ConversationStore, ResumeError, close_and_resume

    try:
        ticket = close_and_resume(ConversationStore.from_settings(), ticket_id)
    except ResumeError as error:
        AuditLog.from_settings().record(cli_actor(), "close", f"ticket:{ticket_id}", "chưa bật lại được trợ lý")
        raise click.ClickException(f"Đã đóng phiếu nhưng chưa bật lại trợ lý: {error}") from error
    if ticket is None:
        raise click.ClickException(f"Không có phiếu số {ticket_id}.")
    AuditLog.from_settings().record(cli_actor(), "close", f"ticket:{ticket.id}", ticket.channel)
    click.echo(f"Đã đóng phiếu #{ticket.id}; trợ lý trả lời lại cuộc trò chuyện {ticket.sender_id}.")


def _as_dict(ticket) -> dict:
    return {
        "id": ticket.id, "sender_id": ticket.sender_id, "channel": ticket.channel, "status": ticket.status,
        "question": ticket.question, "contact": ticket.contact, "procedure_code": ticket.procedure_code,
        "created_at": ticket.created_at.isoformat(), "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }
