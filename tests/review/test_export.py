"""Export of reviewed questions: exactly the reviewed texts, deterministic bytes, refusals that name the item, and
files that Rasa's validator and the knowledge-base loader accept."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from base.settings import PROJECT_ROOT
from review.export import (INTENT_BY_FACET, ExportRefused, build_export, procedure_span, render_aliases, render_nlu,
                           write_export)
from analytics.misses import question_key
from review.heldout import held_out_keys
from review.store import REVIEW_FACETS, Review

AT = datetime(2026, 12, 7, tzinfo=timezone.utc)


def review(texts, code="1.004873", facet="documents", out_of_scope=False, reviewer="minh") -> Review:
    return Review(question_key(texts[0]), tuple(texts), "out_of_scope" if out_of_scope else "procedure",
                  None if out_of_scope else code, None if out_of_scope else facet, reviewer, AT)


REVIEWS = [
    review(["làm giấy chứng nhận độc thân để cưới vợ"]),
    review(["xin giấy ra ở riêng", "xin giay ra o rieng"], code="1.010038", facet="overview"),
    review(["thời tiết mai thế nào"], out_of_scope=True),
]


def test_the_facet_intents_are_the_bots():
    from actions.templates import FACET_BY_INTENT

    assert INTENT_BY_FACET == {facet: intent for intent, facet in FACET_BY_INTENT.items() if intent != "inform"}
    assert set(REVIEW_FACETS) == set(INTENT_BY_FACET)


def test_the_procedure_name_is_the_longest_run_without_facet_cues_or_filler():
    text = "cho e hỏi lam so do mat bao nhieu tien vay ad"
    start, end = procedure_span(text)
    assert text[start:end] == "lam so do"
    assert procedure_span("lệ phí bao nhiêu") is None
    text = "xin giấy ra ở riêng"
    start, end = procedure_span(text)
    assert text[start:end] == "giấy ra ở riêng"


def test_exactly_the_reviewed_texts_become_examples_and_aliases():
    export = build_export(REVIEWS, held_out={}, trained={})
    # the two spellings of one question are one example (the tokenizer folds them to the same features)
    assert sorted(export.texts) == sorted(["làm giấy chứng nhận độc thân để cưới vợ", "xin giấy ra ở riêng",
                                           "thời tiết mai thế nào"])
    nlu = yaml.safe_load(render_nlu(export, "test"))
    by_intent = {item["intent"]: item["examples"].splitlines() for item in nlu["nlu"]}
    assert by_intent == {
        "ask_documents": ["- [làm giấy chứng nhận độc thân để cưới vợ](procedure)"],
        "ask_procedure": ["- xin [giấy ra ở riêng](procedure)"],
        "out_of_scope": ["- thời tiết mai thế nào"],
    }
    aliases = yaml.safe_load(render_aliases(export, "test"))["colloquial"]
    assert [(row["phrase"], row["codes"]) for row in aliases] == [
        ("giấy ra ở riêng", ["1.010038"]),  # both spellings are one folded phrase: written once
        ("làm giấy chứng nhận độc thân để cưới vợ", ["1.004873"]),
    ]


def test_same_reviews_give_the_same_bytes_whatever_their_order_or_dates(tmp_path):
    first = build_export(REVIEWS, {}, {})
    later = [Review(r.group_key, r.texts, r.decision, r.procedure_code, r.facet, "an",
                    datetime(2027, 1, 1, tzinfo=timezone.utc)) for r in reversed(REVIEWS)]
    second = build_export(later, {}, {})
    assert render_nlu(first, "x") == render_nlu(second, "x")
    assert render_aliases(first, "x") == render_aliases(second, "x")


def test_unmasked_personal_data_is_refused_naming_the_item():
    leaked = review(["số tôi 0912345678 làm giấy ra ở riêng"], code="1.010038")
    with pytest.raises(ExportRefused) as refused:
        build_export([REVIEWS[0], leaked], {}, {})
    [problem] = refused.value.problems
    assert leaked.group_id in problem and "thông tin cá nhân" in problem and "«số tôi **** làm giấy" in problem
    assert "0912345678" not in problem  # the message names the item without repeating the data


def test_a_held_out_question_is_refused_in_any_spelling():
    held_out = held_out_keys(PROJECT_ROOT)
    text = "dang ky ket hon can giay to gi"  # tests/e2e/questions.yml
    assert question_key(text) in held_out
    with pytest.raises(ExportRefused) as refused:
        build_export([review(["đăng ký kết hôn cần giấy tờ gì"], code="1.000894")], held_out, {})
    assert "tests/e2e/questions.yml" in refused.value.problems[0] and "bộ đánh giá giữ riêng" in refused.value.problems[0]


def test_a_text_trained_under_another_intent_is_refused_and_under_the_same_one_skipped():
    trained = {question_key("xin giấy ra ở riêng"): {"out_of_scope"}}
    with pytest.raises(ExportRefused, match="đã có trong dữ liệu huấn luyện"):
        build_export([REVIEWS[1]], {}, trained)
    export = build_export([REVIEWS[0]], {}, {question_key(REVIEWS[0].texts[0]): {"ask_documents"}})
    assert export.texts == [] and len(export.skipped) == 1


def test_refusal_writes_nothing(tmp_path):
    nlu, aliases = tmp_path / "data" / "nlu" / "reviewed.yml", tmp_path / "colloquial_reviewed.yml"
    with pytest.raises(ExportRefused):
        write_export([review(["gọi 0912345678 hỏi sổ đỏ"], code="1.013978")], nlu, aliases, PROJECT_ROOT, None)
    assert not nlu.exists() and not aliases.exists()


def _project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(PROJECT_ROOT / "data", root / "data", ignore=shutil.ignore_patterns("reviewed.yml"))
    return root


@pytest.mark.slow
def test_the_export_passes_rasa_validation_and_loads_into_the_knowledge_base(tmp_path, sqlite_url):
    from base.db import get_engine
    from knowledge.api import KnowledgeBase
    from knowledge.loader import load_curated

    root = _project_copy(tmp_path)
    knowledge = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data", knowledge, ignore=shutil.ignore_patterns("colloquial_reviewed.yml"))
    write_export(REVIEWS, root / "data" / "nlu" / "reviewed.yml", knowledge / "colloquial_reviewed.yml",
                 PROJECT_ROOT, knowledge / "colloquial.yml")
    assert (root / "data" / "nlu" / "reviewed.yml").read_text(encoding="utf-8").startswith("# Generated by")
    engine = get_engine(sqlite_url)
    load_curated(engine, knowledge)
    kb = KnowledgeBase(engine)
    assert "giấy ra ở riêng" in kb.card("1.010038").colloquial
    assert kb.search("xin giấy ra ở riêng", limit=1)[0].code == "1.010038"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "data", "validate", "--config", "config.yml", "--domain",
         "domain.yml", "--data", "data", "--fail-on-warnings"],
        cwd=root, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_export_is_a_training_input_so_the_model_hash_changes_with_it(tmp_path):
    from bot.training import inputs_hash, training_inputs

    root = _project_copy(tmp_path)
    before = inputs_hash(training_inputs(root), root)
    nlu = root / "data" / "nlu" / "reviewed.yml"
    write_export(REVIEWS[:1], nlu, tmp_path / "colloquial_reviewed.yml", PROJECT_ROOT, None)
    assert nlu in training_inputs(root)
    one = inputs_hash(training_inputs(root), root)
    write_export(REVIEWS[:1], nlu, tmp_path / "colloquial_reviewed.yml", PROJECT_ROOT, None)
    assert inputs_hash(training_inputs(root), root) == one != before  # same reviews: same model
    write_export(REVIEWS, nlu, tmp_path / "colloquial_reviewed.yml", PROJECT_ROOT, None)
    assert inputs_hash(training_inputs(root), root) != one
