"""Vietnamese wording of knowledge-base facts (time limits, fees, channels, document quantities).

One place so the clerk card, the printable checklist and the chatbot say the same thing the same way, and a fee set by
the province is always said as such, never turned into a number.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from knowledge.types import ChannelInfo, DocumentItem, Fee, TimeLimit

UNIT_TEXT = {"working_day": "ngày làm việc", "day": "ngày", "hour": "giờ", "month": "tháng"}
CHANNEL_TEXT = {"in_person": "Nộp trực tiếp", "post": "Qua dịch vụ bưu chính", "online": "Nộp trực tuyến"}
PORTAL_TEXT = {"national_portal": "Cổng Dịch vụ công quốc gia", "vneid": "ứng dụng VNeID"}
GROUP_TEXT = {"submit": "Giấy tờ phải nộp", "present": "Giấy tờ phải xuất trình", "note": "Lưu ý"}
STATUS_TEXT = {"curated": "đã kiểm tra", "imported": "nhập tự động từ Cổng DVC quốc gia, chưa kiểm tra"}


def money(amount: int) -> str:
    """50000 → "50.000 đồng" (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def describe_time(limit: Optional[TimeLimit]) -> str:
    if limit is None:
        return "chưa có thông tin thời hạn"
    text = f"{number(limit.value)} {UNIT_TEXT.get(limit.unit, limit.unit)}"
    return f"{text} ({limit.rule})" if limit.rule else text


def describe_fee(fee: Fee) -> str:
    if fee.kind == "free":
        text = "miễn phí"
    elif fee.kind == "fixed" and fee.amount:
        text = money(fee.amount)
    elif fee.kind == "province":
        text = "do Hội đồng nhân dân tỉnh quy định"
        if fee.amount:
            text += f": {money(fee.amount)}"
        else:
            text += " (hỏi Trung tâm để biết mức cụ thể)"
    else:
        text = "hồ sơ gốc không ghi rõ lệ phí (hỏi Trung tâm)"
    return f"{text}; {fee.note}" if fee.note else text


def describe_channel(channel: ChannelInfo) -> str:
    label = CHANNEL_TEXT.get(channel.type, channel.type)
    if channel.type == "online" and channel.portals:
        label += " qua " + ", ".join(PORTAL_TEXT.get(p, p) for p in channel.portals)
        if channel.requires_vneid_level2:
            label += " (cần tài khoản định danh điện tử mức 2)"
    return label


def describe_quantity(document: DocumentItem) -> str:
    parts = []
    if document.originals:
        parts.append(f"{document.originals} bản chính")
    if document.copies:
        parts.append(f"{document.copies} bản sao")
    return ", ".join(parts)


def describe_date(day: Optional[date]) -> str:
    return day.strftime("%d/%m/%Y") if day else "chưa kiểm tra"
