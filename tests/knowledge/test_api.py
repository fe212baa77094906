"""The public API returns frozen values with the facts from the data files (SQLite and PostgreSQL)."""
from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest

from knowledge.types import ProcedureCard, SiteInfo, WardInfo


def test_card_has_every_fact(kb):
    card = kb.card("1.001193")
    assert isinstance(card, ProcedureCard)
    assert card.name == "Đăng ký khai sinh" and card.field == "Hộ tịch" and card.status == "curated"
    assert "làm giấy khai sinh" in card.aliases and "trẻ sơ sinh" not in card.aliases  # keywords are search-only
    assert [d.name for d in card.documents if d.group == "submit"][:2] == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
    proxy = next(d for d in card.documents if d.case)
    assert (proxy.case, proxy.originals, proxy.copies) == ("trường hợp ủy quyền", 1, 0)
    online = next(c for c in card.channels if c.type == "online")
    assert online.portals == ("national_portal", "vneid") and online.requires_vneid_level2
    in_person = next(c for c in card.channels if c.type == "in_person")
    assert (in_person.time_limit.value, in_person.time_limit.unit) == (1, "working_day")
    assert in_person.time_limit.rule.startswith("Nhận hồ sơ sau 15 giờ")
    assert in_person.fee.kind == "free" and in_person.fee.amount is None
    assert card.source.decision == "163/QĐ-BTP" and card.source.reviewed == date(2026, 6, 10)
    assert card.legal_basis[0].code == "123/2015/NĐ-CP"


def test_card_is_frozen_and_free_of_orm_objects(kb):
    card = kb.card("1.001193")
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.name = "x"  # type: ignore[misc]

    def walk(value):
        if dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        else:
            assert type(value).__module__ in ("builtins", "datetime"), type(value)

    walk(card)


def test_province_fee_and_unknown_code(kb):
    card = kb.card("1.000656")
    assert {c.fee.kind for c in card.channels} == {"province"}
    assert all(c.fee.amount is None for c in card.channels)
    assert kb.card("0.000000") is None


def test_ward_sites_hours_holidays_closures(kb):
    ward = kb.ward()
    assert isinstance(ward, WardInfo) and ward.sample and ward.name == "Phường Thử Nghiệm"
    assert [s.id for s in ward.sites] == ["tru-so-chinh", "diem-so-2", "diem-so-3"]
    main = ward.sites[0]
    assert main.hours[0] == ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
    assert main.hours[5] == ((time(7, 30), time(11, 30)),) and main.hours[6] == ()
    assert ward.holidays[0].day == date(2026, 9, 2)
    assert ward.closures[0].site_id == "tru-so-chinh"


def test_sites_for_uses_override_then_field_then_star(kb):
    assert [s.id for s in kb.sites_for("1.004222")] == ["diem-so-3"]  # procedure override
    assert [s.id for s in kb.sites_for("1.001193")] == ["tru-so-chinh"]  # field Hộ tịch
    assert [s.id for s in kb.sites_for("1.004194")] == ["diem-so-3"]  # no site for the field: "*" sites
    assert all(isinstance(s, SiteInfo) for s in kb.sites_for("1.001193"))
    assert kb.sites_for("0.000000") == []


def test_popular_follows_ward_order(kb):
    assert [h.code for h in kb.popular(2)] == ["1.001193", "1.000894"]
    assert [h.code for h in kb.popular(10)] == ["1.001193", "1.000894", "1.004194"]


def test_popular_default_without_ward_list(loaded, data_dir):
    from knowledge.api import KnowledgeBase
    from knowledge.loader import load_curated

    path = data_dir / "ward.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('popular: ["1.001193", "1.000894", "1.004194"]\n', ""),
                    encoding="utf-8")
    load_curated(loaded, data_dir)
    codes = [h.code for h in KnowledgeBase(loaded).popular(6)]
    assert codes[:2] == ["1.001193", "1.000894"]  # default order, only codes that exist
    assert len(codes) == 6 and len(set(codes)) == 6


def test_nlu_vocabulary_has_folded_variants(kb):
    vocabulary = kb.nlu_vocabulary()
    assert set(vocabulary) == {
        "Đăng ký khai sinh", "Đăng ký khai tử", "Đăng ký kết hôn", "Cấp bản sao trích lục hộ tịch",
        "Đăng ký thường trú", "Đăng ký tạm trú",
    }
    assert {"giấy chứng tử", "giay chung tu", "khai tử", "khai tu"} <= set(vocabulary["Đăng ký khai tử"])
    assert vocabulary["Đăng ký khai tử"] == sorted(vocabulary["Đăng ký khai tử"])
