"""A stand-alone Rasa-like server for browser tests: the real web chat, clerk and review channels in front of EchoAgent.

Run as `python -m tests.fakes.chat_backend --db sqlite:///...` (staff accounts live in that database); prints `READY <port>` once listening
on 127.0.0.1:<free port>. A separate process so a test can kill it and watch the page cope with a dead server.
"""
from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bot.channels.clerk import ClerkInput, ClerkServices  # noqa: E402
from bot.channels.webchat import WebChatInput  # noqa: E402
from bot.channels.webchat_identity import WebChatIdentity  # noqa: E402
from tests.fakes.channel_app import EchoAgent, EchoConversations, build_app  # noqa: E402
from tests.fakes.serving import loopback_socket, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a loaded knowledge base")
    parser.add_argument("--tracker", help="SQLAlchemy URL of stored conversations (the review page reads them)")
    args = parser.parse_args()

    from base.audit import AuditLog
    from base.outbox import Outbox
    from base.ratelimit import SlidingWindowCounter, SqlEventStore
    from bot.channels.citizen_replies import CitizenReplies
    from handoff.accounts import AccountStore
    from handoff.login_limits import LoginLimiter
    from handoff.store import ConversationStore
    from knowledge.api import KnowledgeBase
    from base.db import make_engine

    engine = make_engine(args.db)
    agent = EchoAgent()

    def close_and_resume(store: Any, ticket_id: int) -> Any:
        ticket = store.close_ticket(ticket_id)
        if ticket is not None:
            agent.paused.discard(ticket.sender_id)
        return ticket

    outbox = Outbox(engine)
    services = ClerkServices(
        knowledge=lambda: KnowledgeBase(engine), tickets=lambda: ConversationStore(engine), close_and_resume=close_and_resume,
        accounts=lambda: AccountStore(engine), audit=lambda: AuditLog(engine),
        login_limiter=lambda: LoginLimiter(SlidingWindowCounter(SqlEventStore(engine)), 10, 5, 900),
        replies=lambda: CitizenReplies(lambda: outbox, lambda: None),
    )
    identity = WebChatIdentity(secrets.token_bytes(32))  # a fresh secret per backend: nothing written under var/
    from bot.channels.access_codes import AccessCodeDesk

    counter = SlidingWindowCounter(SqlEventStore(engine))
    webchat = WebChatInput(identity, outbox=lambda: outbox,
                           access_codes=AccessCodeDesk(lambda: ConversationStore(engine), lambda: counter))
    from bot.channels.admin_review import AdminReviewInput, ReviewServices
    from review.store import ReviewStore

    tracker = make_engine(args.tracker or args.db)
    review = AdminReviewInput(ReviewServices(
        accounts=lambda: AccountStore(engine), store=lambda: ReviewStore(engine, KnowledgeBase(engine)),
        tracker_engine=lambda: tracker, knowledge=lambda: KnowledgeBase(engine)))
    app = build_app([webchat, ClerkInput(services=services, conversations=EchoConversations(agent)), review], agent)

    sock, port = loopback_socket()

    @app.get("/ward-demo")
    async def ward_demo(request: Any) -> Any:
        """A stand-in for the ward's website. Opened as http://localhost:<port>/ward-demo it is another origin than
        the assistant at http://127.0.0.1:<port>, like a real ward site embedding the chat."""
        from sanic import response

        return response.html(
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>Phường Mẫu</title></head>"
            "<body><h1>Cổng thông tin Phường Mẫu</h1>"
            f"<script src='http://127.0.0.1:{port}/chat/embed.js' async></script></body></html>"
        )
    serve(app, sock, port)


if __name__ == "__main__":
    main()
