"""How people type (issue 12): every kind of typing accident gives the same words as the careful spelling, for search,
facet cues, variant cues and the NLU lemmas alike, and real syllables, codes and abbreviations are left alone."""
from __future__ import annotations

import unicodedata

import pytest

from bot.nlu.tokenizer import lemma_of
from knowledge.facets import asked_facet
from knowledge.search import IndexDocument, SearchIndex
from knowledge.text import cue_tokens, is_syllable, repair_syllable, search_tokens
from knowledge.variants import query_variants

CAREFUL = "đăng ký khai sinh thủ tục thế nào"


@pytest.fixture(scope="module")
def index():
    return SearchIndex([
        IndexDocument("1.001193", "Đăng ký khai sinh", "curated", "", ("khai sinh",)),
        IndexDocument("1.000656", "Đăng ký khai tử", "curated", "", ("khai tử",)),
        IndexDocument("1.004222", "Đăng ký thường trú", "curated", "", ("thường trú",)),
    ])


@pytest.mark.parametrize("kind, typed", [
    ("NFD", unicodedata.normalize("NFD", CAREFUL)),
    ("no diacritics", "dang ky khai sinh thu tuc the nao"),
    ("telex leftovers", "ddawng kys khai sinh thur tucj thees naof"),
    ("doubled letters", "dangg kyy khaii sinhh thuuu tucc thee naoo"),
    ("all caps", CAREFUL.upper()),
    ("missing spaces", "dangky khaisinh thutuc thenao"),
])
def test_each_kind_of_typing_gives_the_careful_words(kind, typed, index):
    assert search_tokens(typed) == search_tokens(CAREFUL), kind
    assert [f for f, _ in cue_tokens(typed)] == [f for f, _ in cue_tokens(CAREFUL)], kind
    assert lemma_of(typed) == lemma_of(CAREFUL), kind
    assert asked_facet(typed) == "steps", kind
    assert index.search(typed)[0].code == "1.001193", kind


@pytest.mark.parametrize("token, repaired", [
    ("thur", "thu"), ("tucj", "tuc"), ("kys", "ky"), ("ddawng", "dang"), ("nhaapj", "nhap"),
    ("khaii", "khai"), ("sinhhh", "sinh"),
    ("khaisinh", "khai sinh"), ("lephi", "le phi"), ("baolau", "bao lau"), ("odau", "o dau"),
    ("thuongtru", "thuong tru"),
])
def test_repairs(token, repaired):
    assert repair_syllable(token) == repaired


@pytest.mark.parametrize("token", [
    "huu", "nguoi", "quoc", "xoong", "nghieng", "khuyu", "ruou", "tuyen", "gi", "oanh",  # real syllables
    "online", "email", "internet", "vneid", "vssid", "cccd", "bhxh", "dkkh", "ko", "ok", "ct07", "zalo", "covid",
])
def test_real_syllables_codes_and_abbreviations_are_left_alone(token):
    assert repair_syllable(token) == token


def test_syllable_shape():
    assert is_syllable("nghieng") and is_syllable("thuong") and is_syllable("o")
    assert not is_syllable("thur") and not is_syllable("khaii") and not is_syllable("khaisinh")


def test_a_fused_word_typed_with_diacritics_keeps_them_for_each_syllable():
    assert cue_tokens("đăngký lại") == cue_tokens("đăng ký lại")


def test_variant_cues_survive_typing_accidents():
    assert "reregister" in query_variants("dangky lai khai sinh").kinds
    assert "reissue" in query_variants("can cuoc bij mats xin caaps lai").kinds


def test_facet_cues_in_chat_spellings_still_match():
    assert asked_facet("nop qua app dc ko") == "online"
    assert asked_facet("lephi bao nhieeu") == "fee"
    assert asked_facet("baolau thi co") == "time"
