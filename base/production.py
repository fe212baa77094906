"""The production profile (THUTUC_ENV=production): refuse to start with a setting that is only safe on a laptop.

Every process checks it when it starts (`thutuc run`, the Rasa server, the action server), so a missing or
development value stops the service with one message that names each offending setting, instead of a public
assistant that quietly uses a published salt. Messages name settings, never their values.
"""
from __future__ import annotations

import ipaddress
from typing import Optional

from base.settings import Settings, get_settings

MIN_SECRET_CHARS = 16
# Values shipped in base/settings.py for development; public, so never acceptable in production.
DEVELOPMENT_VALUES = {
    "DOSSIER_CONTACT_SALT": "thutuc-development-salt",
    "THUTUC_CLIENT_KEY_SECRET": "thutuc-development-client-key",
}


class UnsafeProductionSettings(RuntimeError):
    """THUTUC_ENV=production with settings that are unsafe; `problems` names each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"THUTUC_ENV=production refuses to start:\n{lines}\nSee docs/security.md (\"Secrets\").")


def _secret(value: object) -> Optional[str]:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else str(value)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name that is not localhost: assume it can be reached from elsewhere


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe in production (empty when they are fine, or when not in production)."""
    if not settings.is_production:
        return []
    problems: list[str] = []
    required = {
        "DOSSIER_CONTACT_SALT": settings.dossier_contact_salt,
        "THUTUC_CLIENT_KEY_SECRET": settings.client_key_secret,
        "THUTUC_WEBCHAT_SECRET": _secret(settings.webchat_secret),
        "RASA_API_TOKEN": settings.rasa_api_token,
        "THUTUC_DATA_KEY": _secret(settings.data_key),
    }
    for name, value in required.items():
        if not value:
            problems.append(f"{name} is not set")
        elif DEVELOPMENT_VALUES.get(name) == value:
            problems.append(f"{name} is the public development value")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters")
    if not _is_loopback(settings.action_bind_host):
        secret = settings.action_secret
        if not secret:
            problems.append(f"THUTUC_ACTION_BIND_HOST is {settings.action_bind_host!r} (beyond loopback) but "
                            "THUTUC_ACTION_SECRET is not set")
        elif len(secret) < MIN_SECRET_CHARS:
            problems.append(f"THUTUC_ACTION_SECRET is shorter than {MIN_SECRET_CHARS} characters")
    if settings.zalo_app_id and not settings.zalo_oa_secret_key:
        problems.append("ZALO_APP_ID is set but ZALO_OA_SECRET_KEY is not: Zalo webhooks could not be verified")
    if settings.zalo_app_id and not settings.zalo_app_secret:
        problems.append("ZALO_APP_ID is set but ZALO_APP_SECRET is not: access tokens could not be refreshed")
    return problems


def check_production(settings: Optional[Settings] = None) -> None:
    """Raise UnsafeProductionSettings when THUTUC_ENV=production and any setting is unsafe."""
    problems = production_problems(settings or get_settings())
    if problems:
        raise UnsafeProductionSettings(problems)


def exit_if_unsafe(settings: Optional[Settings] = None) -> None:
    """For a process's entry point: print the refusal on stderr and exit with status 2."""
    import sys

    try:
        check_production(settings)
    except UnsafeProductionSettings as refusal:
        print(refusal, file=sys.stderr)
        raise SystemExit(2) from None
