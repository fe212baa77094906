"""The clerk's procedure card: terminal text, JSON and a printable one-page HTML checklist."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from knowledge.hours import describe_hours
from knowledge.types import ProcedureCard, SiteInfo, WardInfo, to_jsonable
from knowledge.wording import (
    GROUP_TEXT,
    STATUS_TEXT,
    describe_channel,
    describe_date,
    describe_fee,
    describe_quantity,
    describe_time,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SHORT_CASE = 40  # characters; longer "the case it applies to" texts are shown once as a sub-heading


@dataclass(frozen=True)
class CardView:
    """Everything the clerk sees for one procedure, ready to render."""

    card: ProcedureCard
    ward: Optional[WardInfo]
    sites: tuple[SiteInfo, ...]

    def document_groups(self) -> list[tuple[str, list[dict]]]:
        groups: list[tuple[str, list[dict]]] = []
        for key in ("submit", "present", "note"):
            items = [
                {
                    "name": d.name,
                    "quantity": describe_quantity(d),
                    "form": d.form,
                    "case": d.case,
                    "notes": d.notes,
                    "tick": key != "note",  # notes are advice, not papers to bring: no tick box on the checklist
                }
                for d in self.card.documents
                if d.group == key
            ]
            if items:
                groups.append((GROUP_TEXT[key], items))
        return groups

    def channel_lines(self) -> list[dict]:
        return [
            {
                "label": describe_channel(c),
                "time": describe_time(c.time_limit),
                "fee": describe_fee(c.fee),
                "description": c.description,
            }
            for c in self.card.channels
        ]

    def site_lines(self) -> list[dict]:
        return [
            {"name": s.name, "address": s.address, "phone": s.phone, "hours": describe_hours(s)} for s in self.sites
        ]

    def source_line(self) -> str:
        source = self.card.source
        parts = [f"Quyết định công bố {source.decision}" if source.decision else "chưa rõ quyết định công bố"]
        parts.append(f"kiểm tra lần cuối {describe_date(source.reviewed)}")
        if source.reviewer:
            parts.append(source.reviewer)
        return " · ".join(parts)


def render_text(view: CardView) -> str:
    card = view.card
    lines = [f"{card.name} — mã {card.code}"]
    meta = [card.field] + ([card.level] if card.level else []) + [STATUS_TEXT.get(card.status, card.status)]
    lines.append(" · ".join(m for m in meta if m))
    for title, items in view.document_groups():
        lines += ["", title.upper()]
        current_case = None
        for item in items:
            case = item["case"]
            # Long case descriptions ("a) Đối với trường hợp …") head a block; short ones stay on the item's line.
            long_case = bool(case) and len(case) > SHORT_CASE
            if long_case and case != current_case:
                lines.append(f"  {case}")
            current_case = case if long_case else None
            indent = "    " if long_case else "  "
            text = f"{indent}• {item['name']}"
            if item["quantity"]:
                text += f" — {item['quantity']}"
            if case and not long_case:
                text += f" [{case}]"
            lines.append(text)
            if item["form"]:
                lines.append(f"      mẫu: {item['form']}")
            if item["notes"]:
                lines.append(f"      ghi chú: {item['notes']}")
    lines += ["", "CÁCH NỘP, THỜI HẠN, LỆ PHÍ"]
    for channel in view.channel_lines() or [{"label": "Chưa có thông tin", "time": "", "fee": "", "description": None}]:
        lines.append(f"  • {channel['label']}: {channel['time']}; lệ phí: {channel['fee']}")
    if view.ward is not None:
        header = f"NƠI NỘP — {view.ward.name}" + (" (dữ liệu mẫu)" if view.ward.sample else "")
        lines += ["", header]
        for site in view.site_lines() or []:
            contact = " — ".join(x for x in (site["address"], f"ĐT {site['phone']}" if site["phone"] else None) if x)
            lines.append(f"  • {site['name']}" + (f" — {contact}" if contact else ""))
            for hours in site["hours"]:
                lines.append(f"      {hours}")
        if not view.sites:
            lines.append("  • Chưa có điểm tiếp nhận cho lĩnh vực này; hỏi Trung tâm.")
        online = [c for c in card.channels if c.type == "online"]
        if online and view.ward.national_portal:
            lines.append(f"  • Trực tuyến: {view.ward.national_portal}" + (" hoặc ứng dụng VNeID" if view.ward.vneid else ""))
    lines += ["", f"Nguồn: {view.source_line()}"]
    if card.open_flags():
        lines.append("Cần xem lại: " + "; ".join(flag.note for flag in card.open_flags()))
    if card.parse_warnings:
        lines.append(f"Cảnh báo khi nhập dữ liệu: {len(card.parse_warnings)} (xem --json)")
    return "\n".join(lines)


def render_json(view: CardView) -> dict:
    data = to_jsonable(view.card)
    data["sites"] = to_jsonable(list(view.sites))
    data["ward"] = None if view.ward is None else {"name": view.ward.name, "sample": view.ward.sample}
    return data


def render_html(view: CardView, printed_on: Optional[date] = None) -> str:
    """A printable one-page checklist; every text is HTML-escaped by the template engine."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("checklist.html")
    return template.render(
        card=view.card,
        ward=view.ward,
        groups=view.document_groups(),
        channels=view.channel_lines(),
        sites=view.site_lines(),
        source=view.source_line(),
        printed_on=describe_date(printed_on or date.today()),
    )
