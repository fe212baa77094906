"""Issue 4 acceptance: held-out citizen questions, end to end over REST, name the right procedure and facet."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_eval import load_questions, run_questions

pytestmark = pytest.mark.slow
QUESTIONS = Path(__file__).parent / "questions.yml"
MIN_CORRECT = 0.90


def test_held_out_questions_are_answered_with_the_right_procedure_and_facet(running_bot):
    from knowledge.api import KnowledgeBase
    from base.db import get_engine

    curated = set(KnowledgeBase(get_engine(running_bot.database_url)).codes(status="curated"))
    questions = [q for q in load_questions(QUESTIONS) if set(q["codes"]) & curated]
    assert len(questions) >= 150, "the held-out set must cover at least 150 questions on curated procedures"
    results = run_questions(lambda text, sender: running_bot.send(text, sender), questions)
    share = sum(r.correct for r in results) / len(results)
    failures = "\n".join(f"[{r.code} {r.facet}] {r.text} → {r.reply[:120]!r}" for r in results if not r.correct)
    assert share >= MIN_CORRECT, f"{share:.1%} correct; failures:\n{failures}"
