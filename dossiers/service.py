"""The dossier status service: what the conversation (and the clerk CLI) may ask of the store.

Citizen-facing methods return `DossierView`s, which by construction carry no contact data. A lookup is two steps:
`lookup()` says only whether the code exists (and remembers it for the sender, server-side, so the code never needs
to live in conversation slots); `verify()` checks the second factor and unlocks `verified_view()`. Failed lookups and
wrong second factors count against the sender's rate limit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from dossiers.codes import find_receipt_codes
from dossiers.contact import last_four_digits, matches
from dossiers.external import ExternalDossierSource, SourceUnavailable
from dossiers.feed import FeedValidation, validate_record
from dossiers.models import Dossier
from dossiers.ratelimit import LimitState, RateLimiter
from dossiers.states import DossierState
from dossiers.store import DossierStore, PendingNotification, utcnow

logger = logging.getLogger(__name__)


class Outcome(str, Enum):
    FOUND = "found"
    UNKNOWN = "unknown"
    MALFORMED = "malformed"
    NO_CODE = "no_code"
    BLOCKED = "blocked"
    UNAVAILABLE = "unavailable"
    NO_FACTOR = "no_factor"  # the dossier has no contact hash: it cannot be verified by chat
    VERIFIED = "verified"
    WRONG_FACTOR = "wrong_factor"
    EXPIRED = "expired"  # second factor given but no recent lookup


@dataclass(frozen=True)
class DossierView:
    """What a verified citizen may see. No names, ID numbers, phones or addresses exist in here."""

    receipt_code: str
    procedure_code: Optional[str]
    state: DossierState
    received_at: Optional[datetime]
    due_at: Optional[datetime]
    completed_at: Optional[datetime]
    returned_at: Optional[datetime]
    pickup_from: Optional[datetime]
    supplement: Optional[str]
    fee_due: Optional[int]
    fee_note: Optional[str]
    site: Optional[str]

    @classmethod
    def of(cls, dossier: Dossier) -> "DossierView":
        values = {f.name: getattr(dossier, f.name) for f in fields(cls) if f.name != "state"}
        return cls(state=DossierState(dossier.state), **values)


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    receipt_code: Optional[str] = None
    reason: Optional[str] = None  # why a code is malformed (Vietnamese)
    limit: Optional[LimitState] = None


@dataclass(frozen=True)
class VerifyResult:
    outcome: Outcome
    view: Optional[DossierView] = None
    limit: Optional[LimitState] = None


class DossierService:
    def __init__(self, store: DossierStore, limiter: RateLimiter, *, salt: str, tz_name: str = "Asia/Ho_Chi_Minh",
                 external: Optional[ExternalDossierSource] = None, lookup_ttl_s: int = 1800,
                 clock: Callable[[], datetime] = utcnow):
        self.store, self.limiter, self.salt, self.external = store, limiter, salt, external
        self.tz = ZoneInfo(tz_name)
        self.lookup_ttl = timedelta(seconds=lookup_ttl_s)
        self.clock = clock

    # --- step 1: does the code exist? -------------------------------------------------------------------------

    def lookup(self, sender_id: str, text: str) -> LookupResult:
        """Find the code in `text` (free text or a bare code). Says nothing about the dossier beyond "found"."""
        limit = self.limiter.state(sender_id)
        if limit.blocked:
            return LookupResult(Outcome.BLOCKED, limit=limit)
        search = find_receipt_codes(text, today=self.local_now().date())
        if search.code is None:
            if search.malformed:
                return LookupResult(Outcome.MALFORMED, reason=search.reason)
            return LookupResult(Outcome.NO_CODE)
        code = search.code
        try:
            dossier = self._find(code)
        except SourceUnavailable:
            return LookupResult(Outcome.UNAVAILABLE, receipt_code=code)
        if dossier is None:
            limit = self.limiter.record_failure(sender_id)
            return LookupResult(Outcome.UNKNOWN, receipt_code=code, limit=limit)
        if not dossier.contact_hash:
            return LookupResult(Outcome.NO_FACTOR, receipt_code=code)
        self.store.remember_lookup(sender_id, dossier.id, self.clock())
        return LookupResult(Outcome.FOUND, receipt_code=code, limit=limit)

    def _find(self, code: str) -> Optional[Dossier]:
        """Local store first; else the provincial source (its record is stored, minus personal data)."""
        dossier = self.store.get(code)
        if dossier is not None or self.external is None:
            return dossier
        raw = self.external.fetch(code)
        if raw is None:
            return None
        result = FeedValidation()
        record = validate_record(raw, 1, salt=self.salt, tz=self.tz, result=result)
        if record is None or record.receipt_code != code:
            logger.warning("provincial dossier source returned an unusable record (%d problems)", len(result.errors))
            raise SourceUnavailable("invalid record")
        self.store.apply([record], source="external")
        return self.store.get(code)

    # --- step 2: the second factor ------------------------------------------------------------------------------

    def verify(self, sender_id: str, text: str) -> VerifyResult:
        """Check the last 4 phone digits against the sender's found dossier."""
        limit = self.limiter.state(sender_id)
        if limit.blocked:
            return VerifyResult(Outcome.BLOCKED, limit=limit)
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None:
            return VerifyResult(Outcome.EXPIRED)
        dossier, _ = current
        last4 = last_four_digits(text)
        if last4 is None or not matches(dossier.contact_hash, dossier.receipt_code, last4, self.salt):
            limit = self.limiter.record_failure(sender_id)
            if limit.blocked:
                self.store.forget_lookup(sender_id)
                return VerifyResult(Outcome.BLOCKED, limit=limit)
            return VerifyResult(Outcome.WRONG_FACTOR, limit=limit)
        self.store.mark_verified(sender_id, self.clock())
        return VerifyResult(Outcome.VERIFIED, view=DossierView.of(dossier))

    def verified_view(self, sender_id: str) -> Optional[DossierView]:
        """The current state of the dossier this sender verified recently (fresh from the store), else None."""
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None or not current[1]:
            return None
        return DossierView.of(current[0])

    def limit_state(self, sender_id: str) -> LimitState:
        return self.limiter.state(sender_id)

    # --- notifications ------------------------------------------------------------------------------------------

    def subscribe(self, sender_id: str, channel: str) -> tuple[Optional[str], bool]:
        """Subscribe the sender to their verified dossier: (code, newly_created); (None, False) if not verified."""
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None or not current[1]:
            return None, False
        dossier = current[0]
        created = self.store.subscribe(dossier.id, sender_id, channel or "rest", self.clock())
        return dossier.receipt_code, created

    def take_notifications(self, sender_id: str) -> list[PendingNotification]:
        """Notifications the notifier is delivering to this sender right now (each returned once)."""
        return self.store.take_sending_for(sender_id, self.clock())

    # --- clerk ------------------------------------------------------------------------------------------------

    def clerk_record(self, code: str) -> Optional[dict[str, Any]]:
        """The full stored record and history for the clerk CLI (never wired to a citizen channel)."""
        dossier = self.store.get(code)
        if dossier is None:
            return None
        view = DossierView.of(dossier)
        record = {f.name: getattr(view, f.name) for f in fields(view)}
        record["state"] = int(view.state)
        record["has_contact"] = bool(dossier.contact_hash)
        record["source"] = dossier.source
        record["updated_at"] = dossier.updated_at
        record["history"] = [
            {"state": change.state, "previous_state": change.previous_state, "changed_at": change.changed_at,
             "source": change.source}
            for change in self.store.history(dossier.id)
        ]
        return record

    def local_now(self) -> datetime:
        """Now as naive local time (dossier dates are stored that way)."""
        return self.clock().replace(tzinfo=timezone.utc).astimezone(self.tz).replace(tzinfo=None)


def build_service(settings=None, store: Optional[DossierStore] = None) -> DossierService:
    """The service as configured by settings (database, Redis or SQL limiter, optional provincial source)."""
    from dossiers.external import make_external_source
    from dossiers.ratelimit import make_rate_limiter

    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    store = store or DossierStore(settings.database_url)
    return DossierService(
        store,
        make_rate_limiter(store, settings),
        salt=settings.dossier_contact_salt,
        tz_name=settings.timezone,
        external=make_external_source(settings),
        lookup_ttl_s=settings.dossier_lookup_ttl_s,
    )
