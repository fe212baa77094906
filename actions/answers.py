"""Turn a procedure card into the answer for one facet: plain text built only from knowledge-base facts.

Pure functions (no Rasa, no database) so every facet's wording can be tested directly against the data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional, Sequence

from actions import templates as T
from knowledge import wording
from knowledge.hours import describe_hours, opening_state
from knowledge.types import ChannelInfo, Fee, ProcedureCard, SiteInfo, TimeLimit, WardInfo

MAX_MESSAGE_CHARS = 1800  # below Zalo's 2,000 with room for the channel's own additions


@dataclass(frozen=True)
class AnswerContext:
    """What a facet answer may need besides the card."""

    sites: Sequence[SiteInfo]
    ward: Optional[WardInfo]
    now: datetime  # local wall-clock time of the ward


def header(card: ProcedureCard) -> str:
    return T.HEADER.format(name=card.name, code=card.code)


def source_line(card: ProcedureCard) -> str:
    decision = card.source.decision or "Cổng Dịch vụ công quốc gia"
    if card.status != "curated" or card.source.reviewed is None:
        return T.SOURCE_UNREVIEWED.format(decision=decision)
    return T.SOURCE_LINE.format(decision=decision, reviewed=wording.describe_date(card.source.reviewed))


def review_warning(card: ProcedureCard, facet: str) -> list[str]:
    """Only the open doubts about the facet being answered, saying what exactly is uncertain."""
    facets = ("documents", "fee", "time") if facet == "overview" else (facet,)
    notes = list(dict.fromkeys(flag.note.rstrip(". ") for f in facets for flag in card.open_flags(f)))
    return [T.UNDER_REVIEW.format(notes="; ".join(notes))] if notes else []


def render(facet: str, card: ProcedureCard, context: AnswerContext) -> list[str]:
    """The messages answering `facet` for `card`: header first, source last, each within Zalo's limit."""
    body = _FACET_RENDERERS[facet](card, context)
    lines = [header(card), *body]
    lines += review_warning(card, facet)
    if facet in {"documents", "where", "overview"}:
        lines += visit_notice(card, context)
    lines.append(source_line(card))
    return split_messages(lines)


# ------------------------------------------------------------------------------------------------ facets


def documents(card: ProcedureCard, _: AnswerContext) -> list[str]:
    if not card.documents:
        return [T.NO_DATA["documents"]]
    lines = [T.DOCUMENTS_INTRO]
    for group in ("submit", "present", "note"):
        items = [d for d in card.documents if d.group == group]
        if not items:
            continue
        lines.append(f"{wording.GROUP_TEXT[group]}:")
        for number, item in enumerate(items, 1):
            quantity = wording.describe_quantity(item)
            text = item.name
            if item.case:
                text += f" ({item.case})"
            if quantity:
                text += f" — {quantity}"
            if item.form:
                text += f". Mẫu: {item.form}"
            lines.append(f"{number}. {text}")
    return lines


def fee(card: ProcedureCard, _: AnswerContext) -> list[str]:
    return [T.FEE_INTRO, *_per_channel(card.channels, lambda c: fee_text(c.fee))]


def time_limit(card: ProcedureCard, _: AnswerContext) -> list[str]:
    with_limit = [c for c in card.channels if c.time_limit is not None]
    if not with_limit:
        return [T.NO_DATA["time"]]
    lines = [T.TIME_INTRO, *_per_channel(with_limit, lambda c: time_text(c.time_limit))]
    rules = _unique(c.time_limit.rule for c in with_limit if c.time_limit.rule)
    lines += [f"Lưu ý: {rule}" for rule in rules]
    return lines


def where(card: ProcedureCard, context: AnswerContext) -> list[str]:
    if not context.sites:
        return [T.NO_DATA["where"]]
    lines = [T.WHERE_INTRO]
    for site in context.sites:
        lines.append(T.SITE_LINE.format(name=site.name, address=site.address or "chưa có địa chỉ"))
        if site.phone:
            lines.append(T.SITE_PHONE.format(phone=site.phone))
        lines.append(T.SITE_HOURS.format(hours="; ".join(describe_hours(site))))
    if any(c.type == "post" for c in card.channels):
        lines.append(T.WHERE_POST)
    online = _online_channel(card)
    if online is not None:
        lines.append(T.ONLINE_YES.format(portals=_portals(online)))
    return lines


def online(card: ProcedureCard, context: AnswerContext) -> list[str]:
    channel = _online_channel(card)
    if channel is None:
        has_post = any(c.type == "post" for c in card.channels)
        return [T.ONLINE_NO.format(post=T.ONLINE_NO_POST if has_post else "")]
    lines = [T.ONLINE_YES.format(portals=_portals(channel))]
    if channel.requires_vneid_level2:
        lines.append(T.ONLINE_VNEID_L2)
    if context.ward and context.ward.national_portal and "national_portal" in (channel.portals or ("national_portal",)):
        lines.append(T.ONLINE_PORTAL_LINK.format(url=context.ward.national_portal))
    if channel.time_limit is not None:
        lines.append(f"Thời hạn khi nộp trực tuyến: {time_text(channel.time_limit)}.")
    lines.append(f"Lệ phí khi nộp trực tuyến: {fee_text(channel.fee)}.")
    return lines


