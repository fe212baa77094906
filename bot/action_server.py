"""Entry point of the action server: rasa_sdk's server, bound to the configured interface."""
from __future__ import annotations

import argparse
import logging
import os

from base.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description="thutuc action server")
    parser.add_argument("--port", type=int, default=get_settings().action_port)
    args = parser.parse_args()
    os.environ.setdefault("SANIC_HOST", get_settings().bind_host)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from base.privacy import install_log_masking

    install_log_masking()
    from rasa_sdk.endpoint import run

    run("actions", port=args.port, cors_origins=None)


if __name__ == "__main__":
    main()
