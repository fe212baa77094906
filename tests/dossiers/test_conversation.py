"""The citizen conversation through the real form validation and status actions."""
from __future__ import annotations

import pytest

from actions import dossier_status
from tests.dossiers.conftest import FAKE_PEOPLE, FakeDirectory, feed
from tests.dossiers.conversation import Conversation

CODE = "H15.50-251203-2035"


@pytest.fixture
def wired(store, service):
    dossier_status.set_service(service, FakeDirectory())
    feed(store, {"receipt_code": CODE, "state": 4, "procedure_code": "1.001193", "received_at": "2025-12-03 08:30",
                 "due_at": "2026-01-25", "site": "tru-so-chinh", **FAKE_PEOPLE[0]})
    yield service
    dossier_status.set_service(None, None)


def test_code_in_first_message_then_right_digits_shows_the_status(wired):
    talk = Conversation()
    first = talk.say(f"hồ sơ {CODE} của tôi sao rồi", "check_dossier_status")
    assert len(first) == 1 and "Mình đã tìm thấy hồ sơ" in first[0] and "4 số cuối" in first[0]
    assert "Đang xử lý" not in " ".join(first)  # nothing beyond "found" before the second factor
    assert talk.slots["receipt_code"] == "H15.50-******-**35"
    answer = talk.say("5678", entities=[{"entity": "phone_digits", "value": "5678"}])
    text = answer[-1]
    assert "Trạng thái: Đang xử lý" in text
    assert "Đăng ký khai sinh (mã 1.001193)" in text
    assert "Ngày tiếp nhận: 08:30 ngày 03/12/2025" in text
    assert "Hẹn trả kết quả: 25/01/2026" in text
    assert "quá hạn" not in text
    assert talk.slots["dossier_lookup"] is None and talk.slots["receipt_code"] is None


def test_bot_asks_for_the_code_when_missing_and_explains_a_malformed_one(wired):
    talk = Conversation()
    reply = talk.say("tra cứu hồ sơ", "check_dossier_status")
    assert reply == ["Bạn gửi giúp mình mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả nhé "
                     "(dạng H15.50-251203-2035)."]
    assert talk.slots["requested_slot"] == "receipt_code"
    reply = talk.say("H15.50-251303-2035")
    assert "chưa đúng dạng" in reply[0] and "251303" in reply[0]
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in reply[0]
    assert talk.slots["requested_slot"] == "receipt_code" and talk.slots["receipt_code"] is None
    reply = talk.say(CODE.lower().replace("-", " "))
    assert "4 số cuối" in reply[-1]


def test_unknown_code_says_so_and_how_to_read_the_receipt(wired):
    talk = Conversation()
    reply = talk.say("ho so H15.50-251203-9999 sao roi", "check_dossier_status")
    assert "không tìm thấy hồ sơ có mã H15.50-251203-9999" in reply[0]
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in reply[0]
    assert not talk.active and talk.slots["dossier_lookup"] is None


def test_wrong_digits_count_down_then_lock_the_code_for_everyone(wired, clock):
    talk = Conversation()
    talk.say(CODE, "inform", [{"entity": "receipt_code", "value": CODE}])
    for remaining in (4, 3, 2, 1):
        reply = talk.say("1111")
        assert reply[0] == f"4 số cuối chưa khớp với số điện thoại trong hồ sơ. Bạn còn {remaining} lần thử."
        assert talk.active
    reply = talk.say("2222")
    locked = dossier_status.messages.locked(FakeDirectory())
    assert reply == [locked] and not talk.active
    assert "mang Giấy tiếp nhận hồ sơ đến" in locked and "gọi đường dây nóng 0000 000 000" in locked
    # Locked per code: another citizen (sender, client) with the right digits reads the same words, no status.
    clock.advance(minutes=20)  # the sender's own 15-minute window is over; the code's 24 hours are not
    other = Conversation(sender="citizen-2")
    assert other.say(f"hồ sơ {CODE}", "check_dossier_status") == [locked]
    assert not other.active
    assert Conversation(sender="citizen-3").say(f"hồ sơ {CODE}", "check_dossier_status") == [locked]
    # A clerk unlocks: the rightful citizen sees the status.
    assert wired.unlock(CODE).failures == 5
    talk = Conversation(sender="citizen-2")
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    assert "Trạng thái: Đang xử lý" in talk.say("5678")[-1]


def test_the_lock_lifts_after_its_window(wired, clock):
    for n in range(5):
        talk = Conversation(sender=f"guesser-{n}")
        talk.say(f"hồ sơ {CODE}", "check_dossier_status")
        talk.say("0000")
    assert wired.code_lock(CODE).locked
    clock.advance(hours=24, minutes=1)
    talk = Conversation(sender="citizen-9")
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    assert "Trạng thái: Đang xử lý" in talk.say("5678")[-1]


