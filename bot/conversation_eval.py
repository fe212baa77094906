"""Judge end-to-end answers: does the reply name an acceptable procedure and answer the asked facet?

Facet answers are recognised by the section each renderer writes (actions/templates.py), so the judge and the bot
cannot drift apart silently. Question files come in two shapes: `{text, code, facet}` (tests/e2e/questions.yml) and
`{text, codes: [...], facet}` (tests/e2e/questions_commune.yml); both load into the second.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import yaml

from actions import templates as T
from base.settings import PROJECT_ROOT

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
REFERENCE_DIR = Path("shared") / "reference" / "dvcqg"


@dataclass(frozen=True)
class QuestionResult:
    text: str
    codes: tuple[str, ...]
    facet: str
    reply: str
    right_procedure: bool
    right_facet: bool
    seconds: float

    @property
    def code(self) -> str:
        return self.codes[0]

    @property
    def correct(self) -> bool:
        return self.right_procedure and self.right_facet


def load_questions(path: Path) -> list[dict]:
    """Questions with `codes` (a tuple) whichever shape the file uses; `code` stays as the first acceptable code."""
    questions = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
        codes = tuple(str(c) for c in (item.get("codes") or [item["code"]]))
        questions.append({**item, "codes": codes, "code": codes[0]})
    return questions


def judge(reply: str, codes, facet: str) -> tuple[bool, bool]:
    codes = (codes,) if isinstance(codes, str) else tuple(codes)
    return (any(f"(mã {code})" in reply for code in codes),
            any(marker in reply for marker in FACET_MARKERS[facet]))


def run_questions(send: Callable[[str, str], list[dict]], questions: list[dict]) -> list[QuestionResult]:
    """Each question opens a fresh conversation, as a citizen arriving with one question would."""
    results = []
    for number, question in enumerate(questions):
        started = time.perf_counter()
        replies = send(question["text"], f"eval-{number}-{int(started * 1000)}")
        seconds = time.perf_counter() - started
        reply = "\n".join(r.get("text", "") for r in replies)
        codes = tuple(question.get("codes") or (question["code"],))
        right_procedure, right_facet = judge(reply, codes, question["facet"])
        results.append(QuestionResult(question["text"], codes, question["facet"], reply,
                                      right_procedure, right_facet, seconds))
    return results


def reference_file(name: str) -> Optional[Path]:
    """A national-catalogue file of ../shared/reference/dvcqg: beside the checkout (CI, the main checkout) or beside
    one of its parents (a git worktree under a sub-directory); None when shared/ is absent."""
    for parent in PROJECT_ROOT.resolve().parents:
        candidate = parent / REFERENCE_DIR / name
        if candidate.exists():
            return candidate
    return None
