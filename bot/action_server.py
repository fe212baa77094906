"""Entry point of the action server: rasa_sdk's server on its own interface, answering only callers with the secret.

It listens on `THUTUC_ACTION_BIND_HOST` (127.0.0.1 by default), separately from `THUTUC_BIND_HOST`: only the Rasa
server needs to reach it, and binding Rasa to a public interface for a proxy must not expose `/webhook`, where a
crafted tracker could run any action. When `THUTUC_ACTION_SECRET` is set (`thutuc run` sets one per run when it is
not configured), every request but `/health` must carry it in the `X-Thutuc-Action-Secret` header, compared in
constant time; others get 403 and no action runs.

Its metrics (action runs and errors, clarifying questions, handoff tickets waiting) are served on a private port of
their own, `Settings.actions_metrics_port` (base/metrics.py), never through this app.
"""
from __future__ import annotations

import argparse
import hmac
import logging
from typing import Any, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from base.metrics import ACTION_ERRORS, ACTION_RUNS, action_label, serve_metrics
from base.production import exit_if_unsafe
from base.settings import get_settings
from bot.endpoints import ACTION_SECRET_HEADER

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})  # readiness checks; says nothing but "ok"


def secret_matches(expected: str, given: Optional[str]) -> bool:
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def require_secret(app: Sanic, secret: Optional[str]) -> None:
    """Refuse (403) every request without the shared secret, before rasa_sdk reads its body."""
    if not secret:
        logger.warning("THUTUC_ACTION_SECRET is not set: any process that reaches the action server can run actions")
        return

    @app.middleware("request")
    async def check_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS or secret_matches(secret, request.headers.get(ACTION_SECRET_HEADER)):
            return None
        return response.json({"error": "forbidden"}, status=403)


_counting = False


def count_action_runs() -> None:
    """Count every action call rasa_sdk's executor runs, and those that raise (a rejected form slot is no error)."""
    global _counting
    if _counting:
        return
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import ActionExecutionRejection

    original = ActionExecutor.run

    async def run(self: ActionExecutor, action_call: Any) -> Any:
        name = action_call.get("next_action") if isinstance(action_call, dict) else None
        label = action_label(name if name in self.actions else None)
        ACTION_RUNS.labels(label).inc()
        try:
            return await original(self, action_call)
        except ActionExecutionRejection:
            raise
        except Exception:
            ACTION_ERRORS.labels(label).inc()
            raise

    ActionExecutor.run = run  # type: ignore[assignment]
    _counting = True


def create_app(secret: Optional[str] = None, **kwargs: Any) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from rasa_sdk.plugin import plugin_manager

    count_action_runs()
    app = create_sdk_app("actions", cors_origins=None, **kwargs)
    require_secret(app, secret)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main() -> None:
    settings = get_settings()
    exit_if_unsafe(settings)
    parser = argparse.ArgumentParser(description="thutuc action server")
    parser.add_argument("--port", type=int, default=settings.action_port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from base.privacy import install_log_masking

    install_log_masking()
    from rasa_sdk.utils import number_of_sanic_workers

    from handoff.metrics import register_ticket_collector

    register_ticket_collector()
    serve_metrics(settings.actions_metrics_port, settings.metrics_bind_host)
    app = create_app(settings.action_secret)
    logger.info("Action server listening on http://%s:%s", settings.action_bind_host, args.port)
    app.run(settings.action_bind_host, args.port, workers=number_of_sanic_workers())


if __name__ == "__main__":
    main()
