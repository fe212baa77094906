"""Masking of personal data in logs, stored conversations and anything else written down.

Rules (docs/dossiers.md, "Privacy"): receipt codes keep their agency part and last two digits
(`H15.50-******-**35`), so a clerk can still tell dossiers apart; e-mail addresses (`****@****`), phone numbers,
9/12-digit ID numbers (CMND/CCCD) and any standalone group of four digits (the last-4 phone digits given as the second factor) are replaced entirely.
Digits inside URLs' host:port and national procedure codes (`1.001193`) stay readable.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "****"

# Order matters: alternatives are tried left to right at each position. Every alternative is linear-time on any
# input (tests/security/test_linear_time.py): an unbounded run may only start where the run itself starts (the
# lookbehinds), and repetitions that could restart at every position are bounded.
_PATTERN = re.compile(
    r"(?P<url>(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{0,31}://[^\s/'\"]+)"
    r"|(?P<email>(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}(?![\w\-]))"
    r"|(?P<code>(?<![A-Za-z0-9.])(?P<agency>(?:[A-Za-z]\d{2}|\d{2,3})(?:\.(?:[A-Za-z]\d{2}|\d{2,3})){0,3})"
    r"(?P<sep1>[\s_\-–—]{0,3})(?P<date>\d{6})(?P<sep2>[\s_\-–—]{0,3})(?P<seq>\d{4})(?![A-Za-z0-9]))"
    r"|(?P<proc>(?<![\w.])\d{1,2}\.\d{6}(?![\w.]))"  # national procedure codes (1.001193) are not personal
    r"|(?P<phone>(?<![\w])(?<!\d[\s.\-])\+?\d(?:[\s.\-]?\d){8,}(?![\w]))"  # starts only where the run starts
    r"|(?P<digits>(?<![\w])\d{4,}(?![\w]))",
    re.IGNORECASE,
)
EMAIL_MASK = f"{MASK}@{MASK}"


def _replace(match: re.Match) -> str:
    if match["url"] or match["proc"]:
        return match.group(0)
    if match["email"]:
        return EMAIL_MASK
    if match["code"]:
        if not re.search(r"[A-Za-z.]", match["agency"]):
            return MASK  # a bare digit run is a phone/ID number, not a receipt code
        return f"{match['agency']}-******-**{match['seq'][-2:]}"
    return MASK


def mask_text(text: str) -> str:
    """Receipt codes partially; e-mail addresses, phone/ID numbers and 4+ digit groups fully."""
    if not text:
        return text
    return _PATTERN.sub(_replace, text)


def mask_receipt_code(code: str) -> str:
    """`H15.50-251203-2035` → `H15.50-******-**35` (what logs, stored slots and notifications show)."""
    agency, _, rest = code.partition("-")
    return f"{agency}-******-**{rest[-2:]}" if rest else MASK


def _replace_long_numbers(match: re.Match) -> str:
    if match["phone"] or (match["code"] and not re.search(r"[A-Za-z.]", match["agency"])):
        return MASK
    return match.group(0)


def scrub_reply(text: str) -> str:
    """Last line of defence on citizen replies: phone and ID numbers (9+ digits) never leave; receipt codes, dates,
    amounts, URLs and e-mail addresses (replies give the ward's own) stay as they are."""
    return _PATTERN.sub(_replace_long_numbers, text) if text else text


def mask_value(value: Any) -> Any:
    """Mask strings inside nested JSON-like structures (slot values, entities, metadata)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(mask_value(item) for item in value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    return value


class MaskingFilter(logging.Filter):
    """Rewrites each record's message (and pre-formats its traceback) masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_thutuc_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the record
        message = str(record.msg)
    record.msg = mask_text(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    record._thutuc_masked = True
    return record


_install_lock = threading.Lock()
_installed = False


def install_log_masking() -> None:
    """Mask every log record of this process, whoever logs it and whichever handler writes it.

    The record factory masks records as they are created (also for handlers added later, e.g. by Rasa's own logging
    set-up or pytest's caplog); the filter on the root handlers covers records made before installation. Idempotent.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous_factory = logging.getLogRecordFactory()

        def masked_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_record(previous_factory(*args, **kwargs))

        logging.setLogRecordFactory(masked_factory)
        for handler in logging.getLogger().handlers:
            handler.addFilter(MaskingFilter())
        _installed = True
