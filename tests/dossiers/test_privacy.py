"""Known fake names, ID numbers, phones and addresses go in through every feed; none comes out of any citizen reply,
log line or stored conversation. Receipt codes are masked partially and phone digits fully in logs and storage."""
from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions import dossier_status
from base.privacy import install_log_masking, mask_text, scrub_reply
from bot.tracker_store import MaskingTrackerStore
from dossiers.external import ExternalDossierSource
from dossiers.importer import import_file
from dossiers.states import DossierState
from tests.dossiers.conftest import FAKE_PEOPLE, SALT, FakeDirectory, feed
from tests.dossiers.conversation import Conversation
from tests.dossiers.servers import RecordingServer

DOMAIN_PATH = "domain.yml"
CODES = ["H15.50-251203-2035", "38.98.H29-251210-0013", "000.00.12.H29-251215-0042"]


def forbidden_values() -> list[str]:
    """Every fake personal value in the forms it could leak in (as fed, digits only, national format)."""
    values = []
    for person in FAKE_PEOPLE:
        digits = re.sub(r"\D", "", person["phone"])
        values += [person["applicant_name"], person["id_number"], person["address"], person["phone"], digits,
                   digits[-9:], "0" + digits[-9:]]
    return values


def assert_clean(text: str, where: str, *, logs: bool = False) -> None:
    for value in forbidden_values():
        assert value not in text, f"{value!r} leaked in {where}"
    if logs:
        for code in CODES:
            assert code not in text, f"unmasked receipt code {code} in {where}"
        for person in FAKE_PEOPLE:
            last4 = re.sub(r"\D", "", person["phone"])[-4:]
            assert not re.search(rf"(?<!\d){last4}(?!\d)", text), f"phone digits {last4} in {where}"


@pytest.fixture
def fed(tmp_path, store, make_service):
    """Dossiers carrying personal data arrive by import (CSV), sync-style apply and the provincial API."""
    install_log_masking()
    person0, person1 = FAKE_PEOPLE
    csv_path = tmp_path / "feed.csv"
    csv_path.write_text(
        "receipt_code,state,procedure_code,supplement,site,phone,applicant_name,id_number,address\n"
        f"{CODES[0]},5,1.001193,Bản sao giấy chứng sinh (ghi rõ CCCD {person0['id_number']}),tru-so-chinh,"
        f"{person0['phone']},{person0['applicant_name']},{person0['id_number']},\"{person0['address']}\"\n",
        encoding="utf-8")
    assert import_file(csv_path, store, salt=SALT, timezone="Asia/Ho_Chi_Minh").ok
    feed(store, {"receipt_code": CODES[2], "state": 9, "pickup_from": "2026-01-22 14:00", "site": "diem-2",
                 **person1}, source="sync")

    def provincial(method, path, body):
        if path.endswith(CODES[1]):
            return 200, {"receipt_code": CODES[1], "state": 6, "fee_due": 100000,
                         "fee_note": f"liên hệ {person1['phone']}", **person1}
        return 404, {}

    with RecordingServer(provincial) as province:
        service = make_service(store, external=ExternalDossierSource(province.url, timeout_s=2))
        dossier_status.set_service(service, FakeDirectory())
        yield service
    dossier_status.set_service(None, None)


def test_no_personal_data_in_any_reply_or_log(fed, caplog):
    caplog.set_level(logging.DEBUG)
    person0, person1 = FAKE_PEOPLE
    replies: list[str] = []
    digits0, digits1 = (re.sub(r"\D", "", p["phone"])[-4:] for p in FAKE_PEOPLE)
    last4 = {CODES[0]: digits0, CODES[1]: digits1, CODES[2]: digits1}
    for n, code in enumerate(CODES):
        talk = Conversation(sender=f"citizen-{n}")
        replies += talk.say(f"hồ sơ {code} của tôi sao rồi, sđt tôi {person0['phone']}", "check_dossier_status")
        replies += talk.say("1111")  # wrong digits first
        replies += talk.say(f"số cuối {last4[code]}", entities=[{"entity": "phone_digits", "value": last4[code]}])
        replies += talk.subscribe()
        logging.getLogger("rasa.core.processor").debug("Received user message '%s' with entities %s",
                                                       f"{code} {last4[code]} {person0['phone']}",
                                                       [{"entity": "phone_digits", "value": last4[code]}])
    assert any("Trạng thái: Yêu cầu bổ sung giấy tờ" in r for r in replies)
    assert any("Trạng thái: Yêu cầu thực hiện nghĩa vụ tài chính" in r for r in replies)
    assert any("Trạng thái: Đã xử lý xong" in r for r in replies)
    # Unknown code, lock-out and the pushed notification are citizen paths too.
    guesser = Conversation(sender="guesser")
    for n in range(6):
        replies += guesser.say(f"hồ sơ H15.50-251203-90{n:02d}", "check_dossier_status")
    for state in DossierState:
        feed(fed.store, {"receipt_code": CODES[0], "state": int(state), **person0}, source="sync")
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from base.keystore import InMemoryKeyStore
    from base.outbox import Outbox
    from bot.channels.citizen_replies import CitizenReplies
    from bot.channels.notifications import make_notifier
    from bot.channels.zalo import ZaloOutput
    from bot.channels.zalo_client import ZaloClient
    from bot.channels.zalo_tokens import FileTokenStore, TokenManager, ZaloTokens
    from dossiers.notify import RetryPolicy
    from tests.fakes.zalo_server import FakeZaloServer

    with FakeZaloServer.in_thread() as zalo:  # the subscribers chose Zalo: pushed through the (fake) OA API
        tokens = TokenManager(FileTokenStore(Path(tempfile.mkdtemp()) / "t.json"), lambda r: None,
                              ZaloTokens("AT-0", "RT-0"))
        channels = CitizenReplies(lambda: Outbox(fed.store.engine),
                                 lambda: ZaloOutput(ZaloClient(zalo.base_url, tokens), InMemoryKeyStore()))

        async def deliver() -> None:
            await make_notifier(fed.store, channels, RetryPolicy(max_age=timedelta(days=3650))).run_once()
            await channels.close()

        asyncio.run(deliver())
        delivered = [message["text"] for message in zalo.delivered()]
    assert len(delivered) == 10  # 5→1, 1→2, …, 9→10: one per change after the subscription
    replies += delivered
    for reply in replies:
        assert_clean(reply, f"reply {reply!r}")
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert "H15.50-******-**35" in log_text  # the code is still recognisable, partially
    assert_clean(log_text, "logs", logs=True)


