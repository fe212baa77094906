"""Judge end-to-end answers: does the reply name the expected procedure and answer the asked facet?

Facet answers are recognised by the section each renderer writes (actions/templates.py), so the judge and the bot
cannot drift apart silently.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from actions import templates as T

FACET_MARKERS: dict[str, tuple[str, ...]] = {
    "documents": (T.DOCUMENTS_INTRO, T.NO_DATA["documents"]),
    "fee": (T.FEE_INTRO,),
    "time": (T.TIME_INTRO, T.NO_DATA["time"]),
    "where": (T.WHERE_INTRO, T.NO_DATA["where"]),
    "online": ("nộp trực tuyến được", "chưa nộp trực tuyến được"),
    "steps": (T.STEPS_INTRO, T.NO_DATA["steps"]),
    "result": (T.RESULT_INTRO, T.NO_DATA["result"]),
    "legal_basis": (T.LEGAL_INTRO, T.NO_DATA["legal_basis"]),
    "conditions": (T.CONDITIONS_INTRO, T.NO_DATA["conditions"], "Đối tượng thực hiện:"),
}


@dataclass(frozen=True)
class QuestionResult:
    text: str
    code: str
    facet: str
    reply: str
    right_procedure: bool
    right_facet: bool
    seconds: float

    @property
    def correct(self) -> bool:
        return self.right_procedure and self.right_facet


def load_questions(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def judge(reply: str, code: str, facet: str) -> tuple[bool, bool]:
    return f"(mã {code})" in reply, any(marker in reply for marker in FACET_MARKERS[facet])


def run_questions(send: Callable[[str, str], list[dict]], questions: list[dict]) -> list[QuestionResult]:
    """Each question opens a fresh conversation, as a citizen arriving with one question would."""
    results = []
    for number, question in enumerate(questions):
        started = time.perf_counter()
        replies = send(question["text"], f"eval-{number}-{int(started * 1000)}")
        seconds = time.perf_counter() - started
        reply = "\n".join(r.get("text", "") for r in replies)
        right_procedure, right_facet = judge(reply, question["code"], question["facet"])
        results.append(QuestionResult(question["text"], question["code"], question["facet"], reply,
                                      right_procedure, right_facet, seconds))
    return results