def steps(card: ProcedureCard, _: AnswerContext) -> list[str]:
    if not card.steps:
        return [T.NO_DATA["steps"]]
    return [T.STEPS_INTRO, *(f"{i}. {step}" for i, step in enumerate(card.steps, 1))]


def result(card: ProcedureCard, _: AnswerContext) -> list[str]:
    if not card.results:
        return [T.NO_DATA["result"]]
    return [T.RESULT_INTRO, *(f"• {item}" for item in card.results)]


def legal_basis(card: ProcedureCard, _: AnswerContext) -> list[str]:
    if not card.legal_basis:
        return [T.NO_DATA["legal_basis"]]
    return [T.LEGAL_INTRO, *(f"• {ref.code}: {ref.title}" if ref.title else f"• {ref.code}" for ref in card.legal_basis)]


def conditions(card: ProcedureCard, _: AnswerContext) -> list[str]:
    lines: list[str] = []
    if card.applicants:
        lines.append(T.APPLICANTS_LINE.format(applicants=card.applicants))
    if card.conditions:
        lines += [T.CONDITIONS_INTRO, card.conditions]
    else:
        lines.append(T.NO_DATA["conditions"])
    return lines


def overview(card: ProcedureCard, context: AnswerContext) -> list[str]:
    """A first answer about a procedure: the papers to bring, then time limit and fee in one line each."""
    lines = documents(card, context)
    with_limit = [c for c in card.channels if c.time_limit is not None]
    if with_limit:
        lines.append(f"{T.TIME_INTRO} " + "; ".join(_per_channel(with_limit, lambda c: time_text(c.time_limit))))
    if card.channels:
        lines.append(f"{T.FEE_INTRO} " + "; ".join(_per_channel(card.channels, lambda c: fee_text(c.fee))))
    return lines


_FACET_RENDERERS = {
    "documents": documents,
    "fee": fee,
    "time": time_limit,
    "where": where,
    "online": online,
    "steps": steps,
    "result": result,
    "legal_basis": legal_basis,
    "conditions": conditions,
    "overview": overview,
}


# ----------------------------------------------------------------------------------------------- after hours


def visit_notice(card: ProcedureCard, context: AnswerContext) -> list[str]:
    """When the answer implies a visit: is the site open now, when does it reopen, what can be done online now."""
    if not context.sites or context.ward is None:
        return []
    site = context.sites[0]
    state = opening_state(site, context.ward, context.now)
    if state.is_open:
        return []
    if state.next_opening is not None:
        lines = [T.CLOSED_NOW.format(site=site.name, reason=state.reason_text, when=moment_text(state.next_opening))]
    else:
        lines = [T.CLOSED_NO_NEXT.format(site=site.name, reason=state.reason_text)]
    channel = _online_channel(card)
    if channel is not None:
        lines.append(T.ONLINE_NOW.format(portals=_portals(channel)))
    return lines


# ------------------------------------------------------------------------------------------------ formatting


def fee_text(value: Fee) -> str:
    """The knowledge base's wording of a fee (shared with the clerk card), as a sentence."""
    text = wording.describe_fee(value)
    return text[:1].upper() + text[1:]


def time_text(limit: TimeLimit) -> str:
    """Value and unit only; starting rules are listed separately so per-channel lines stay short."""
    return f"{wording.number(limit.value)} {wording.UNIT_TEXT.get(limit.unit, limit.unit)}"


def moment_text(moment: datetime) -> str:
    return f"{moment.strftime('%H:%M')} {T.WEEKDAYS[moment.weekday()]}, {moment.strftime('%d/%m/%Y')}"


def _per_channel(channels: Sequence[ChannelInfo], describe) -> list[str]:
    """One line when every channel says the same, else one line per channel (inconsistencies stay visible)."""
    texts = [describe(c) for c in channels]
    if len(set(texts)) == 1:
        return [texts[0]]
    return [f"{wording.CHANNEL_TEXT.get(c.type, c.type)}: {text}" for c, text in zip(channels, texts)]


def _online_channel(card: ProcedureCard) -> Optional[ChannelInfo]:
    return next((c for c in card.channels if c.type == "online"), None)


def _portals(channel: ChannelInfo) -> str:
    names = [wording.PORTAL_TEXT.get(p, p) for p in (channel.portals or ("national_portal",))]
    return " hoặc ".join(names)


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def split_messages(lines: Sequence[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Group lines into messages of at most `limit` characters, breaking between lines (or inside a huge line)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces = line[:cut], line[cut:].lstrip()
            if current:
                messages.append(current)
                current = ""
            messages.append(pieces[0])
            line = pieces[1]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            messages.append(current)
            current = line
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages
