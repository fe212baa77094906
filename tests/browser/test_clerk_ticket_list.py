"""Issue 13, point 2, on the clerk page in headless Chromium: the ticket list shows how long each citizen has been
waiting and puts the one who has waited longest first (live and after-hours tickets together)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_ticket_list_shows_the_waiting_time_and_the_oldest_first(desk_page, chat_backend, knowledge_db):
    from sqlalchemy import update

    from base.db import make_engine
    from handoff.store import TICKET_CALLBACK, ConversationStore, HandoffTicketRow

    engine = make_engine(knowledge_db)
    store = ConversationStore(engine)
    now = datetime.now(timezone.utc)
    # Opened in this order, but waiting for different times: the list must sort by how long, not by id.
    tickets = [
        (store.open_ticket("web-" + "1" * 32, "webchat", "Hỏi về khai sinh"), timedelta(minutes=25, seconds=20)),
        (store.open_ticket("7318845521049983031", "zalo", "Hỏi về đất đai", status=TICKET_CALLBACK),
         timedelta(days=1, hours=2, minutes=30)),
        (store.open_ticket("web-" + "2" * 32, "webchat", "Hỏi về hộ kinh doanh"), timedelta(hours=3, minutes=10,
                                                                                           seconds=20)),
    ]
    with engine.begin() as connection:
        for ticket, waited in tickets:
            connection.execute(update(HandoffTicketRow).where(HandoffTicketRow.id == ticket.id)
                               .values(created_at=now - waited))
    page = desk_page
    try:
        page.goto(chat_backend.url + "/clerk/")
        log_in(page)
        ours = {str(ticket.id) for ticket, _ in tickets}
        page.wait_for_function("ids => ids.every(id => document.querySelector(`#tickets li[data-ticket='${id}']`))",
                               arg=sorted(ours))
        shown = [item for item in page.locator("#tickets li[data-ticket]").all()
                 if item.get_attribute("data-ticket") in ours]
        order = [int(item.get_attribute("data-ticket")) for item in shown]
        assert order == [tickets[1][0].id, tickets[2][0].id, tickets[0][0].id]  # longest wait first
        states = [item.locator(".state").inner_text() for item in shown]
        assert states == ["Ngoài giờ · chờ 1 ngày 2 giờ", "Đang chờ trực tiếp · chờ 3 giờ 10 phút",
                          "Đang chờ trực tiếp · chờ 25 phút"]
        screenshot(page, "clerk-ticket-list-waiting")
    finally:
        for ticket, _ in tickets:
            store.close_ticket(ticket.id)
        engine.dispose()
