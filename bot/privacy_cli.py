"""`thutuc privacy purge`: the retention period applied by hand or from a timer (docs/operations.md, "Data retention")."""
from __future__ import annotations

import json
from typing import Optional

import click

LABELS = {
    "conversations": "cuộc trò chuyện",
    "conversation_events": "sự kiện trong các cuộc trò chuyện đó",
    "closed_tickets": "phiếu chuyển cán bộ đã đóng",
    "feedback": "đánh giá câu trả lời",
    "lookup_sessions": "phiên tra cứu hồ sơ",
    "notifications": "thông báo hồ sơ đã gửi hoặc gửi lỗi",
}


def register(cli: click.Group) -> None:
    cli.add_command(privacy)


@click.group()
def privacy() -> None:
    """Dữ liệu cá nhân: xóa dữ liệu quá thời hạn lưu giữ."""


@privacy.command("purge")
@click.option("--older-than", "older_than", metavar="THỜI_GIAN",
              help="Xóa dữ liệu cũ hơn khoảng này, ví dụ 90d, 30d, 12h (mặc định: THUTUC_RETENTION_DAYS ngày).")
@click.option("--dry-run", is_flag=True, help="Chỉ đếm, không xóa gì.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON.")
def purge(older_than: Optional[str], dry_run: bool, as_json: bool) -> None:
    """Xóa cuộc trò chuyện, phiếu đã đóng, đánh giá, phiên tra cứu và thông báo đã xong, cũ hơn thời hạn."""
    from base.retention import parse_duration
    from bot.retention import purge as run_purge

    try:
        period = parse_duration(older_than) if older_than else None
    except ValueError:
        raise click.BadParameter(f"{older_than!r} không phải khoảng thời gian: viết số kèm d (ngày), h (giờ) hoặc "
                                 "m (phút), ví dụ 90d, 12h", param_hint="--older-than") from None
    report = run_purge(period, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps({"cutoff": report.cutoff.isoformat(), "dry_run": report.dry_run,
                               "counts": report.counts}, ensure_ascii=False, indent=2))
        return
    verb = "Sẽ xóa (chạy thử, chưa xóa gì)" if dry_run else "Đã xóa"
    click.echo(f"{verb} dữ liệu trước {report.cutoff:%d/%m/%Y %H:%M} UTC:")
    for kind, count in report.counts.items():
        click.echo(f"  {LABELS.get(kind, kind)}: {count}")
