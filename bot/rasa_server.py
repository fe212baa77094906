"""Entry point of the Rasa server: Rasa's own command line, after the documented performance fixes of bot/perf and
the polite replies for a dependency that is down (bot/outage_replies.py), with the public-surface rules of
bot/http_guard.py on the app it builds, the HTTP API behind JWTs signed with RASA_API_TOKEN (base/rasa_api.py), and
the message-path metrics on a private port of their own (bot/message_metrics.py; `rasa run` only)."""
from __future__ import annotations

import sys


def main() -> None:
    from base.production import exit_if_unsafe

    exit_if_unsafe()
    from bot import http_guard, outage_replies
    from bot.perf import install_all

    install_all()
    outage_replies.install()
    http_guard.install()
    if sys.argv[1:2] == ["run"]:
        from bot import message_metrics

        message_metrics.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_api_secret(sys.argv[1:])]
    rasa_main()


def with_api_secret(arguments: list[str]) -> list[str]:
    """`rasa run --enable-api` with JWT authentication whose secret comes from the environment (RASA_API_TOKEN, or
    the development secret under var/), added here inside the process so it never shows on a command line."""
    if not arguments or arguments[0] != "run" or "--enable-api" not in arguments or "--jwt-secret" in arguments:
        return arguments
    from base.rasa_api import JWT_METHOD, api_secret

    return [*arguments, "--jwt-secret", api_secret(), "--jwt-method", JWT_METHOD]


if __name__ == "__main__":
    main()
