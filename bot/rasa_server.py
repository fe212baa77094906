"""Entry point of the Rasa server: Rasa's own command line, after the documented performance fixes of bot/perf and
the polite replies for a dependency that is down (bot/outage_replies.py), with the public-surface rules of
bot/http_guard.py on the app it builds."""
from __future__ import annotations

import sys


def main() -> None:
    from bot import http_guard, outage_replies
    from bot.perf import install_all

    install_all()
    outage_replies.install()
    http_guard.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
