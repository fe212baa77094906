"""Entry point of the Rasa server: Rasa's own command line, after the documented performance fixes of bot/perf and
the polite replies for a dependency that is down (bot/outage_replies.py)."""
from __future__ import annotations

import sys


def main() -> None:
    from bot.perf import install_all

    install_all()
    from bot import outage_replies

    outage_replies.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
