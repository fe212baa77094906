"""Clerk and operator commands for dossiers: `thutuc ho-so CODE`, `thutuc ho-so unlock CODE`,
`thutuc dossiers import FILE`, `... notify`.

`ho-so` prints the full stored record (there is no personal data in it beyond whether a contact hash exists) and
whether the code is locked for chat lookups; `ho-so unlock` lifts that lock once a clerk has seen or called the
citizen. Desk tools, not reachable from any citizen channel.
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
    click.echo(f"Khóa tra cứu:    {_lock_line(record['lock'], record['receipt_code'])}")
    click.echo("Lịch sử:")
    for change in record["history"]:
        label = OFFICIAL_LABELS[DossierState(change["state"])]
        click.echo(f"  {change['changed_at']:%d/%m/%Y %H:%M}  {change['state']:>2} {label} ({change['source']})")


class _ShowByDefault(click.Group):
    """`thutuc ho-so CODE` shows the record; `thutuc ho-so unlock CODE` is a subcommand (a code is never "unlock")."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


def _canonical(code: str) -> str:
    try:
        return normalise_receipt_code(code)
    except InvalidReceiptCode as error:
        click.echo(f"Mã hồ sơ không hợp lệ: {error.reason}", err=True)
        sys.exit(2)


def _lock_line(lock: dict, code: str) -> str:
    from dossiers.messages import format_date

    hours = round(lock["window_s"] / 3600)
    if lock["locked"]:
        return (f"ĐANG KHÓA tra cứu qua tin nhắn — {lock['failures']} lần nhập sai 4 số cuối trong {hours} giờ; "
                f"khóa từ {format_date(lock['since'])} đến {format_date(lock['until'])} (giờ địa phương). "
                f"Mở khóa: thutuc ho-so unlock {code}")
    return (f"không khóa ({lock['failures']}/{lock['limit']} lần nhập sai 4 số cuối trong {hours} giờ qua; "
            f"đến {lock['limit']} lần thì khóa)")


def _when(service, epoch) -> str:
    from dossiers.messages import format_date

    return format_date(service.local_time(epoch)) or "—"


def register(cli: click.Group) -> None:
    @cli.group("ho-so", cls=_ShowByDefault)
    def ho_so() -> None:
        """Hồ sơ theo mã (chỉ dành cho cán bộ): `ho-so CODE` xem, `ho-so unlock CODE` mở khóa tra cứu."""

    @ho_so.command("show")
    @click.argument("code")
    @click.option("--json", "as_json", is_flag=True, help="In bản ghi dạng JSON.")
    def show(code: str, as_json: bool) -> None:
        """Xem toàn bộ hồ sơ theo mã, kèm trạng thái khóa tra cứu qua tin nhắn."""
        canonical = _canonical(code)
        record = _service().clerk_record(canonical)
        if record is None:
            click.echo(f"Không có hồ sơ {canonical} trong kho dữ liệu.", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(_jsonable(record), ensure_ascii=False, indent=2))
        else:
            _print_record(record)

    @ho_so.command("unlock")
    @click.argument("code")
    def unlock(code: str) -> None:
        """Mở khóa tra cứu qua tin nhắn (xóa các lần nhập sai 4 số cuối) sau khi đã gặp hoặc gọi cho người nộp."""
        canonical = _canonical(code)
        service = _service()
        if service.store.get(canonical) is None:
            click.echo(f"Không có hồ sơ {canonical} trong kho dữ liệu.", err=True)
            sys.exit(1)
        before = service.unlock(canonical)
        from base.audit import AuditLog, cli_actor
        from base.privacy import mask_receipt_code

        AuditLog.from_settings().record(cli_actor(), "unlock", f"dossier:{mask_receipt_code(canonical)}",
                                        f"{before.failures} lần nhập sai, {'đang khoá' if before.locked else 'không khoá'}")
        if before.locked:
            click.echo(f"Đã mở khóa tra cứu hồ sơ {canonical}: xóa {before.failures} lần nhập sai 4 số cuối "
                       f"(khóa từ {_when(service, before.since)}, lẽ ra đến {_when(service, before.until)}). "
                       "Người nộp tra cứu lại được ngay.")
        elif before.failures:
            click.echo(f"Hồ sơ {canonical} không bị khóa; đã xóa {before.failures} lần nhập sai 4 số cuối "
                       "trong thời gian theo dõi.")
        else:
            click.echo(f"Hồ sơ {canonical} không bị khóa và không có lần nhập sai nào; không thay đổi gì.")

    @cli.group("dossiers")
    def dossiers_group() -> None:
        """Kho hồ sơ: nhập dữ liệu từ hệ thống một cửa, gửi thông báo."""

    @dossiers_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--notify/--no-notify", default=True,
                  help="Cho máy chủ gửi ngay các thông báo đổi trạng thái (không có: gửi ở lần kiểm tra kế tiếp).")
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
        """Cho các thông báo đang chờ thử lại được gửi ngay ở lần kiểm tra kế tiếp của máy chủ; in số theo trạng thái."""
        from base.settings import get_settings
        from dossiers.store import DossierStore

        settings = get_settings()
        _deliver(DossierStore(settings.database_url), settings)


def _deliver(store, settings) -> None:
    """The Rasa server delivers (bot/channels/notifications.py): make every waiting retry due now and report."""
    from collections import Counter

    due = store.retry_now()
    counts = Counter(status for _, status, _ in store.notification_statuses())
    click.echo(f"Thông báo: {counts['sent']} đã gửi, {counts['waiting']} chờ trang chat nhận, "
               f"{counts['pending'] + counts['sending']} đang chờ gửi ({due} được thử lại ngay), "
               f"{counts['expired']} quá hạn đã bỏ. Máy chủ gửi trong vòng {settings.dossier_notify_interval_s:.0f} giây.")
