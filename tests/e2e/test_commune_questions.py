"""Issue 12 acceptance: held-out questions over commune procedures, end to end over REST with the national catalogue
imported, name an acceptable procedure and answer the asked facet (bench/bench_guidance.py reports the same run).

The floor is the share measured when the gate was last raised (docs/benchmarks.md, "Guidance") minus at most one
point; raise it when the measured share rises, never lower it to make a change pass.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from bot.conversation_eval import load_questions, reference_file, run_questions
from bot.evaluation import has_diacritics

pytestmark = pytest.mark.slow
QUESTIONS = Path(__file__).parent / "questions_commune.yml"
CATALOGUE = "procedures_all.jsonl.gz"
# raised 2026-12-07 (i12-scope): measured 95.2 % overall, 94.3 % with and 95.9 % without diacritics
# (docs/benchmarks.md, "Guidance (end to end)"); each floor one point below: overall 94.2 %, the lower split 93.3 %
MIN_CORRECT = 0.942
MIN_CORRECT_EACH_SPLIT = 0.933


@pytest.fixture(scope="module")
def catalogue_bot(tmp_path_factory):
    """The shipped knowledge base plus the whole national catalogue, as a ward deploys it."""
    catalogue = reference_file(CATALOGUE)
    if catalogue is None:
        pytest.skip(f"../shared/reference/dvcqg/{CATALOGUE} is absent (CI has shared/ beside the checkout)")
    from bot.local_bot import local_bot

    with local_bot(tmp_path_factory.mktemp("catalogue-bot"), catalogue=catalogue) as servers:
        yield servers


def test_commune_questions_name_an_acceptable_procedure_and_answer_the_facet(catalogue_bot):
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 300

    def send(text: str, sender: str) -> list[dict]:
        response = requests.post(f"{catalogue_bot.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": f"{sender}-{uuid.uuid4().hex[:6]}", "message": text}, timeout=30)
        response.raise_for_status()
        return response.json()

    results = run_questions(send, questions)
    shares = {}
    for label, items in (("all", results), ("with diacritics", [r for r in results if has_diacritics(r.text)]),
                         ("without diacritics", [r for r in results if not has_diacritics(r.text)])):
        shares[label] = sum(r.correct for r in items) / len(items)
    failures = "\n".join(f"[{'/'.join(r.codes[:2])} {r.facet}] {r.text} → {r.reply[:120]!r}"
                         for r in results if not r.correct)
    summary = ", ".join(f"{label} {value:.1%}" for label, value in shares.items())
    assert shares["all"] >= MIN_CORRECT, f"{summary}; failures:\n{failures}"
    assert min(shares["with diacritics"], shares["without diacritics"]) >= MIN_CORRECT_EACH_SPLIT, \
        f"{summary}; failures:\n{failures}"
