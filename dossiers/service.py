"""The dossier status service: what the conversation (and the clerk CLI) may ask of the store.

Citizen-facing methods return `DossierView`s, which by construction carry no contact data. A lookup is two steps:
`lookup()` says only whether the code exists (and remembers it for the sender, server-side, so the code never needs
to live in conversation slots); `verify()` checks the second factor and unlocks `verified_view()`. Failed lookups and
wrong second factors count against the limits of `dossiers.ratelimit` (per sender, per client, per receipt code and a
global budget). Every method is blocking (SQL, Redis, the provincial API): async callers use `base.blocking`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from base.clients import UNKNOWN_CLIENT
from base.ratelimit import WindowState
from dossiers.codes import find_receipt_codes
from dossiers.contact import last_four_digits, matches
from dossiers.external import ExternalDossierSource, SourceUnavailable
from dossiers.feed import FeedValidation, validate_record
from dossiers.models import Dossier
from dossiers.ratelimit import CodeLock, LookupLimits, longest_block
from dossiers.states import DossierState
from dossiers.push import can_push
from dossiers.store import DossierStore, utcnow

logger = logging.getLogger(__name__)


class Outcome(str, Enum):
    FOUND = "found"
    UNKNOWN = "unknown"
    MALFORMED = "malformed"
    NO_CODE = "no_code"
    BLOCKED = "blocked"  # the sender or the client waits (too many failures)
    LOCKED = "locked"  # the receipt code is locked for chat lookups (too many wrong second factors, any sender)
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
    limit: Optional[WindowState] = None
    delay_s: float = 0.0  # > 0 while the global failure budget is spent: the caller waits this long before answering


@dataclass(frozen=True)
class VerifyResult:
    outcome: Outcome
    view: Optional[DossierView] = None
    limit: Optional[WindowState] = None
    delay_s: float = 0.0


class DossierService:
    def __init__(self, store: DossierStore, limits: LookupLimits, *, salt: str, tz_name: str = "Asia/Ho_Chi_Minh",
                 external: Optional[ExternalDossierSource] = None, lookup_ttl_s: int = 1800,
                 clock: Callable[[], datetime] = utcnow):
        self.store, self.limits, self.salt, self.external = store, limits, salt, external
        self.tz = ZoneInfo(tz_name)
        self.lookup_ttl = timedelta(seconds=lookup_ttl_s)
        self.clock = clock

    # --- step 1: does the code exist? -------------------------------------------------------------------------

    def lookup(self, sender_id: str, text: str, client: str = UNKNOWN_CLIENT) -> LookupResult:
        """Find the code in `text` (free text or a bare code). Says nothing about the dossier beyond "found"."""
        gate = self.limits.gate(sender_id, client)
        delay = gate.delay_s
        if gate.block is not None:
            return LookupResult(Outcome.BLOCKED, limit=gate.block, delay_s=delay)
        search = find_receipt_codes(text, today=self.local_now().date())
        if search.code is None:
            if search.malformed:
                return LookupResult(Outcome.MALFORMED, reason=search.reason, delay_s=delay)
            return LookupResult(Outcome.NO_CODE, delay_s=delay)
        code = search.code
        attempt = self.limits.begin_lookup(sender_id, client)  # counted as unknown until the store says otherwise
        raced = self.limits.raced(attempt)
        if raced is not None:
            self.limits.discard(attempt)
            return LookupResult(Outcome.BLOCKED, limit=raced, delay_s=delay)
        try:
            dossier = self._find(code)
        except SourceUnavailable:
            self.limits.discard(attempt)  # our outage does not count against the citizen
            return LookupResult(Outcome.UNAVAILABLE, receipt_code=code, delay_s=delay)
        if dossier is None:
            sender = self.limits.state_of(attempt, self.limits.config.sender)
            unknown = self.limits.state_of(attempt, self.limits.config.client_unknown)
            return LookupResult(Outcome.UNKNOWN, receipt_code=code, limit=longest_block(sender, unknown) or sender,
                                delay_s=delay)
        self.limits.discard(attempt)
        if not dossier.contact_hash:
            return LookupResult(Outcome.NO_FACTOR, receipt_code=code, delay_s=delay)
        if self.limits.code_locked(code):
            return LookupResult(Outcome.LOCKED, receipt_code=code, delay_s=delay)
        self.store.remember_lookup(sender_id, dossier.id, self.clock())
        return LookupResult(Outcome.FOUND, receipt_code=code, limit=gate.sender, delay_s=delay)

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

    def verify(self, sender_id: str, text: str, client: str = UNKNOWN_CLIENT) -> VerifyResult:
        """Check the last 4 phone digits against the sender's found dossier.

        A locked code gets LOCKED whatever the digits: they are not even compared, so the answer says nothing about
        them. The attempt is counted as a failure before the comparison and discarded only when the digits match.
        """
        gate = self.limits.gate(sender_id, client)
        delay = gate.delay_s
        if gate.block is not None:
            return VerifyResult(Outcome.BLOCKED, limit=gate.block, delay_s=delay)
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None:
            return VerifyResult(Outcome.EXPIRED, delay_s=delay)
        dossier, _ = current
        config = self.limits.config
        attempt = self.limits.begin_factor(sender_id, client, dossier.receipt_code)
        code = self.limits.state_of(attempt, config.code)
        if code is not None and code.over:  # locked before this attempt (or a racing replica filled it)
            self.limits.discard(attempt)
            self.store.forget_lookup(sender_id)
            return VerifyResult(Outcome.LOCKED, delay_s=delay)
        raced = self.limits.raced(attempt)
        if raced is not None:
            self.limits.discard(attempt)
            self.store.forget_lookup(sender_id)
            return VerifyResult(Outcome.BLOCKED, limit=raced, delay_s=delay)
        last4 = last_four_digits(text)
        if last4 is not None and matches(dossier.contact_hash, dossier.receipt_code, last4, self.salt):
            self.limits.discard(attempt)
            self.store.mark_verified(sender_id, self.clock())
            return VerifyResult(Outcome.VERIFIED, view=DossierView.of(dossier), delay_s=delay)
        # A failure: the attempt stays counted.
        if code is not None and code.blocked:
            self.store.forget_lookup(sender_id)
            return VerifyResult(Outcome.LOCKED, delay_s=delay)
        sender = self.limits.state_of(attempt, config.sender)
        client_state = self.limits.state_of(attempt, config.client_failures)
        block = longest_block(sender, client_state)
        if block is not None:
            self.store.forget_lookup(sender_id)
            return VerifyResult(Outcome.BLOCKED, limit=block, delay_s=delay)
        tightest = min((state for state in (sender, client_state, code) if state is not None),
                       key=lambda state: state.remaining)
        return VerifyResult(Outcome.WRONG_FACTOR, limit=tightest, delay_s=delay)

    def verified_view(self, sender_id: str) -> Optional[DossierView]:
        """The current state of the dossier this sender verified recently (fresh from the store), else None.

        None too when the code was locked meanwhile: a lock holds for every chat lookup, also a verified one.
        """
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None or not current[1]:
            return None
        if self.limits.code_locked(current[0].receipt_code):
            return None
        return DossierView.of(current[0])

    def sender_failures(self, sender_id: str) -> int:
        """Failures counted against this sender id in its window."""
        return self.limits.gate(sender_id, UNKNOWN_CLIENT).sender.count

    # --- notifications ------------------------------------------------------------------------------------------

    def subscribe(self, sender_id: str, channel: str) -> tuple[Optional[str], bool]:
        """Subscribe the sender to their verified dossier: (code, newly_created); (None, False) if not verified.

        Only on a channel that can deliver a push (`can_push`); the caller says so politely on the others."""
        if not can_push(channel):
            raise ValueError(f"channel {channel!r} cannot deliver notifications")
        current = self.store.current_lookup(sender_id, self.lookup_ttl, self.clock())
        if current is None or not current[1]:
            return None, False
        dossier = current[0]
        created = self.store.subscribe(dossier.id, sender_id, channel, self.clock())
        return dossier.receipt_code, created

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
        lock = self.limits.code_lock(dossier.receipt_code)
        record["lock"] = {"locked": lock.locked, "failures": lock.failures, "limit": lock.limit,
                          "window_s": lock.window_s, "since": self.local_time(lock.since),
                          "until": self.local_time(lock.until)}
        record["history"] = [
            {"state": change.state, "previous_state": change.previous_state, "changed_at": change.changed_at,
             "source": change.source}
            for change in self.store.history(dossier.id)
        ]
        return record

    def code_lock(self, code: str) -> CodeLock:
        return self.limits.code_lock(code)

    def unlock(self, code: str) -> CodeLock:
        """Lift the chat lock of a receipt code (a clerk saw the citizen); returns the lock as it was."""
        before = self.limits.code_lock(code)
        self.limits.unlock(code)
        return before

    def local_time(self, epoch: Optional[float]) -> Optional[datetime]:
        """Epoch seconds as naive local time (like dossier dates), None stays None."""
        if epoch is None:
            return None
        return datetime.fromtimestamp(epoch, timezone.utc).astimezone(self.tz).replace(tzinfo=None, microsecond=0)

    def local_now(self) -> datetime:
        """Now as naive local time (dossier dates are stored that way)."""
        return self.clock().replace(tzinfo=timezone.utc).astimezone(self.tz).replace(tzinfo=None)


def build_service(settings=None, store: Optional[DossierStore] = None) -> DossierService:
    """The service as configured by settings (database, limits in Redis or the database, optional provincial source)."""
    from dossiers.external import make_external_source
    from dossiers.ratelimit import make_lookup_limits

    if settings is None:
        from base.settings import get_settings

        settings = get_settings()
    store = store or DossierStore(settings.database_url)
    return DossierService(
        store,
        make_lookup_limits(settings, engine=store.engine),
        salt=settings.dossier_contact_salt,
        tz_name=settings.timezone,
        external=make_external_source(settings),
        lookup_ttl_s=settings.dossier_lookup_ttl_s,
    )
