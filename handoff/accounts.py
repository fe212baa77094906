"""Staff accounts of the clerk page and the operators' tools: one login per person, two roles, server-side sessions.

- Passwords are hashed with scrypt from Python's standard library (`hashlib.scrypt`, a memory-hard function; no
  password-hashing library is installed): a random 16-byte salt per password, parameters stored with the hash
  (`scrypt$N$r$p$salt$hash`, base64) so they can be raised later, checked in constant time. An unknown name costs
  the same hash as a known one, so timing does not tell which names exist.
- A session is a random token (256 bits) the browser keeps in an HttpOnly cookie; the table keeps only its
  SHA-256, the account and an expiry. Logging out deletes it; disabling an account deletes all of its sessions, so a
  disabled person is out at once, on every replica.
- Roles: `clerk` (answers citizens on the clerk page) and `operator` (also manages data and accounts).

Tables `conv_staff_users` and `conv_staff_sessions` (Alembic branch `conversations`, migration cv0003).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.engine import Engine

from handoff.store import Base

ROLE_CLERK = "clerk"
ROLE_OPERATOR = "operator"
ROLES = (ROLE_CLERK, ROLE_OPERATOR)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1  # 32 MiB and about 0.1 s per check on the 2-core reference machine
_SCRYPT_MAXMEM = 256 * 1024 * 1024


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message is for the person at the terminal (Vietnamese)."""


class StaffUserRow(Base):
    __tablename__ = "conv_staff_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False, unique=True)
    role = Column(String(16), nullable=False)
    password_hash = Column(String(256), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    disabled_at = Column(DateTime(timezone=True), nullable=True)


class StaffSessionRow(Base):
    __tablename__ = "conv_staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("conv_staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime
    disabled_at: Optional[datetime]

    @property
    def is_operator(self) -> bool:
        return self.role == ROLE_OPERATOR


def _user(row: StaffUserRow) -> StaffUser:
    return StaffUser(row.id, row.name, row.role, bool(row.active), _aware(row.created_at),
                     _aware(row.disabled_at) if row.disabled_at else None)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def normalise_name(name: str) -> str:
    return (name or "").strip().lower()


def check_name(name: str) -> str:
    value = normalise_name(name)
    if not _NAME.match(value):
        raise AccountError("Tên đăng nhập gồm 2–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.")
    return value


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"Mật khẩu dài quá {MAX_PASSWORD_CHARS} ký tự.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32)
    return "$".join(("scrypt", str(n), str(r), str(p), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        given = hashlib.scrypt(str(password)[:MAX_PASSWORD_CHARS].encode("utf-8"), salt=base64.b64decode(salt),
                               n=int(n), r=int(r), p=int(p), maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# An unknown name is checked against this hash, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = "scrypt$32768$8$1$" + _b64(b"thutuc-no-user!!") + "$" + _b64(b"\0" * 32)


class AccountStore:
    """Accounts and sessions; every method is one short transaction (callers on an event loop use run_blocking)."""

    def __init__(self, engine: Engine, session_lifetime: timedelta = timedelta(hours=12)) -> None:
        from base.db import migrate, session_factory

        migrate(engine=engine)
        self._sessions = session_factory(engine)
        self.session_lifetime = session_lifetime

    @classmethod
    def from_settings(cls) -> "AccountStore":
        from base.db import get_engine
        from base.settings import get_settings

        return cls(get_engine(), timedelta(hours=get_settings().staff_session_hours))

    # ------------------------------------------------------------------------------------------- accounts
    def add_user(self, name: str, role: str, password: str) -> StaffUser:
        name = check_name(name)
        if role not in ROLES:
            raise AccountError("Vai trò phải là clerk (cán bộ) hoặc operator (quản trị).")
        password_hash = hash_password(password)
        with self._sessions.begin() as session:
            if session.execute(select(StaffUserRow).where(StaffUserRow.name == name)).scalars().first() is not None:
                raise AccountError(f"Đã có tài khoản {name}.")
            row = StaffUserRow(name=name, role=role, password_hash=password_hash, active=True, created_at=_now())
            session.add(row)
            session.flush()
            return _user(row)

    def set_active(self, name: str, active: bool) -> Optional[StaffUser]:
        """Disable (every session ends at once) or enable an account; None when there is no such account."""
        with self._sessions.begin() as session:
            row = session.execute(select(StaffUserRow).where(StaffUserRow.name == normalise_name(name))).scalars().first()
            if row is None:
                return None
            row.active = active
            row.disabled_at = None if active else _now()
            if not active:
                session.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == row.id))
            return _user(row)

    def set_password(self, name: str, password: str) -> Optional[StaffUser]:
        password_hash = hash_password(password)
        with self._sessions.begin() as session:
            row = session.execute(select(StaffUserRow).where(StaffUserRow.name == normalise_name(name))).scalars().first()
            if row is None:
                return None
            row.password_hash = password_hash
            session.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == row.id))
            return _user(row)

    def list_users(self) -> list[StaffUser]:
        with self._sessions() as session:
            return [_user(r) for r in session.execute(select(StaffUserRow).order_by(StaffUserRow.name)).scalars()]

    def has_active_operator(self) -> bool:
        with self._sessions() as session:
            query = select(StaffUserRow.id).where(StaffUserRow.role == ROLE_OPERATOR, StaffUserRow.active.is_(True))
            return session.execute(query.limit(1)).first() is not None

    def authenticate(self, name: str, password: str) -> Optional[StaffUser]:
        """The account when name and password match an active account, else None (same cost either way)."""
        with self._sessions() as session:
            row = session.execute(select(StaffUserRow).where(StaffUserRow.name == normalise_name(name))).scalars().first()
            user, stored = (_user(row), row.password_hash) if row is not None else (None, _DUMMY_HASH)
        matches = verify_password(password, stored)
        if user is None or not matches or not user.active:
            return None
        return user

    # ------------------------------------------------------------------------------------------- sessions
    def open_session(self, user: StaffUser) -> str:
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._sessions.begin() as session:
            session.execute(delete(StaffSessionRow).where(StaffSessionRow.expires_at < now))
            session.add(StaffSessionRow(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                                        expires_at=now + self.session_lifetime))
        return token

    def session_user(self, token: Optional[str]) -> Optional[StaffUser]:
        """The active account a live session token belongs to, else None."""
        if not token or len(token) > 128:
            return None
        with self._sessions() as session:
            found = session.execute(
                select(StaffSessionRow, StaffUserRow).join(StaffUserRow, StaffUserRow.id == StaffSessionRow.user_id)
                .where(StaffSessionRow.token_hash == _token_hash(token))
            ).first()
        if found is None:
            return None
        session_row, user_row = found
        if _aware(session_row.expires_at) <= _now() or not user_row.active:
            return None
        return _user(user_row)

    def close_session(self, token: Optional[str]) -> None:
        if not token:
            return
        with self._sessions.begin() as session:
            session.execute(delete(StaffSessionRow).where(StaffSessionRow.token_hash == _token_hash(token)))
