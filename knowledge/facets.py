"""Which facet a question asks, from the words citizens use for it (with or without diacritics).

The intent classifier learns facets from examples, but long questions that tell a story bury the few words that say
what is asked ("…, giờ làm khai sinh thì nộp ở đâu"), and "làm thế nào / thủ tục ra sao" reads to it like a general
question about the procedure. These cues are the deterministic second opinion the NLU (bot/nlu/facet_cues.py) uses.

- A *strong* cue names the facet ("lệ phí", "bao lâu", "ở đâu", "điều kiện", "các bước").
- A *weak* cue only says "how?" ("thế nào", "ra sao", "làm sao", "được không"); it decides only when no strong cue is
  present.
- When several facets have strong cues and the classifier chose none of them, the last one wins: Vietnamese
  questions end with what they ask ("sổ hồng in sai tên, muốn đính chính thì nộp ở đâu").
Cues inside a procedure's own name are not questions ("điều chỉnh thời hạn dự án", "trực tuyến toàn trình"): callers
pass the spans of recognised procedure mentions, and a few name-like phrases are masked here.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from knowledge.text import fold, repair_syllable

FACETS = ("documents", "fee", "time", "where", "online", "steps", "result", "legal_basis", "conditions")
OVERVIEW = "overview"  # the general question about a procedure
# The NLU intent that asks each facet (data/nlu, domain.yml): the one table the NLU override, the actions and the
# review export share.
INTENT_OF_FACET: dict[str, str] = {
    "documents": "ask_documents",
    "fee": "ask_fee",
    "time": "ask_processing_time",
    "where": "ask_where_to_submit",
    "online": "ask_online_submission",
    "steps": "ask_steps",
    "result": "ask_result",
    "legal_basis": "ask_legal_basis",
    "conditions": "ask_conditions",
    OVERVIEW: "ask_procedure",
}

# Chat spellings expanded before matching (folded). Only unambiguous ones: "k"/"ko" → "khong", "j" → "gi".
_EXPANSIONS = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "j": "gi", "ji": "gi",
    "dc": "duoc", "ntn": "nhu the nao", "bnhieu": "bao nhieu", "bao nhiu": "bao nhieu", "nhiu": "nhieu",
    "lm": "lam", "onl": "online", "oline": "online",
}

STRONG: dict[str, tuple[str, ...]] = {
    "fee": (
        "le phi", "lephi", "mat phi", "ton phi", "thu phi", "phi bao nhieu", "phi la", "phi gi", "phi khong",
        "mien phi", "bao nhieu tien", "nhieu tien", "khoan tien", "tien gi", "nhung khoan", "khoan phi", "may tien", "bn tien", "mat tien", "ton tien", "het tien",
        "tien bao nhieu", "tien phi", "gia bao nhieu", "nop tien", "dong tien", "ton kem", "mat bao nhieu",
        "het bao nhieu", "ton bao nhieu", "tra tien", "phai tra", "phai dong", "dong bao nhieu", "nop bao nhieu",
    ),
    "time": (
        "bao lau", "may ngay", "bao nhieu ngay", "may hom", "may tuan", "bao nhieu lau", "thoi han giai quyet",
        "thoi gian giai quyet", "thoi gian", "thoi han", "khi nao co", "khi nao xong", "khi nao nhan", "bao gio co",
        "bao gio xong", "bao gio nhan", "bao gio thi", "khi nao thi", "trong ngay", "lay luon", "lay ngay", "nhanh nhat",
        "may ngay lam viec", "lau khong", "co lien", "mat may",
    ),
    "where": (
        "o dau", "nop dau", "lam dau", "lam o dau", "cho nao", "noi nao", "noi nop", "co quan nao", "tai dau",
        "den dau", "di dau", "xa nao", "phuong nao", "dia chi nop", "dia chi o dau", "nop cho ai", "nop cho co quan",
        "o cho nao",
        "dau lam", "cua nao", "bo phan nao",
    ),
    "online": (
        "online", "truc tuyen", "tren mang", "qua mang", "vneid", "vssid", "dich vu cong", "tu xa", "qua app",
        "tren app",
        "ung dung", "internet", "dien thoai duoc", "nop mang", "khong can den", "khong phai den", "khong can ra",
        "khong phai ra", "o nha nop",
    ),
    "steps": (
        "cac buoc", "may buoc", "tung buoc", "trinh tu", "quy trinh", "cach lam", "cach thuc", "phai lam gi",
        "can lam gi", "lam gi de", "lam nhung gi", "huong dan", "thu tuc the nao", "thu tuc ra sao",
        "thu tuc nhu the nao", "thu tuc lam sao", "bat dau tu dau", "lam the nao", "lam nhu the nao", "lam sao",
        "lam ra sao", "nhung buoc", "buoc nao",
    ),
    "result": (
        "ket qua", "nhan duoc gi", "nhan duoc nhung gi", "nhan duoc giay gi", "duoc cap gi", "duoc cap nhung",
        "duoc nhan gi", "nhan lai gi", "cam ve", "duoc giay gi", "nhan giay gi", "duoc nhung gi",
        "duoc nhan nhung", "nhan nhung gi", "nhan bang cach nao", "duoc cap giay", "xong duoc", "xong nhan",
        "xong thi duoc", "xong thi nhan", "nhan duoc giay",
        # how long the result is valid is about the result, not the processing time
        "gia tri bao lau", "co gia tri bao lau", "gia tri trong bao lau", "co gia tri trong bao lau",
        "gia tri su dung bao lau", "gia tri su dung trong bao lau", "hieu luc bao lau", "hieu luc trong bao lau",
        "dung duoc bao lau", "su dung duoc bao lau", "co han bao lau", "han su dung",
    ),
    "legal_basis": (
        "can cu phap ly", "can cu vao", "can cu nao", "can cu van ban", "can cu gi", "co so phap ly", "phap ly",
        "luat nao", "nghi dinh nao", "thong tu nao", "van ban nao", "quy dinh nao", "theo luat", "theo nghi dinh",
        "quy dinh o dau", "quy dinh tai", "dieu luat", "van ban gi", "luat gi", "nghi dinh gi",
    ),
    "conditions": (
        "dieu kien", "ai duoc", "ai co the", "du tuoi chua", "du tuoi khong", "bao nhieu tuoi", "may tuoi", "doi tuong nao", "truong hop nao",
        "co duoc phep", "co duoc lam", "co duoc dang", "duoc phep khong", "phai dap ung", "tieu chuan",
        "ai phai", "co bat buoc", "dong y khong", "dong y chua", "phai co mat", "co mat khong",
    ),
    "documents": (
        "giay to gi", "giay to nao", "giay to can", "can giay to", "nhung giay to", "giay to nhu the nao",
        "ho so gom", "ho so gi", "ho so can", "ho so nhung", "ho so nhu the nao", "thanh phan ho so", "can gi",
        "can nhung gi", "can co gi", "can nhung giay", "can nhung", "mang gi", "mang theo", "mang nhung",
        "can mang", "chuan bi gi", "chuan bi nhung", "nop gi", "nop nhung gi", "giay gi", "can nop", "phai nop gi",
        "nop nhung", "cam theo", "can chuan bi", "to gi", "giay nao", "ho so nao", "chuan bi ho so", "gom gi",
        "gom nhung gi", "gom nhung", "nhung to", "co can giay", "co can van ban",
    ),
}
WEAK: dict[str, tuple[str, ...]] = {
    "steps": ("the nao", "ra sao", "thi sao", "nhu nao", "lam the", "the nao vay", "sao a", "sao ad"),
    "conditions": ("duoc khong", "co duoc", "duoc ko", "co phai"),
}
# Phrases that belong to procedure names or situations, never to the question.
_MASKED = (
    "truc tuyen toan trinh", "online toan trinh", "toan trinh", "chua bao gio", "chua tung", "khong bao gio",
    "het thoi han", "thoi han su dung", "co thoi han", "dieu chinh thoi han", "thoi han du an", "dich vu cong ich",
    "ket qua xet nghiem", "ket qua giam dinh", "khong du dieu kien", "chua du dieu kien", "doi dia chi",
    "thay doi dia chi", "chuyen dia chi",
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Punctuation that ends a clause. A clause that tells the story ("đã tự trả tiền viện phí,") asks nothing, even if
# it holds a facet word; a clause with a question word ("mất bao lâu,") is a question of its own.
_CLAUSE_BREAK = re.compile(r"[,;.!?]+(?=\s|$)")
CLAUSE = "_clause_"
_QUESTION_WORDS = frozenset({"khong", "chua", "gi", "nao", "dau", "sao", "lau", "nhieu", "may", "hong", "hem"})
# Words that, typed with their diacritics, cannot be the folded word a cue means: "nhưng" (but) is not "những"
# (which) of "những giấy tờ gì".
_NOT_THE_CUE_WORD = {"nhưng": "nhung_but"}


def _repaired(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """Cue phrases in the form user words take after `repair_syllable` ("app" → "ap", "lephi" → "le phi")."""
    return tuple(dict.fromkeys(" ".join(repair_syllable(w) for w in phrase.split()) for phrase in phrases))


STRONG = {facet: _repaired(phrases) for facet, phrases in STRONG.items()}
WEAK = {facet: _repaired(phrases) for facet, phrases in WEAK.items()}
_MASKED = _repaired(_MASKED)


@dataclass(frozen=True)
class FacetCues:
    strong: tuple[tuple[int, str], ...]  # (position of the cue's end, facet), in text order
    weak: tuple[tuple[int, str], ...]
    statements: tuple[tuple[int, int], ...] = ()  # (start, end) of clauses without a question word, before the last

    @property
    def strong_facets(self) -> set[str]:
        return {facet for _, facet in self.strong}

    @property
    def weak_facets(self) -> set[str]:
        return {facet for _, facet in self.weak}

    def choose(self, current: Optional[str] = None) -> Optional[str]:
        """The facet asked: the classifier's own facet when the cues allow it, else the last strong cue, else the
        last weak cue; None when the text has no cue."""
        if self.strong:
            if current in self.strong_facets and not self._only_in_statements(current):
                return current
            return self.strong[-1][1]
        if self.weak:
            if current in self.weak_facets:
                return current
            return self.weak[-1][1]
        return None


    def _only_in_statements(self, facet: str) -> bool:
        """Whether every cue of `facet` sits in a clause that asks nothing: then it is part of the story and the
        question is elsewhere ("đã tự trả tiền viện phí, giờ đòi bảo hiểm hoàn lại thì cần gì" asks the documents)."""
        ends = [end for end, f in self.strong if f == facet]
        return bool(ends) and all(any(start < end <= stop + 1 for start, stop in self.statements) for end in ends)


def _normalise(text: str, masked_spans: Sequence[tuple[int, int]]) -> str:
    """Folded words with chat spellings expanded; masked character spans (procedure mentions) become "|"."""
    chars = list(text)  # spans are offsets into the text as typed (NFC or NFD)
    for start, end in masked_spans:
        for index in range(max(0, start), min(len(chars), end)):
            chars[index] = " " if chars[index].isspace() else "|"
    marked = _CLAUSE_BREAK.sub(f" {CLAUSE} ", unicodedata.normalize("NFC", "".join(chars)))
    for word, replacement in _NOT_THE_CUE_WORD.items():
        marked = re.sub(rf"(?<!\w){word}(?!\w)", replacement, marked, flags=re.IGNORECASE)
    words = []
    for word in re.sub(r"[^0-9a-z_]+", " ", fold(marked).replace("|", " | ")).split():
        words.extend(_EXPANSIONS.get(word, repair_syllable(word)).split())
    joined = f" {' '.join(words)} "
    for phrase in _MASKED:
        joined = joined.replace(f" {phrase} ", " | ")
    return joined


def _find(joined: str, table: dict[str, tuple[str, ...]]) -> list[tuple[int, str]]:
    """(end, facet) of every cue in text order; of cues ending at the same place, the longest counts."""
    longest: dict[int, tuple[int, str]] = {}
    for facet, phrases in table.items():
        for phrase in phrases:
            needle = f" {phrase} "
            start = joined.find(needle)
            while start != -1:
                end = start + len(needle)
                if end not in longest or len(needle) > longest[end][0]:
                    longest[end] = (len(needle), facet)
                start = joined.find(needle, start + 1)
    return [(end, facet) for end, (_, facet) in sorted(longest.items())]


def facet_cues(text: str, masked_spans: Iterable[tuple[int, int]] = ()) -> FacetCues:
    """Strong and weak facet cues of a question, outside the given character spans (e.g. procedure mentions)."""
    joined = _normalise(text or "", list(masked_spans))
    strong = _find(joined, STRONG)
    if joined.startswith(" phi "):  # "phí chứng thực…": a bare leading "phí" asks the fee
        strong.insert(0, (5, "fee"))
    # a longer cue ending at the same place as a shorter one of another facet wins ("thu tuc the nao" is steps even if
    # "the nao" were weak for something else); weak cues inside a strong one are dropped
    strong_ends = {end for end, _ in strong}
    weak = [(end, facet) for end, facet in _find(joined, WEAK) if end not in strong_ends]
    return FacetCues(tuple(strong), tuple(weak), _statements(joined))


def _statements(joined: str) -> tuple[tuple[int, int], ...]:
    """Clauses (all but the last) with no question word, as (start, end) offsets in the normalised text."""
    out, start = [], 0
    for match in re.finditer(f" {CLAUSE} ", joined):
        words = set(joined[start:match.start()].split())
        if words and not words & _QUESTION_WORDS:
            out.append((start, match.start()))
        start = match.end() - 1
    return tuple(out)


def asked_facet(text: str, current: Optional[str] = None, masked_spans: Iterable[tuple[int, int]] = ()) -> Optional[str]:
    return facet_cues(text, masked_spans).choose(current)


def answer_facet(text: str, current: str, masked_spans: Iterable[tuple[int, int]] = ()) -> str:
    """The facet to answer: `current` (the classifier's facet, or "overview" for a general question) unless the
    question's words ask another one. A general question becomes a specific facet only on a strong cue or a "how?"
    ("thủ tục thế nào" is the steps); a bare "được không?" leaves it general."""
    if (text or "").lstrip().startswith("/"):  # a button's payload says its facet itself
        return current
    cues = facet_cues(text, masked_spans)
    chosen = cues.choose(None if current == "overview" else current)
    if chosen is None:
        return current
    if current == "overview" and not cues.strong and chosen != "steps":
        return current
    return chosen
