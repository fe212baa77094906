"""The plain, frozen values `knowledge.api` hands to the rest of the project (no ORM objects leak out)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any, Optional, Union

Number = Union[int, float]


@dataclass(frozen=True)
class SearchHit:
    code: str
    name: str
    score: float  # 0..1, comparable within one query
    status: str  # curated | imported
    coverage: float = 0.0  # share of the hit's best-covered name/alias found in the query (knowledge/search.py)
    level: str = ""  # cấp thực hiện as stored ("Cấp xã", "Cấp tỉnh, Cấp xã"…)
    matched: frozenset = frozenset()  # the query's folded words found in this procedure's names (knowledge/search.py)
    named: float = 0.0  # how much of its best-covered name the query says, in rarest-word units (knowledge/search.py)

    @property
    def commune_level(self) -> bool:
        """Whether the commune handles it (curated entries are commune procedures by construction)."""
        return self.status == "curated" or not self.level or "cấp xã" in self.level.lower()


@dataclass(frozen=True)
class LegalRef:
    code: str
    title: str


@dataclass(frozen=True)
class DocumentItem:
    group: str  # submit (phải nộp) | present (phải xuất trình) | note (lưu ý)
    name: str
    form: Optional[str]
    originals: int
    copies: int
    case: Optional[str]  # the case it applies to; None = always
    notes: Optional[str]


@dataclass(frozen=True)
class TimeLimit:
    value: Number
    unit: str  # working_day | day | hour (imported entries may also say month)
    rule: Optional[str]


@dataclass(frozen=True)
class Fee:
    kind: str  # free | fixed | province | unknown
    amount: Optional[int]  # VND; only for fixed, or province when this deployment's amount is known
    note: Optional[str]


@dataclass(frozen=True)
class ChannelInfo:
    type: str  # in_person | post | online
    portals: tuple[str, ...]  # online only: national_portal | vneid
    requires_vneid_level2: bool
    time_limit: Optional[TimeLimit]
    fee: Fee
    description: Optional[str]


FLAG_FACETS = ("documents", "fee", "time", "where", "online", "steps", "result", "legal_basis", "conditions")
FLAG_OPEN, FLAG_RESOLVED = "open", "resolved"


@dataclass(frozen=True)
class ReviewFlag:
    """A doubt found in the national record: resolved (with the article that settles it) or open (with why)."""

    note: str  # what is uncertain; shown to citizens beside the facets it concerns while open
    facets: tuple[str, ...]  # answer facets it concerns (FLAG_FACETS)
    status: str = FLAG_OPEN
    resolution: Optional[str] = None  # resolved: what the entry now says
    basis: Optional[str] = None  # resolved: the article of law or decree that settles it
    reason: Optional[str] = None  # open: why it cannot be settled from the law

    @property
    def is_open(self) -> bool:
        return self.status != FLAG_RESOLVED

    def concerns(self, facet: str) -> bool:
        return facet in self.facets

    @classmethod
    def from_stored(cls, value: Any) -> "ReviewFlag":
        """A stored flag: a mapping, or a bare note (imported records, rows written before flags had facets)."""
        if isinstance(value, dict):
            return cls(note=str(value.get("note") or ""), facets=tuple(value.get("facets") or FLAG_FACETS),
                       status=str(value.get("status") or FLAG_OPEN), resolution=value.get("resolution"),
                       basis=value.get("basis"), reason=value.get("reason"))
        return cls(note=str(value), facets=FLAG_FACETS)

    def to_stored(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None} | {"facets": list(self.facets)}


@dataclass(frozen=True)
class SourceInfo:
    decision: Optional[str]
    url: Optional[str]
    reviewed: Optional[date]
    reviewer: Optional[str]


@dataclass(frozen=True)
class ProcedureCard:
    code: str
    name: str
    official_name: str
    field: str
    level: Optional[str]
    aliases: tuple[str, ...]
    applicants: Optional[str]
    conditions: Optional[str]
    steps: tuple[str, ...]
    results: tuple[str, ...]
    legal_basis: tuple[LegalRef, ...]
    documents: tuple[DocumentItem, ...]
    channels: tuple[ChannelInfo, ...]
    source: SourceInfo
    status: str
    review_flags: tuple[ReviewFlag, ...]
    parse_warnings: tuple[str, ...] = ()
    site_ids: Optional[tuple[str, ...]] = None  # procedure-specific sites (overrides field routing)
    colloquial: tuple[str, ...] = ()  # colloquial names from knowledge/data/colloquial.yml (also search aliases)

    def open_flags(self, facet: Optional[str] = None) -> tuple[ReviewFlag, ...]:
        """Open review flags, only those concerning `facet` when one is given."""
        return tuple(f for f in self.review_flags if f.is_open and (facet is None or f.concerns(facet)))


Interval = tuple[time, time]


@dataclass(frozen=True)
class SiteInfo:
    id: str
    name: str
    address: Optional[str]
    phone: Optional[str]
    fields: tuple[str, ...]
    hours: dict  # weekday 0=Monday..6=Sunday -> tuple of (open, close) `datetime.time` pairs

    def __hash__(self) -> int:  # dict field: hash by identity of the site id
        return hash(self.id)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True)
class Closure:
    site_id: Optional[str]  # None = every site
    start: datetime  # local time, naive
    end: datetime
    reason: Optional[str]


@dataclass(frozen=True)
class WardInfo:
    name: str
    province: Optional[str]
    hotline: Optional[str]
    email: Optional[str]
    national_portal: Optional[str]
    vneid: bool
    sample: bool
    sites: tuple[SiteInfo, ...]
    holidays: tuple[Holiday, ...] = field(default_factory=tuple)
    closures: tuple[Closure, ...] = field(default_factory=tuple)
    popular: Optional[tuple[str, ...]] = None


def to_jsonable(value: Any) -> Any:
    """Dataclasses → JSON-friendly dicts (dates as ISO strings, hours as "HH:MM")."""
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value
