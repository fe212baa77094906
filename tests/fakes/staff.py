"""Staff accounts the server-backed tests log in with (created in the servers' project database)."""
from __future__ import annotations

STAFF = {"lan": ("clerk", "mat-khau-cua-lan-42"), "minh": ("operator", "mat-khau-cua-minh-42")}


def ensure_staff(database_url: str) -> None:
    from base.db import get_engine
    from handoff.accounts import AccountStore

    store = AccountStore(get_engine(database_url))
    existing = {user.name for user in store.list_users()}
    for name, (role, password) in STAFF.items():
        if name not in existing:
            store.add_user(name, role, password)


def password_of(name: str) -> str:
    return STAFF[name][1]
