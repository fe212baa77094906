"""`thutuc`: the one command-line entry for operators and clerks.

Each feature package contributes its subcommands through a `register(group)` function in its own `cli` module, so this
file only lists them and never grows feature logic.
"""
from __future__ import annotations

import importlib
import sys

import click

# Modules that add subcommands to `thutuc`. Each exposes `register(cli: click.Group) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.model_cli",
    "bot.serve_cli",
    "knowledge.cli",
    "dossiers.cli",
    "handoff.cli",
    "bot.privacy_cli",
    "review.cli",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Trợ lý thủ tục hành chính cấp xã/phường — công cụ dòng lệnh cho cán bộ và quản trị."""


def _register_all(group: click.Group) -> None:
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.register(group)


_register_all(cli)


def main() -> None:
    # Vietnamese output must survive terminals with a non-UTF-8 locale.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    cli(prog_name="thutuc")


if __name__ == "__main__":
    main()
