"""Clerk and operator commands for dossiers: `thutuc ho-so CODE`, `thutuc dossiers import FILE`, `... notify`.

`ho-so` prints the full stored record (there is no personal data in it beyond whether a contact hash exists); it is a
desk tool and is not reachable from any citizen channel.
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from dossiers.codes import InvalidReceiptCode, normalise_receipt_code
from dossiers.states import OFFICIAL_LABELS, DossierState


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _service():
    from dossiers.service import build_service

    return build_service()


def _print_record(record: dict) -> None:
    from dossiers.messages import format_date, format_money

    state = DossierState(record["state"])
    click.echo(f"Mã hồ sơ:        {record['receipt_code']}")
    click.echo(f"Thủ tục:         {record['procedure_code'] or '—'}")
    click.echo(f"Trạng thái:      {int(state)} — {OFFICIAL_LABELS[state]}")
    for label, key in (("Tiếp nhận", "received_at"), ("Hẹn trả", "due_at"), ("Xử lý xong", "completed_at"),
                       ("Đã trả", "returned_at"), ("Nhận từ", "pickup_from")):
        click.echo(f"{label + ':':<17}{format_date(record[key]) or '—'}")
    click.echo(f"Cần bổ sung:     {record['supplement'] or '—'}")
    fee = format_money(record["fee_due"]) if record["fee_due"] else "—"
    click.echo(f"Phí cần nộp:     {fee}{' (' + record['fee_note'] + ')' if record['fee_note'] else ''}")
    click.echo(f"Điểm tiếp nhận:  {record['site'] or '—'}")
    click.echo(f"Xác minh SĐT:    {'có' if record['has_contact'] else 'không có'} (chỉ lưu mã băm 4 số cuối)")
    click.echo(f"Nguồn:           {record['source']}, cập nhật {record['updated_at']:%d/%m/%Y %H:%M} UTC")
    click.echo("Lịch sử:")
    for change in record["history"]:
        label = OFFICIAL_LABELS[DossierState(change["state"])]
        click.echo(f"  {change['changed_at']:%d/%m/%Y %H:%M}  {change['state']:>2} {label} ({change['source']})")


def register(cli: click.Group) -> None:
    @cli.command("ho-so")
    @click.argument("code")
    @click.option("--json", "as_json", is_flag=True, help="In bản ghi dạng JSON.")
    def ho_so(code: str, as_json: bool) -> None:
        """Xem toàn bộ hồ sơ theo mã (chỉ dành cho cán bộ)."""
        try:
            canonical = normalise_receipt_code(code)
        except InvalidReceiptCode as error:
            click.echo(f"Mã hồ sơ không hợp lệ: {error.reason}", err=True)
            sys.exit(2)
        record = _service().clerk_record(canonical)
        if record is None:
            click.echo(f"Không có hồ sơ {canonical} trong kho dữ liệu.", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(_jsonable(record), ensure_ascii=False, indent=2))
        else:
            _print_record(record)

    @cli.group("dossiers")
    def dossiers_group() -> None:
        """Kho hồ sơ: nhập dữ liệu từ hệ thống một cửa, gửi thông báo."""

    @dossiers_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--notify/--no-notify", default=True, help="Gửi thông báo đổi trạng thái cho người đăng ký.")
    def import_command(file: Path, notify: bool) -> None:
        """Nhập hồ sơ từ tệp CSV hoặc JSONL (kiểm tra hết trước, lỗi thì không đổi gì)."""
        from base.settings import get_settings
        from dossiers.importer import import_file
        from dossiers.store import DossierStore

        settings = get_settings()
        store = DossierStore(settings.database_url)
        report = import_file(file, store, salt=settings.dossier_contact_salt, timezone=settings.timezone)
        if report.validation.dropped_personal_fields:
            names = ", ".join(sorted(report.validation.dropped_personal_fields))
            click.echo(f"Đã bỏ các cột thông tin cá nhân (không lưu): {names}")
        if report.validation.ignored_fields:
            click.echo(f"Bỏ qua các cột không dùng: {', '.join(sorted(report.validation.ignored_fields))}")
        if not report.ok:
            for error in report.errors:
                click.echo(f"{file}:{error.line}: {error.message}", err=True)
            click.echo(f"{len(report.errors)} lỗi; không nhập bản ghi nào.", err=True)
            sys.exit(1)
        applied = report.applied
        click.echo(f"Đã nhập {len(report.validation.records)} bản ghi: {applied.created} mới, {applied.updated} cập "
                   f"nhật, {applied.unchanged} không đổi, {applied.stale} cũ hơn dữ liệu hiện có; "
                   f"{applied.state_changes} lần đổi trạng thái, {applied.notifications} thông báo cần gửi.")
        if notify and applied.notifications:
            _deliver(store, settings)

    @dossiers_group.command("notify")
    def notify_command() -> None:
        """Gửi lại các thông báo đổi trạng thái còn chờ (khi máy chủ Rasa từng không truy cập được)."""
        from base.settings import get_settings
        from dossiers.store import DossierStore

        settings = get_settings()
        _deliver(DossierStore(settings.database_url), settings)


def _deliver(store, settings) -> None:
    from dossiers.notify import make_notifier

    report = make_notifier(store, settings).deliver_pending()
    click.echo(f"Thông báo: {report.delivered} đã gửi, {report.failed} chưa gửi được (sẽ thử lại).")
