"""Office hours of the fixture ward at fixed clock times (pure functions, no database)."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from knowledge import hours
from knowledge.types import Closure, Holiday, SiteInfo, WardInfo

WEEKDAY = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
SITE = SiteInfo(
    id="tru-so-chinh",
    name="Trụ sở chính",
    address=None,
    phone=None,
    fields=("*",),
    hours={0: WEEKDAY, 1: WEEKDAY, 2: WEEKDAY, 3: WEEKDAY, 4: WEEKDAY, 5: ((time(7, 30), time(11, 30)),), 6: ()},
)
WARD = WardInfo(
    name="Phường Thử Nghiệm",
    province=None,
    hotline=None,
    email=None,
    national_portal=None,
    vneid=False,
    sample=True,
    sites=(SITE,),
    holidays=(Holiday(date(2026, 9, 2), "Quốc khánh"),),
    closures=(Closure("tru-so-chinh", datetime(2026, 12, 24, 13, 30), datetime(2026, 12, 24, 17, 0), "Bảo trì"),),
)
# 2026-11-23 is a Monday.


@pytest.mark.parametrize(
    "at, is_open, reason, next_opening",
    [
        (datetime(2026, 11, 23, 9, 0), True, hours.OPEN, None),
        (datetime(2026, 11, 23, 12, 0), False, hours.LUNCH_BREAK, datetime(2026, 11, 23, 13, 30)),
        (datetime(2026, 11, 23, 6, 45), False, hours.BEFORE_HOURS, datetime(2026, 11, 23, 7, 30)),
        (datetime(2026, 11, 23, 22, 15), False, hours.AFTER_HOURS, datetime(2026, 11, 24, 7, 30)),
        (datetime(2026, 11, 28, 8, 0), True, hours.OPEN, None),  # Saturday morning
        (datetime(2026, 11, 28, 14, 0), False, hours.AFTER_HOURS, datetime(2026, 11, 30, 7, 30)),  # Saturday afternoon
        (datetime(2026, 11, 29, 10, 0), False, hours.CLOSED_DAY, datetime(2026, 11, 30, 7, 30)),  # Sunday
        (datetime(2026, 9, 2, 9, 0), False, hours.HOLIDAY, datetime(2026, 9, 3, 7, 30)),  # public holiday (Wed)
        (datetime(2026, 12, 24, 14, 0), False, hours.CLOSURE, datetime(2026, 12, 25, 7, 30)),  # ad-hoc closure
        (datetime(2026, 12, 24, 10, 0), True, hours.OPEN, None),  # same day, before the closure
    ],
)
def test_opening_state(at, is_open, reason, next_opening):
    state = hours.opening_state(SITE, WARD, at)
    assert state.is_open is is_open
    assert state.reason == reason
    assert state.next_opening == next_opening
    assert hours.is_open(SITE, WARD, at) is is_open


def test_holiday_reason_names_the_holiday():
    state = hours.opening_state(SITE, WARD, datetime(2026, 9, 2, 9, 0))
    assert state.reason_text == "nghỉ lễ (Quốc khánh)"


def test_closes_at_when_open():
    assert hours.opening_state(SITE, WARD, datetime(2026, 11, 23, 9, 0)).closes_at == datetime(2026, 11, 23, 11, 30)


def test_aware_time_is_converted_to_local_time():
    # 02:00 UTC is 09:00 in Ho Chi Minh City: open; 05:00 UTC is 12:00: lunch break.
    assert hours.is_open(SITE, WARD, datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("UTC")))
    assert hours.opening_state(SITE, WARD, datetime(2026, 11, 23, 5, 0, tzinfo=ZoneInfo("UTC"))).reason == (
        hours.LUNCH_BREAK
    )


def test_next_opening_skips_a_closure_that_starts_at_opening():
    ward = WardInfo(**{**WARD.__dict__, "closures": (
        Closure(None, datetime(2026, 11, 24, 7, 30), datetime(2026, 11, 24, 9, 0), "Họp"),
    )})
    assert hours.next_opening(SITE, ward, datetime(2026, 11, 23, 20, 0)) == datetime(2026, 11, 24, 9, 0)


def test_freezegun_now():
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2026-11-23 05:00:00"):  # UTC → 12:00 local, lunch break
        now = datetime.now(ZoneInfo("UTC"))
        assert not hours.is_open(SITE, WARD, now)


def test_describe_hours_merges_days():
    assert hours.describe_hours(SITE) == [
        "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00",
        "Thứ Bảy: 07:30–11:30",
        "Chủ nhật: nghỉ",
    ]