def test_stored_conversations_are_masked_and_the_live_tracker_is_not(tmp_path):
    install_log_masking()
    domain = Domain.load(DOMAIN_PATH)
    person = FAKE_PEOPLE[0]
    # What a citizen may type: the code, an ID number, a phone number. (Names typed freely by citizens are not
    # detected; names from feeds never reach a conversation at all.)
    first = f"hồ sơ {CODES[0]} của tôi, cccd {person['id_number']}, sđt {person['phone']}"
    events = [
        ActionExecuted("action_listen"),
        UserUttered(first, {"name": "check_dossier_status", "confidence": 0.9},
                    [{"entity": "receipt_code", "value": CODES[0], "start": 6, "end": 24}]),
        ActionExecuted("dossier_form"),
        SlotSet("receipt_code", "H15.50-******-**35"),
        SlotSet("requested_slot", "dossier_phone_last4"),
        BotUttered(f"Hồ sơ {CODES[0]} — Đăng ký khai sinh (mã 1.001193)"),
        ActionExecuted("action_listen"),
        UserUttered("5678", {"name": "inform", "confidence": 0.9},
                    [{"entity": "phone_digits", "value": "5678", "start": 0, "end": 4}]),
        SlotSet("handoff_contact", person["phone"]),
    ]
    for inner, extra in (("memory", {}), ("sql", {"url": f"sqlite:///{tmp_path / 'tracker.db'}"})):
        store = MaskingTrackerStore(domain, inner=inner, **extra)
        live = DialogueStateTracker.from_events("zalo-123", events, domain.slots)
        asyncio.run(store.save(live))
        assert live.latest_message.text == "5678" and live.events[1].text == first  # live tracker untouched
        stored = asyncio.run(store.retrieve("zalo-123"))
        dumped = json.dumps([event.as_dict() for event in stored.events], ensure_ascii=False)
        assert_clean(dumped, f"{inner} tracker store", logs=True)
        assert "5678" not in dumped and "H15.50-******-**35" in dumped
        assert "1.001193" in dumped  # procedure codes stay usable
        assert stored.get_slot("receipt_code") == "H15.50-******-**35"
        assert stored.latest_message.intent["name"] == "inform"
        assert len(stored.events) == len(live.events)
        assert "zalo-123" in list(asyncio.run(store.keys()))
        # Saving again (the next turn) appends without duplicating.
        live.update(BotUttered("Trạng thái: Đang xử lý"))
        asyncio.run(store.save(live))
        assert len(asyncio.run(store.retrieve("zalo-123")).events) == len(live.events)


def test_masking_rules():
    assert mask_text(f"ma {CODES[1]} sdt 0912.345.678 cccd 079188012345 so 5678 url http://127.0.0.1:5005/x") == \
        "ma 38.98.H29-******-**13 sdt **** cccd **** so **** url http://127.0.0.1:5005/x"
    assert scrub_reply(f"Hồ sơ {CODES[0]}, hẹn 25/01/2026, phí 150000 đồng, gọi 0912345678") == \
        f"Hồ sơ {CODES[0]}, hẹn 25/01/2026, phí 150000 đồng, gọi ****"


def test_log_records_with_tracebacks_are_masked(caplog):
    install_log_masking()
    caplog.set_level(logging.INFO)
    try:
        raise ValueError(f"bad phone {FAKE_PEOPLE[0]['phone']}")
    except ValueError:
        logging.getLogger("dossiers.test").exception("failed for %s", CODES[0])
    record = caplog.records[-1]
    formatted = logging.Formatter().format(record)
    assert "H15.50-******-**35" in formatted and "bad phone ****" in formatted
    assert_clean(formatted, "traceback", logs=True)
