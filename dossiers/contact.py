"""The applicant's second factor, kept as a salted hash of the last four phone digits and nothing else."""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Optional

_NON_DIGITS = re.compile(r"\D+")


def last_four_digits(phone: str) -> Optional[str]:
    """The last 4 digits of a phone number (or of exactly 4 digits typed); None when fewer than 4 digits."""
    digits = _NON_DIGITS.sub("", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


def contact_hash(receipt_code: str, last4: str, salt: str) -> str:
    """Bound to the receipt code so equal digits on two dossiers do not hash alike."""
    message = f"{receipt_code}:{last4}".encode("utf-8")
    return hmac.new(salt.encode("utf-8"), message, hashlib.sha256).hexdigest()


def matches(stored_hash: Optional[str], receipt_code: str, last4: str, salt: str) -> bool:
    if not stored_hash or not last4:
        return False
    return hmac.compare_digest(stored_hash, contact_hash(receipt_code, last4, salt))