def test_a_locked_code_answers_the_same_to_right_and_wrong_digits(wired):
    right, wrong = Conversation(sender="asker-right"), Conversation(sender="asker-wrong")
    right.say(f"hồ sơ {CODE}", "check_dossier_status")
    wrong.say(f"hồ sơ {CODE}", "check_dossier_status")
    for n in range(5):  # meanwhile others lock the code
        talk = Conversation(sender=f"guesser-{n}")
        talk.say(f"hồ sơ {CODE}", "check_dossier_status")
        talk.say("0000")
    assert right.say("5678") == wrong.say("1234") == [dossier_status.messages.locked(FakeDirectory())]
    assert wired.code_lock(CODE).failures == 5  # the refused digits were not even counted


def test_unknown_codes_are_rate_limited_too(wired):
    talk = Conversation()
    for n in range(4):
        assert "không tìm thấy" in talk.say(f"ho so H15.50-251203-900{n}", "check_dossier_status")[0]
    fifth = talk.say("ho so H15.50-251203-9005", "check_dossier_status")
    assert "không tìm thấy" in fifth[0] and "thử lại sau 15 phút" in fifth[1]
    assert "thử lại sau" in talk.say(f"ho so {CODE}", "check_dossier_status")[0]


def test_digits_are_not_mistaken_for_a_code_and_a_new_code_replaces_the_old(wired, store):
    feed(store, {"receipt_code": "38.98.H29-251210-0013", "state": 9, "phone": "0987000111",
                 "pickup_from": "2026-01-22 14:00", "site": "diem-2"})
    talk = Conversation()
    talk.say(CODE, "inform", [{"entity": "receipt_code", "value": CODE}])
    talk.say("cho mình tra mã 38.98.H29-251210-0013 nhé")  # changes the code while digits were asked
    answer = talk.say("0111")
    assert "Đã xử lý xong" in answer[-1]
    assert "đến nhận kết quả tại Điểm tiếp nhận số 2 từ 14:00 ngày 22/01/2026" in answer[-1]


def test_a_recently_verified_sender_is_not_asked_again(wired):
    talk = Conversation()
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    talk.say("5678")
    again = Conversation()
    assert "Trạng thái: Đang xử lý" in again.say("hồ sơ của tôi sao rồi", "check_dossier_status")[-1]


def test_unrelated_message_during_the_form_is_left_to_other_rules(wired):
    """Nothing extracted → the form rejects (ActionExecutionRejection in Rasa) and other policies answer."""
    talk = Conversation()
    talk.say("tra cứu hồ sơ", "check_dossier_status")
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = Conversation._run(dossier_status.ValidateDossierForm(), dispatcher,
                               talk._tracker("làm khai sinh cần gì", "ask_documents", []))
    assert [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"] == []
    assert dispatcher.messages == []


def test_dossier_without_contact_cannot_be_verified_by_chat(wired, store):
    feed(store, {"receipt_code": "H15.50-251205-0001", "state": 4})
    reply = Conversation().say("ho so H15.50-251205-0001", "check_dossier_status")
    assert "chưa có số điện thoại để xác minh" in reply[0]


def test_database_outage_gives_a_polite_message(wired, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database down at 10.0.0.5:5432")

    monkeypatch.setattr(wired.store, "get", broken)
    monkeypatch.setattr(wired.limits.counter, "state", broken)
    monkeypatch.setattr(wired.store, "current_lookup", broken)
    talk = Conversation()
    reply = talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    assert reply == [dossier_status.messages.unavailable()]
    assert not talk.active
    assert "tạm gián đoạn" in talk.subscribe()[0]


def test_service_and_directory_calls_run_on_the_blocking_pool_not_the_event_loop(wired, monkeypatch):
    import threading

    threads: list[tuple[str, str]] = []

    def spy(target, name):
        original = getattr(target, name)

        def call(*args, **kwargs):
            threads.append((name, threading.current_thread().name))
            return original(*args, **kwargs)

        monkeypatch.setattr(target, name, call)

    for name in ("lookup", "verify", "verified_view"):
        spy(wired, name)
    spy(wired.store, "get")
    directory = FakeDirectory()
    spy(directory, "procedure_name")
    dossier_status.set_service(wired, directory)
    talk = Conversation()
    talk.say(f"hồ sơ {CODE}", "check_dossier_status")
    assert "Trạng thái: Đang xử lý" in talk.say("5678")[-1]
    assert {name for name, _ in threads} == {"lookup", "verify", "verified_view", "get", "procedure_name"}
    assert all(thread.startswith("thutuc-blocking") for _, thread in threads), threads
