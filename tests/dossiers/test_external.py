"""The provincial lookup API adapter, against a fake provincial API on loopback."""
from __future__ import annotations

import time

import pytest

from actions import dossier_status
from dossiers.external import ExternalDossierSource, SourceUnavailable
from dossiers.service import Outcome
from tests.dossiers.conftest import FAKE_PEOPLE, FakeDirectory
from tests.dossiers.conversation import Conversation
from tests.dossiers.servers import RecordingServer

KNOWN = {"receipt_code": "38.98.H29-251210-0013", "state": "Yêu cầu thực hiện nghĩa vụ tài chính",
         "procedure_code": "1.001193", "fee_due": 250000, "site": "tru-so-chinh", "received_at": "2025-12-10",
         "due_at": "2026-01-30", **FAKE_PEOPLE[1]}


def provincial(method: str, path: str, body: bytes):
    if path.endswith("/dossiers/38.98.H29-251210-0013"):
        return 200, {"dossier": KNOWN}
    if path.endswith("/dossiers/38.98.H29-251210-0500"):
        return 500, {"error": "internal"}
    if path.endswith("/dossiers/38.98.H29-251210-0444"):
        return 200, {"receipt_code": "38.98.H29-251210-0444", "state": 42}  # unusable record
    if path.endswith("/dossiers/38.98.H29-251210-0408"):
        time.sleep(1.5)
        return 200, KNOWN
    return 404, {"error": "not found"}


@pytest.fixture
def fake_province():
    with RecordingServer(provincial) as server:
        yield server


def test_fetch_known_unknown_and_errors(fake_province):
    source = ExternalDossierSource(fake_province.url + "/api", timeout_s=0.5)
    assert source.fetch("38.98.H29-251210-0013")["fee_due"] == 250000
    assert source.fetch("38.98.H29-251210-9999") is None
    with pytest.raises(SourceUnavailable):
        source.fetch("38.98.H29-251210-0500")
    with pytest.raises(SourceUnavailable):
        source.fetch("38.98.H29-251210-0408")  # answers after the timeout
    assert fake_province.calls[0][1] == "/api/dossiers/38.98.H29-251210-0013"


def test_unreachable_source_is_unavailable():
    from tests.dossiers.servers import free_port

    with pytest.raises(SourceUnavailable):
        ExternalDossierSource(f"http://127.0.0.1:{free_port()}", timeout_s=0.5).fetch("38.98.H29-251210-0013")


@pytest.fixture
def wired_external(store, make_service, fake_province):
    service = make_service(store, external=ExternalDossierSource(fake_province.url, timeout_s=0.5))
    dossier_status.set_service(service, FakeDirectory())
    yield service
    dossier_status.set_service(None, None)


def test_conversation_with_a_dossier_only_the_province_knows(wired_external, store):
    talk = Conversation()
    assert "4 số cuối" in talk.say("hồ sơ 38.98.H29-251210-0013 sao rồi", "check_dossier_status")[-1]
    text = talk.say("4321")[-1]
    assert "Trạng thái: Yêu cầu thực hiện nghĩa vụ tài chính" in text
    assert "nộp phí, lệ phí 250.000 đồng tại Trụ sở chính" in text
    stored = store.get("38.98.H29-251210-0013")
    assert stored.source == "external"
    for value in FAKE_PEOPLE[1].values():
        assert value not in text


@pytest.mark.parametrize("code", ["38.98.H29-251210-0408", "38.98.H29-251210-0500", "38.98.H29-251210-0444"])
def test_source_down_or_slow_gives_the_polite_message(wired_external, code, caplog):
    talk = Conversation()
    reply = talk.say(f"hồ sơ {code}", "check_dossier_status")
    assert len(reply) == 1
    assert reply[0].startswith("Xin lỗi bạn, hệ thống tra cứu của tỉnh đang tạm gián đoạn")
    assert "Traceback" not in reply[0] and "HTTP" not in reply[0] and "Timeout" not in reply[0]
    assert not talk.active
    assert wired_external.sender_failures("citizen-1") == 0  # our outage is not the citizen's fault


def test_unknown_at_the_province_is_unknown(wired_external):
    assert wired_external.lookup("citizen-9", "38.98.H29-251210-7777").outcome is Outcome.UNKNOWN
