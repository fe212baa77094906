"""Reviewed unanswered questions as training data: NLU examples and colloquial names (search aliases).

`thutuc nlu export-reviewed` writes two generated files, both training inputs of `thutuc train`:

- `data/nlu/reviewed.yml`: each reviewed text as an example of its facet's intent (out of scope: `out_of_scope`),
  with the part that names the procedure annotated as the `procedure` entity;
- `knowledge/data/colloquial_reviewed.yml`: that part as a colloquial name of the chosen procedure, in the format of
  the curated colloquial table (knowledge/curated_schema.py reads both), so it becomes a search alias when the
  knowledge base is loaded and an entry of the NLU lookup (`data/nlu/lookup_procedures.yml`) when the model is
  trained — one way for a name to reach search and NLU.

The part that names the procedure is the longest run of words that are not facet cues (knowledge/facets.py: "lệ phí",
"bao lâu", "cần gì"…) or filler ("cho em hỏi", "ạ"), at least two words: a name, not a question, so "bao nhiêu
tiền" never becomes an alias of one procedure.

Nothing is written unless every item passes (all problems are listed, each naming its item): a text that still
looks like personal data (`base.privacy.mask_text` would change it), a text that is a held-out evaluation question
(review/heldout.py), a text already in the hand-written training data under another intent. The output depends only
on the decisions (sorted; no dates), so the same reviews give the same bytes and the same model hash.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import yaml

from base.privacy import mask_text
from knowledge.facets import INTENT_OF_FACET, STRONG, WEAK
from knowledge.text import fold, search_key
from analytics.misses import group_id, question_key
from review.heldout import held_out_keys, nlu_examples
from review.store import OVERVIEW, Review

NLU_FILE = "reviewed.yml"
ALIASES_FILE = "colloquial_reviewed.yml"  # knowledge.curated_schema.REVIEWED_COLLOQUIAL_FILE
OUT_OF_SCOPE_INTENT = "out_of_scope"
INTENT_BY_FACET: dict[str, str] = INTENT_OF_FACET  # knowledge/facets.py: the one facet → intent table
ALIAS_SOURCE = "Câu hỏi người dân bot chưa trả lời được, đã được cán bộ rà soát (thutuc nlu export-reviewed)."
MIN_ALIAS_WORDS = 2
# Folded words that ask, address or hedge rather than name (trimmed from both ends of a name).
_FILLER = frozenset(
    "a ad ah ak oi cho em e minh toi m t mk mik hoi xin hoi voi vay nhi nhe nha ne thi la gi khong ko k co can phai "
    "muon duoc dc roi nao sao the ma va hay hoac de di bi o tai o cua ban anh chi bac co chu oi giup".split()
)
_CHAT = {"ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "j": "gi", "ji": "gi", "dc": "duoc",
         "ntn": "nhu the nao", "bnhieu": "bao nhieu", "nhiu": "nhieu", "lm": "lam", "onl": "online"}
_WORD = re.compile(r"\w+", re.UNICODE)
_CUES: tuple[tuple[str, ...], ...] = tuple(sorted(
    {tuple(phrase.split()) for table in (STRONG, WEAK) for phrases in table.values() for phrase in phrases},
    key=lambda words: (-len(words), words),
))


class ExportRefused(ValueError):
    """The export wrote nothing; `problems` says why, one line per item (Vietnamese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Example:
    intent: str
    text: str  # as reviewed (masked)
    span: Optional[tuple[int, int]] = None  # the procedure name inside `text`
    code: Optional[str] = None

    def annotated(self) -> str:
        if self.span is None:
            return self.text
        start, end = self.span
        return f"{self.text[:start]}[{self.text[start:end]}](procedure){self.text[end:]}"


@dataclass
class Export:
    examples: list[Example] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # folded phrase → codes
    spellings: dict[str, str] = field(default_factory=dict)  # folded phrase → the spelling written
    skipped: list[str] = field(default_factory=list)  # notes for the operator (already known texts)

    @property
    def texts(self) -> list[str]:
        return [example.text for example in self.examples]


def procedure_span(text: str) -> Optional[tuple[int, int]]:
    """Character span of the words that name the procedure: the longest run without facet cues, fillers trimmed."""
    words = [(m.start(), m.end(), fold(m.group(0))) for m in _WORD.finditer(text)]
    expanded: list[tuple[int, str]] = []  # (index of the original word, folded word)
    for index, (_, _, folded) in enumerate(words):
        for part in _CHAT.get(folded, folded).split():
            expanded.append((index, part))
    cue = [False] * len(words)
    folded_words = [w for _, w in expanded]
    for phrase in _CUES:
        size = len(phrase)
        for start in range(len(folded_words) - size + 1):
            if tuple(folded_words[start:start + size]) == phrase:
                for position in range(start, start + size):
                    cue[expanded[position][0]] = True
    best: Optional[tuple[int, int]] = None
    index = 0
    while index < len(words):
        if cue[index]:
            index += 1
            continue
        end = index
        while end < len(words) and not cue[end]:
            end += 1
        first, last = index, end - 1
        while first <= last and words[first][2] in _FILLER:
            first += 1
        while last >= first and words[last][2] in _FILLER:
            last -= 1
        if last - first + 1 >= MIN_ALIAS_WORDS and (best is None or last - first > best[1] - best[0]):
            best = (first, last)
        index = end
    if best is None:
        return None
    return words[best[0]][0], words[best[1]][1]


def training_examples(nlu_dir: Path, exclude: Iterable[Path] = ()) -> dict[str, set[str]]:
    """Folded text → intents of the hand-written NLU training examples (the generated reviewed file excluded)."""
    skip = {p.resolve() for p in exclude}
    found: dict[str, set[str]] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        if path.resolve() in skip:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent, text in nlu_examples(data if isinstance(data, dict) else {}):
            found.setdefault(question_key(text), set()).add(intent)
    return found


def build_export(reviews: Sequence[Review], held_out: dict[str, str], trained: dict[str, set[str]],
                 colloquial: Iterable[str] = ()) -> Export:
    """The examples and aliases of `reviews`; raises ExportRefused listing every item that must not be exported."""
    problems: list[str] = []
    result = Export()
    known_phrases = {search_key(p) for p in colloquial}
    examples: dict[tuple[str, str], Example] = {}
    for review in reviews:
        first = mask_text(review.texts[0] if review.texts else review.group_key)
        item = f"mục {review.group_id} («{_short(first)}»)"
        if not review.out_of_scope and (review.facet not in INTENT_BY_FACET or not review.procedure_code):
            problems.append(f"{item}: quyết định không đầy đủ (thiếu thủ tục hoặc khía cạnh).")
            continue
        intent = OUT_OF_SCOPE_INTENT if review.out_of_scope else INTENT_BY_FACET[review.facet]
        for text in review.texts:
            key = question_key(text)
            masked = mask_text(text)
            if masked != text:  # named by its id and its masked form: the message must not repeat the data
                problems.append(f"mục {review.group_id}: câu «{_short(masked)}» còn thông tin cá nhân chưa được che "
                                "(số điện thoại, số giấy tờ, email, mã hồ sơ…, ở chỗ ****); không xuất. Hãy bỏ "
                                "quyết định của mục này.")
                continue
            if key in held_out:
                problems.append(f"{item}: câu «{_short(text)}» trùng một câu của bộ đánh giá giữ riêng "
                                f"({held_out[key]}); không bao giờ đưa vào dữ liệu huấn luyện. Hãy bỏ quyết định "
                                "của mục này.")
                continue
            intents = trained.get(key, set())
            if intents and intents != {intent}:
                problems.append(f"{item}: câu «{_short(text)}» đã có trong dữ liệu huấn luyện với ý định "
                                f"{', '.join(sorted(intents))}, khác với {intent}; hãy sửa dữ liệu huấn luyện hoặc "
                                "quyết định.")
                continue
            if intents:
                result.skipped.append(f"{item}: câu «{_short(text)}» đã có trong dữ liệu huấn luyện, bỏ qua.")
                continue
            span = None if review.out_of_scope else procedure_span(text)
            if span is not None:
                phrase = text[span[0]:span[1]]
                phrase_key = search_key(phrase)
                if phrase_key in held_out:
                    span = None  # the name alone is a held-out text: the example stays, the name is not learnt
                elif phrase_key not in known_phrases:
                    codes = result.aliases.setdefault(phrase_key, [])
                    if review.procedure_code not in codes:
                        codes.append(review.procedure_code)
                    current = result.spellings.get(phrase_key)
                    if current is None or _spelling_rank(phrase) < _spelling_rank(current):
                        result.spellings[phrase_key] = phrase
            examples.setdefault((intent, key), Example(intent, text, span, review.procedure_code))
    if problems:
        raise ExportRefused(problems)
    result.examples = sorted(examples.values(), key=lambda e: (e.intent, question_key(e.text), e.text))
    return result


def _spelling_rank(phrase: str) -> tuple[int, str]:
    """Of two spellings of one name, the one with diacritics is written (the loader adds the folded form itself)."""
    return -sum(1 for char in phrase if ord(char) > 127), phrase


def render_nlu(export: Export, source: str) -> str:
    lines = [
        "# Generated by `thutuc nlu export-reviewed` from the operators' reviews of unanswered questions",
        f"# ({source}; /admin/misses). Do not edit by hand: review again, undo, or export again instead.",
        'version: "3.1"',
    ]
    by_intent: dict[str, list[Example]] = {}
    for example in export.examples:
        by_intent.setdefault(example.intent, []).append(example)
    if not by_intent:
        return "\n".join(lines + ["nlu: []"]) + "\n"
    lines.append("nlu:")
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example.annotated()}" for example in by_intent[intent]]
    return "\n".join(lines) + "\n"


