"""Shape bot replies for Zalo: at most 2,000 characters per message, at most 5 buttons per message.

Long answers are split where a reader expects a break (paragraph, line, sentence, word) rather than mid-word, and
options beyond the fifth become a numbered list the user answers by number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

MAX_TEXT_CHARS = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE_CHARS = 100
MORE_OPTIONS_HEADER = "Các lựa chọn khác (nhắn số thứ tự để chọn):"

# From the coarsest to the finest break, with the text used to glue pieces back together.
_BREAKS = (
    (re.compile(r"\n[ \t]*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?…;:])\s+"), " "),
    (re.compile(r"\s+"), " "),
)


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> List[str]:
    """Pieces of at most `limit` characters, cut on the coarsest boundary that fits."""
    return _split(text or "", limit, 0)


def _split(text: str, limit: int, level: int) -> List[str]:
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    if level >= len(_BREAKS):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    pattern, glue = _BREAKS[level]
    chunks: List[str] = []
    current = ""
    for part in pattern.split(text):
        part = part.strip()
        if not part:
            continue
        if len(part) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split(part, limit, level + 1))
            continue
        candidate = f"{current}{glue}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = part
    if current:
        chunks.append(current)
    return chunks


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class ButtonMessage:
    text: str
    zalo_buttons: List[Dict[str, Any]] = field(default_factory=list)
    # Payload of option n at index n-1, so a reply "n" can be mapped back to what the button would have sent.
    numbered_payloads: List[str] = field(default_factory=list)


def build_button_message(text: str, buttons: Sequence[Dict[str, Any]]) -> ButtonMessage:
    """Rasa buttons → Zalo template buttons (first five) + numbered list for the rest."""
    options = []
    for button in buttons or []:
        title = clip(button.get("title") or button.get("payload") or "", MAX_BUTTON_TITLE_CHARS)
        if not title:
            continue
        options.append((title, button))
    zalo_buttons: List[Dict[str, Any]] = []
    payloads: List[str] = []
    for title, button in options:
        url = button.get("url")
        payload = str(button.get("payload") or title)
        payloads.append(payload if not url else "")
        if len(zalo_buttons) >= MAX_BUTTONS:
            continue
        if url and str(url).startswith(("https://", "http://")):
            zalo_buttons.append({"title": title, "type": "oa.open.url", "payload": {"url": str(url)}})
        else:
            zalo_buttons.append({"title": title, "type": "oa.query.hide", "payload": payload})
    body = (text or "").strip()
    extra = options[MAX_BUTTONS:]
    if extra:
        lines = [f"{index}. {title}" for index, (title, _) in enumerate(extra, start=MAX_BUTTONS + 1)]
        body = "\n\n".join(part for part in (body, MORE_OPTIONS_HEADER + "\n" + "\n".join(lines)) if part)
    return ButtonMessage(text=body, zalo_buttons=zalo_buttons, numbered_payloads=payloads)
