"""How the dashboard shows a report: named tables (the page and the CSV export read the same rows), Vietnamese
labels, CSV bytes safe for spreadsheets, and server-rendered SVG bar charts.

Charts are plain SVG built here (no chart library, nothing to vendor): every bar is a `<rect class="bar">` with
`data-label` and `data-value`, so what a chart draws can be checked against the tables.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence
from xml.sax.saxutils import escape, quoteattr

from actions.templates import FACET_LABELS
from analytics.report import DashboardReport, Rates

CHANNEL_LABELS = {"zalo": "Zalo", "webchat": "Trang web", "rest": "REST (thử nghiệm)", "khac": "Khác"}
CHANNEL_ORDER = ("zalo", "webchat", "rest")
# Why a question counts as unanswered (analytics/misses.py REASONS): the dashboard's table and the review page
REASON_LABELS = {
    "not_found": "Không tìm thấy thủ tục", "out_of_scope": "Ngoài phạm vi", "menu": "Không hiểu hai lần",
    "clarify": "Hỏi lại chưa có kết quả", "thumbs_down": "Bị đánh giá chưa hài lòng",
}
ALL_CHANNELS = "Tất cả các kênh"
TABLE_NAMES = ("daily", "channels", "rates", "procedures", "facets", "handoff", "feedback", "knowledge", "unanswered")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows]}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel) if channel else ALL_CHANNELS


def _counts(pairs: Sequence[tuple[str, int]], labels: dict[str, str]) -> str:
    return "; ".join(f"{labels.get(key, key)}: {count}" for key, count in pairs)


def _when(timestamp: float, report: DashboardReport) -> str:
    return datetime.fromtimestamp(timestamp, report.period.zone).strftime("%Y-%m-%d %H:%M")


def tables(report: DashboardReport) -> dict[str, Table]:
    """Every table of the dashboard, in the order the page shows them."""
    r = report.rates
    rate_rows = (
        ("Tin nhắn của người dân", r.messages, 1.0 if r.messages else 0.0),
        ("Được trả lời bằng một thủ tục", r.answered, r.answered_rate),
        ("Không hiểu câu hỏi (fallback)", r.fallback, r.fallback_rate),
        ("Hỏi lại để làm rõ", r.clarifying, r.clarifying_rate),
        ("Không tìm thấy thủ tục", r.not_found, Rates.share(r.not_found, r.messages)),
        ("Ngoài phạm vi", r.out_of_scope, Rates.share(r.out_of_scope, r.messages)),
        ("Đưa danh mục sau hai lần không hiểu", r.menu, Rates.share(r.menu, r.messages)),
    )
    found = [
        Table("daily", "Theo ngày và kênh", ("Ngày", "Kênh", "Cuộc trò chuyện", "Tin nhắn"),
              tuple((row.day.isoformat(), channel_label(row.channel), row.conversations, row.messages)
                    for row in report.daily)),
        Table("channels", "Theo kênh", ("Kênh", "Cuộc trò chuyện", "Tin nhắn"),
              tuple((channel_label(c.channel), c.conversations, c.messages) for c in report.channels)),
        Table("rates", "Kết quả trả lời", ("Chỉ số", "Số tin nhắn", "Tỉ lệ"), rate_rows),
        Table("procedures", "Thủ tục được hỏi nhiều nhất", ("Mã thủ tục", "Tên thủ tục", "Số lần trả lời"),
              tuple((p.key, p.label, p.count) for p in report.procedures)),
        Table("facets", "Nội dung được hỏi", ("Nội dung", "Số lần trả lời"),
              tuple((f.label, f.count) for f in report.facets)),
        Table("handoff", "Chuyển cán bộ", ("Kênh", "Số phiếu", "Trong giờ", "Ngoài giờ", "Đã có trả lời",
                                           "Trung vị phút đến trả lời đầu", "Trung bình phút đến trả lời đầu"),
              tuple((channel_label(h.channel), h.tickets, h.live, h.callback, h.replied, h.median_minutes,
                     h.mean_minutes) for h in report.handoff)),
        Table("feedback", "Đánh giá của người dân theo thủ tục (👍/👎)",
              ("Mã thủ tục", "Tên thủ tục", "Hài lòng (👍)", "Chưa hài lòng (👎)"),
              tuple((f.procedure_code or "(không rõ thủ tục)", f.name, f.up, f.down) for f in report.feedback)),
        Table("knowledge", f"Mục dữ liệu cần xem lại (rà soát quá {report.review_max_age_days} ngày hoặc có ghi chú)",
              ("Mã thủ tục", "Tên thủ tục", "Ngày rà soát", "Quá hạn rà soát", "Ghi chú chưa xử lý"),
              tuple((k.code, k.name, k.reviewed or "chưa rà soát", "có" if k.stale else "không",
                     " | ".join(k.open_flags)) for k in report.knowledge)),
        Table("unanswered", "Câu hỏi chưa trả lời được (đã che thông tin cá nhân, gộp câu giống nhau)",
              ("Mã nhóm", "Câu hỏi", "Số lần", "Số cuộc trò chuyện", "Lý do", "Kênh", "Ví dụ khác", "Lần cuối"),
              tuple((g.key, g.text, g.count, g.conversations, _counts(g.reasons, REASON_LABELS),
                     _counts(g.channels, CHANNEL_LABELS), " | ".join(g.examples[1:]), _when(g.last_seen, report))
                    for g in report.unanswered)),
    ]
    assert tuple(table.name for table in found) == TABLE_NAMES
    return {table.name: table for table in found}


def summary(report: DashboardReport) -> dict[str, Any]:
    total = report.handoff[0] if report.handoff else None
    return {
        "conversations": report.conversations,
        "messages": report.rates.messages,
        "answered_rate": report.rates.answered_rate,
        "fallback_rate": report.rates.fallback_rate,
        "clarifying_rate": report.rates.clarifying_rate,
        "handoff_tickets": total.tickets if total else 0,
        "handoff_median_minutes": total.median_minutes if total else None,
        "thumbs_up": sum(f.up for f in report.feedback),
        "thumbs_down": sum(f.down for f in report.feedback),
        "unanswered": sum(g.count for g in report.unanswered),
        "knowledge_issues": len(report.knowledge),
    }


# ---------------------------------------------------------------------------------------------------- CSV
def safe_cell(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads Vietnamese correctly), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------------------------------- charts
BAR_COLOUR = "#1f6f8b"


def _number(value: float) -> str:
    return f"{value:g}"


def column_chart(name: str, title: str, points: Sequence[tuple[str, str, float]], unit: str) -> str:
    """Vertical bars, one per (key, axis label, value), e.g. one per day."""
    width, height, left, bottom, top = 480, 220, 34, 30, 16
    count = max(1, len(points))
    step = (width - left - 6) / count
    peak = max([value for _, _, value in points] + [1])
    label_every = max(1, round(count / 7))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart columns" data-chart={quoteattr(name)} role="img" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">',
             f'<title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" stroke="#888"/>',
             f'<text x="{left - 5}" y="{top + 4}" text-anchor="end" font-size="12" fill="#444">{_number(peak)}</text>',
             f'<text x="{left - 5}" y="{height - bottom}" text-anchor="end" font-size="12" fill="#444">0</text>']
    plot = height - bottom - top
    for index, (key, label, value) in enumerate(points):
        bar_height = plot * value / peak if peak else 0
        x = left + index * step + step * 0.15
        y = height - bottom - bar_height
        parts.append(
            f'<rect class="bar" data-label={quoteattr(key)} data-value="{_number(value)}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{step * 0.7:.1f}" height="{bar_height:.1f}" fill="{BAR_COLOUR}">'
            f'<title>{escape(label)}: {_number(value)} {escape(unit)}</title></rect>')
        if index % label_every == 0:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="12" fill="#444">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(name: str, title: str, items: Sequence[tuple[str, str, float]], unit: str, limit: int = 10) -> str:
    """Horizontal bars, one per (key, label, value) with its label above it, at most `limit` (narrow screens read
    the labels at full width)."""
    shown = list(items)[:limit]
    row, width = 36, 400
    height = max(1, len(shown)) * row + 6
    peak = max([value for _, _, value in shown] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" data-chart={quoteattr(name)} role="img" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet">',
             f'<title>{escape(title)}</title>']
    if not shown:
        parts.append('<text x="4" y="22" font-size="14" fill="#666">Chưa có dữ liệu trong khoảng thời gian này.</text>')
    for index, (key, label, value) in enumerate(shown):
        y = 2 + index * row
        bar = (width - 50) * value / peak
        text = label if len(label) <= 60 else label[:59] + "…"
        parts.append(f'<text x="2" y="{y + 13}" font-size="13" fill="#222">{escape(text)}<title>{escape(label)}</title></text>')
        parts.append(f'<rect class="bar" data-label={quoteattr(key)} data-value="{_number(value)}" x="2" '
                     f'y="{y + 17}" width="{bar:.1f}" height="14" fill="{BAR_COLOUR}">'
                     f'<title>{escape(label)}: {_number(value)} {escape(unit)}</title></rect>')
        parts.append(f'<text x="{bar + 8:.1f}" y="{y + 29}" font-size="13" fill="#222">{_number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(report: DashboardReport) -> dict[str, str]:
    days = [(day.isoformat(), day.strftime("%d/%m"), float(messages)) for day, _, messages in report.daily_totals()]
    conversations = [(day.isoformat(), day.strftime("%d/%m"), float(count)) for day, count, _ in report.daily_totals()]
    r = report.rates
    outcomes = [("answered", "Được trả lời", r.answered), ("clarifying", "Hỏi lại để làm rõ", r.clarifying),
                ("fallback", "Không hiểu (fallback)", r.fallback), ("not_found", "Không tìm thấy", r.not_found),
                ("out_of_scope", "Ngoài phạm vi", r.out_of_scope)]
    return {
        "messages": column_chart("messages", "Tin nhắn mỗi ngày", days, "tin nhắn"),
        "conversations": column_chart("conversations", "Cuộc trò chuyện mỗi ngày", conversations, "cuộc"),
        "outcomes": bar_chart("outcomes", "Kết quả trả lời", [(k, l, float(v)) for k, l, v in outcomes], "tin nhắn"),
        "procedures": bar_chart("procedures", "Thủ tục được hỏi nhiều nhất",
                                [(p.key, p.label or p.key, float(p.count)) for p in report.procedures], "lần"),
        "facets": bar_chart("facets", "Nội dung được hỏi",
                            [(f.key, f.label, float(f.count)) for f in report.facets], "lần"),
        "feedback_down": bar_chart("feedback_down", "Số đánh giá chưa hài lòng theo thủ tục",
                                   [(f.procedure_code, f.name or f.procedure_code or "(không rõ)", float(f.down))
                                    for f in sorted(report.feedback, key=lambda f: -f.down) if f.down], "lần"),
    }
