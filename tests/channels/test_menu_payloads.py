"""The menus the channels show on their own must trigger intents the bot actually has."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.channels import texts

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def domain_intents() -> set[str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def test_zalo_follow_menu_payloads_are_domain_intents():
    payloads = [button["payload"] for button in texts.ZALO_FOLLOW_MENU]
    assert len(payloads) <= 5
    assert {p.lstrip("/") for p in payloads} <= domain_intents()


def test_web_chat_welcome_payloads_are_domain_intents():
    script = (PROJECT_ROOT / "bot" / "web" / "chat.js").read_text(encoding="utf-8")
    block = script[script.index("WELCOME_CHOICES") : script.index("];", script.index("WELCOME_CHOICES"))]
    payloads = re.findall(r'payload: "/(\w+)"', block)
    assert len(payloads) == 4
    assert set(payloads) <= domain_intents()
