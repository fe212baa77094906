"""`thutuc train` and `thutuc run`: build the model when needed and start the assistant."""
from __future__ import annotations

import click

from base.production import exit_if_unsafe
from base.settings import get_settings


def register(cli: click.Group) -> None:
    cli.add_command(train)
    cli.add_command(run)


@click.command()
@click.option("--force", is_flag=True, help="Huấn luyện lại kể cả khi dữ liệu không đổi.")
def train(force: bool) -> None:
    """Huấn luyện mô hình Rasa nếu cấu hình, domain hoặc dữ liệu đã thay đổi."""
    from bot.training import ensure_model

    path = ensure_model(force=force)
    click.echo(str(path))


@click.command()
def run() -> None:
    """Nạp dữ liệu thủ tục, huấn luyện khi cần, khởi động máy chủ hành động và máy chủ Rasa."""
    from bot.servers import servers_for
    from bot.training import ensure_model

    settings = get_settings()
    exit_if_unsafe(settings)
    model = ensure_model()
    servers = servers_for(model, settings)
    click.echo("Đang khởi động máy chủ hành động và máy chủ Rasa…")
    servers.start()
    base = servers.rasa_url
    click.echo("")
    click.echo("Trợ lý đã sẵn sàng:")
    if settings.rest_channel_enabled:
        click.echo(f"  REST:        POST {base}/webhooks/rest/webhook  (chỉ từ chính máy này)")
    click.echo(f"  Web chat:    {base}/chat/")
    click.echo(f"  Trang cán bộ: {base}/clerk/")
    click.echo(f"  Quản trị:    {base}/admin/  (tài khoản operator)")
    click.echo(f"  HTTP API:    {base}/  (chỉ từ chính máy này; JWT ký bằng RASA_API_TOKEN"
               f"{'' if settings.rasa_api_token else ', khóa phát triển trong ' + str(settings.rasa_api_token_file)})")
    hint = first_operator_hint(settings)
    if hint:
        click.echo(hint)
    click.echo("Nhấn Ctrl+C để dừng.")
    raise SystemExit(servers.wait())


FIRST_OPERATOR_COMMAND = ".venv/bin/thutuc users add <tên-đăng-nhập> --role operator"


def first_operator_hint(settings) -> str:
    """On the embedded default run (SQLite) with no active operator yet: the one command that creates one (the
    password is asked by that command, never printed or generated here). Empty otherwise."""
    if not settings.database_url.startswith("sqlite"):
        return ""
    from handoff.accounts import AccountStore

    try:
        if AccountStore.from_settings().has_active_operator():
            return ""
    except Exception:  # noqa: BLE001 - a hint must not stop the start
        return ""
    return ("  Chưa có tài khoản quản trị. Tạo tài khoản để đăng nhập trang cán bộ (mật khẩu sẽ được hỏi):\n"
            f"    {FIRST_OPERATOR_COMMAND}")
