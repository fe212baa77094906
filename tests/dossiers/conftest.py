"""Fixtures for the dossier status tests: isolated databases (SQLite file, PostgreSQL database), a service with a
fixed clock, fake knowledge-base names, and the known fake personal data used by the privacy checks."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import pytest

from dossiers.directory import SitePlace, WardContact
from base.ratelimit import SlidingWindowCounter, SqlEventStore
from dossiers.ratelimit import LookupLimitConfig, LookupLimits
from dossiers.service import DossierService
from dossiers.store import DossierStore

SALT = "test-salt"
NOW_UTC = datetime(2026, 1, 20, 3, 0, 0)  # 10:00 in Ho Chi Minh City

# Known fake personal data fed through every citizen path: none of it may ever come out.
FAKE_PEOPLE = [
    {"applicant_name": "Nguyễn Thị Hoa Mai", "id_number": "079188012345", "phone": "0912 345 678",
     "address": "Số 17 ngõ 42 phố Hàng Bạc"},
    {"applicant_name": "Trần Văn Bình", "id_number": "001203004567", "phone": "+84 987 654 321",
     "address": "Tổ 5 khu phố Đông Hòa"},
]


class FakeDirectory:
    def __init__(self):
        self.names = {"1.001193": "Đăng ký khai sinh"}
        self.sites = {"tru-so-chinh": SitePlace("Trụ sở chính", "Số 1 Đường Mẫu"),
                      "diem-2": SitePlace("Điểm tiếp nhận số 2", None)}

    def procedure_name(self, code: str) -> Optional[str]:
        return self.names.get(code)

    def site(self, site_id: str) -> Optional[SitePlace]:
        return self.sites.get(site_id)

    def ward_contact(self) -> Optional[WardContact]:
        return WardContact("Phường Mẫu", "0000 000 000")


@pytest.fixture
def store(sqlite_url) -> DossierStore:
    return DossierStore(sqlite_url)


class Clock:
    """A settable UTC clock shared by the service and the rate limiter."""

    def __init__(self, now: datetime = NOW_UTC):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        from datetime import timezone

        return self.now.replace(tzinfo=timezone.utc).timestamp()

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(clock) -> Callable[..., DossierService]:
    def factory(store: DossierStore, limit: int = 5, window_s: int = 900, external=None,
                config: Optional[LookupLimitConfig] = None) -> DossierService:
        counter = SlidingWindowCounter(SqlEventStore(store.engine), clock=clock.epoch)
        limits = LookupLimits(counter, config or LookupLimitConfig.defaults(limit, window_s))
        return DossierService(store, limits, salt=SALT, external=external, clock=clock)

    return factory


@pytest.fixture
def service(store, make_service) -> DossierService:
    return make_service(store)


def feed(store: DossierStore, *raw_records: dict, source: str = "import"):
    """Validate and apply records the way every feed does; fails the test on validation errors."""
    from zoneinfo import ZoneInfo

    from dossiers.feed import validate_records

    validation = validate_records(enumerate(raw_records, start=1), salt=SALT, tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert validation.errors == []
    return store.apply(validation.records, source, now=NOW_UTC)