def render_aliases(export: Export, source: str) -> str:
    lines = [
        "# Generated by `thutuc nlu export-reviewed` from the operators' reviews of unanswered questions",
        f"# ({source}; /admin/misses). Do not edit by hand. Rows as in colloquial.yml: each phrase becomes a search",
        "# alias of its procedures when `thutuc kb load` runs and an NLU lookup entry when `thutuc train` runs.",
    ]
    if not export.aliases:
        return "\n".join(lines + ["colloquial: []"]) + "\n"
    lines.append("colloquial:")
    for key in sorted(export.aliases):
        phrase = export.spellings.get(key, key)
        codes = ", ".join(f'"{code}"' for code in sorted(export.aliases[key]))
        lines += [f"  - phrase: {_yaml_string(phrase)}", f"    codes: [{codes}]", f"    source: {ALIAS_SOURCE}"]
    return "\n".join(lines) + "\n"


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_export(reviews: Sequence[Review], nlu_path: Path, aliases_path: Path, project_root: Path,
                 colloquial_path: Optional[Path], source: str = "bảng review_decisions") -> Export:
    """Check everything, then write both files (only when their content changed); raises ExportRefused."""
    held_out = held_out_keys(project_root)
    trained = training_examples(nlu_path.parent, exclude=[nlu_path])
    colloquial: list[str] = []
    if colloquial_path is not None and colloquial_path.exists():
        data = yaml.safe_load(colloquial_path.read_text(encoding="utf-8")) or {}
        colloquial = [str(row.get("phrase")) for row in data.get("colloquial") or [] if isinstance(row, dict)]
    export = build_export(reviews, held_out, trained, colloquial)
    for path, text in ((nlu_path, render_nlu(export, source)), (aliases_path, render_aliases(export, source))):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return export


__all__ = ["Export", "ExportRefused", "INTENT_BY_FACET", "build_export", "group_id", "procedure_span",
           "render_aliases", "render_nlu", "write_export"]
