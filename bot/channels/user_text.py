"""The one length cap for citizens' text, applied by every channel before anything else reads it.

Masking, tokenising, logging and the tracker store all run on the text Rasa receives; capping it here, at the
channel, bounds the work each of them can be made to do (docs/channels.md, "Bounds"). A longer text is cut to the
cap and handled like any other message: the first 2,000 characters of a question carry its meaning.
"""
from __future__ import annotations

import unicodedata
from typing import Optional

from base.settings import get_settings


def bounded_text(text: str, limit: Optional[int] = None) -> str:
    """`text` cut to `max_message_chars` (before and after NFC, which may lengthen a text), normalised, stripped."""
    cap = limit if limit is not None else get_settings().max_message_chars
    return unicodedata.normalize("NFC", text[:cap])[:cap].strip()
