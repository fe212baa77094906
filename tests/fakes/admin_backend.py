"""The dashboard's server for tests: the real clerk channel (login) and admin channel over one seeded database
(tracker events and project tables side by side), with the clock set inside the seeded period.

`build_admin_app(url)` for in-process HTTP tests; `python -m tests.fakes.admin_backend --db sqlite:///… [--seed]`
serves it on 127.0.0.1:<free port> and prints `READY <port>` (browser tests).
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bot.channels.admin import AdminInput, AdminServices  # noqa: E402
from bot.channels.clerk import ClerkInput, ClerkServices  # noqa: E402
from tests.fakes.channel_app import EchoAgent, EchoConversations, build_app  # noqa: E402
from tests.fakes.serving import loopback_socket, serve  # noqa: E402

OPERATOR, OPERATOR_PASSWORD = "minh", "mat-khau-quan-tri-42"
CLERK, CLERK_PASSWORD = "lan", "mat-khau-can-bo-42"
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(timezone.utc)


def add_staff(url: str) -> None:
    from base.db import make_engine
    from handoff.accounts import AccountStore

    engine = make_engine(url)
    accounts = AccountStore(engine)
    accounts.add_user(OPERATOR, "operator", OPERATOR_PASSWORD)
    accounts.add_user(CLERK, "clerk", CLERK_PASSWORD)
    engine.dispose()


def build_admin_app(url: str) -> Any:
    from base.audit import AuditLog
    from base.db import make_engine
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from handoff.accounts import AccountStore
    from handoff.login_limits import LoginLimiter
    from handoff.store import ConversationStore
    from knowledge.api import KnowledgeBase

    engine = make_engine(url)
    accounts = AccountStore(engine)
    agent = EchoAgent()
    clerk = ClerkInput(services=ClerkServices(
        knowledge=lambda: KnowledgeBase(engine), tickets=lambda: ConversationStore(engine),
        close_and_resume=lambda store, ticket_id: store.close_ticket(ticket_id), accounts=lambda: accounts,
        audit=lambda: AuditLog(engine),
        login_limiter=lambda: LoginLimiter(SlidingWindowCounter(SqlEventStore(engine)), 10, 5, 900),
        replies=lambda: None), conversations=EchoConversations(agent))
    admin = AdminInput(AdminServices(accounts=lambda: accounts, tracker_engine=lambda: engine, engine=lambda: engine,
                                     audit=lambda: AuditLog(engine), timezone="Asia/Ho_Chi_Minh",
                                     review_max_age_days=365), clock=lambda: NOW)
    return build_app([clerk, admin], agent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--seed", action="store_true", help="write the seeded set and the two staff accounts first")
    args = parser.parse_args()
    if args.seed:
        from tests.analytics import seed

        seed.seed_tracker(args.db)
        seed.seed_project(args.db)
        add_staff(args.db)
    app = build_admin_app(args.db)
    sock, port = loopback_socket()
    serve(app, sock, port)


if __name__ == "__main__":
    main()
