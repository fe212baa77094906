"""Is a site open now, and if not, why and when does it open? Pure functions over `SiteInfo`/`WardInfo`.

Hours, holidays and closures are local wall-clock times of the ward; an aware `at` is converted to the configured
timezone (settings.timezone, Asia/Ho_Chi_Minh by default) and a naive `at` is taken as local time already.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from knowledge.types import SiteInfo, WardInfo

OPEN = "open"
LUNCH_BREAK = "lunch_break"
BEFORE_HOURS = "before_hours"
AFTER_HOURS = "after_hours"
CLOSED_DAY = "closed_day"
HOLIDAY = "holiday"
CLOSURE = "closure"

REASON_TEXT = {
    OPEN: "đang mở cửa",
    LUNCH_BREAK: "đang nghỉ trưa",
    BEFORE_HOURS: "chưa đến giờ làm việc",
    AFTER_HOURS: "đã hết giờ làm việc",
    CLOSED_DAY: "hôm nay không làm việc",
    HOLIDAY: "nghỉ lễ",
    CLOSURE: "tạm nghỉ",
}

_SEARCH_DAYS = 60


@dataclass(frozen=True)
class OpeningState:
    is_open: bool
    reason: str  # one of the constants above
    detail: Optional[str]  # holiday name or closure reason
    next_opening: Optional[datetime]  # local, naive; None when open or nothing within 60 days
    closes_at: Optional[datetime] = None  # when open: end of the current interval

    @property
    def reason_text(self) -> str:
        return REASON_TEXT[self.reason] + (f" ({self.detail})" if self.detail else "")


def _timezone() -> ZoneInfo:
    from base.settings import get_settings

    return ZoneInfo(get_settings().timezone)


def local_time(at: datetime, tz: Optional[ZoneInfo] = None) -> datetime:
    """Naive local wall-clock time of `at`."""
    if at.tzinfo is None:
        return at
    return at.astimezone(tz or _timezone()).replace(tzinfo=None)


def _holiday(ward: WardInfo, day: date) -> Optional[str]:
    for holiday in ward.holidays:
        if holiday.day == day:
            return holiday.name
    return None


def _closure_at(site: SiteInfo, ward: WardInfo, moment: datetime):
    for closure in ward.closures:
        if closure.site_id in (None, site.id) and closure.start <= moment < closure.end:
            return closure
    return None


def _intervals(site: SiteInfo, day: date) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, start), datetime.combine(day, end)) for start, end in site.hours.get(day.weekday(), ())
    ]


def next_opening(site: SiteInfo, ward: WardInfo, at: datetime) -> Optional[datetime]:
    """The first local moment at or after `at` when the site is open (None if not within 60 days)."""
    moment = local_time(at)
    for offset in range(_SEARCH_DAYS + 1):
        day = moment.date() + timedelta(days=offset)
        if _holiday(ward, day):
            continue
        for start, end in _intervals(site, day):
            candidate = max(start, moment)
            while candidate < end:
                closure = _closure_at(site, ward, candidate)
                if closure is None:
                    return candidate
                candidate = closure.end
    return None


def opening_state(site: SiteInfo, ward: WardInfo, at: datetime) -> OpeningState:
    """Open or closed at `at`, with the reason and the next opening."""
    moment = local_time(at)
    day = moment.date()
    holiday = _holiday(ward, day)
    intervals = _intervals(site, day)
    if holiday:
        return OpeningState(False, HOLIDAY, holiday, next_opening(site, ward, moment))
    current = next(((s, e) for s, e in intervals if s <= moment < e), None)
    if current is not None:
        closure = _closure_at(site, ward, moment)
        if closure is not None:
            return OpeningState(False, CLOSURE, closure.reason, next_opening(site, ward, moment))
        return OpeningState(True, OPEN, None, None, closes_at=current[1])
    upcoming = next_opening(site, ward, moment)
    if not intervals:
        reason = CLOSED_DAY
    elif moment < intervals[0][0]:
        reason = BEFORE_HOURS
    elif moment >= intervals[-1][1]:
        reason = AFTER_HOURS
    else:
        reason = LUNCH_BREAK
    return OpeningState(False, reason, None, upcoming)


def is_open(site: SiteInfo, ward: WardInfo, at: datetime) -> bool:
    return opening_state(site, ward, at).is_open


def any_open(ward: WardInfo, at: datetime) -> bool:
    return any(is_open(site, ward, at) for site in ward.sites)


WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def describe_hours(site: SiteInfo) -> list[str]:
    """Weekly hours as short Vietnamese lines, consecutive days with the same hours merged ("Thứ Hai–Thứ Sáu: …")."""
    lines: list[str] = []
    day = 0
    while day < 7:
        intervals = site.hours.get(day, ())
        end = day
        while end + 1 < 7 and site.hours.get(end + 1, ()) == intervals:
            end += 1
        days = WEEKDAY_NAMES[day] if end == day else f"{WEEKDAY_NAMES[day]}–{WEEKDAY_NAMES[end]}"
        text = ", ".join(f"{a.strftime('%H:%M')}–{b.strftime('%H:%M')}" for a, b in intervals) or "nghỉ"
        lines.append(f"{days}: {text}")
        day = end + 1
    return lines
