"""Variant procedures: the words that tell "correct my birth certificate" from "register a birth".

Many procedures are variants of a base one (Đăng ký khai sinh → Đăng ký lại khai sinh, … có yếu tố nước ngoài,
… lưu động; Cấp thẻ căn cước → Cấp lại / Cấp đổi thẻ căn cước). Their names share the base's words, so a question
that says what it wants done ("ghi sai muốn sửa", "bị mất xin lại", "nghỉ tạm 3 tháng") must steer to the variant,
and a question that says nothing of the kind must stay with the base procedure.

Each variant kind has markers (folded phrases found in a procedure's name) and cues (folded phrases citizens use).
Search (knowledge/search.py) re-ranks its best candidates with `variant_factor`:
- an *action* kind (what is done: re-issue, exchange, correct, copy, suspend, terminate, extend, register again,
  remove) — a candidate whose name has an action the question asks gets a bonus; a candidate whose name has only
  actions the question does not ask gets a penalty (several actions in one name are alternatives: "Cấp lại, cấp đổi");
- a *qualifier* kind (who or where: foreign element, border area, mobile registration, abroad, fully online) — each
  qualifier of the name is rewarded when asked and penalised when not (they combine: "có yếu tố nước ngoài tại khu
  vực biên giới").
A cue may ask for several kinds ("bị mất, xin lại" is a re-issue of a card but a copy of a civil-status paper): the
words of the procedure decide between them. Cues are matched on whole words, folded, but where the question carries diacritics they must agree ("sửa" is not
"sữa"); words that only look like a cue are masked first ("sửa chữa" is a repair, "trà sữa" a drink); ambiguous
everyday words ("mất" is also "died" and "costs") are only cues in unambiguous phrases.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from knowledge.text import contains_phrase, cue_tokens

ACTION, QUALIFIER = "action", "qualifier"
BONUS = 1.35  # a variant the question asks for
PENALTY = 0.75  # a variant the question does not ask for
MISSING = 0.85  # the base procedure when the question asks for a variant that another candidate is


@dataclass(frozen=True)
class VariantKind:
    name: str
    role: str  # ACTION | QUALIFIER
    markers: tuple  # phrases in a procedure's name (cue_tokens form)
    cues: tuple  # phrases in a question that ask for this variant
    soft_cues: tuple = ()  # phrases that do not ask for it, but do not rule it out either


def _k(text: str) -> tuple[tuple[str, str], ...]:
    return cue_tokens(text)


def _kind(name: str, role: str, markers: tuple[str, ...], cues: tuple[str, ...],
          soft_cues: tuple[str, ...] = ()) -> VariantKind:
    return VariantKind(name, role, tuple(_k(m) for m in markers), tuple(_k(c) for c in cues),
                       tuple(_k(c) for c in soft_cues))


# Countries citizens name; a bare one-syllable name is ambiguous ("pháp lý", "chủ nhật", "thái độ"), so cues are built
# with a word that makes it a country ("người Nhật", "bên Úc", "quốc tịch Pháp").
_COUNTRIES = (
    "mỹ", "hàn", "hàn quốc", "nhật", "nhật bản", "trung quốc", "đài loan", "pháp", "đức", "úc", "canada", "lào",
    "campuchia", "cam pu chia", "thái", "thái lan", "nga", "singapore", "malaysia", "indonesia", "philippines",
    "ấn độ", "hà lan", "thụy điển", "na uy", "đan mạch", "new zealand", "ba lan", "séc", "hồng kông", "triều tiên",
    "mông cổ", "anh quốc", "ý", "anh",
)
_UNAMBIGUOUS_ALONE = ("hàn quốc", "nhật bản", "trung quốc", "đài loan", "canada", "campuchia", "cam pu chia",
                      "thái lan", "singapore", "malaysia", "indonesia", "philippines", "ấn độ", "hà lan", "thụy điển",
                      "na uy", "đan mạch", "new zealand", "ba lan", "hồng kông", "triều tiên", "mông cổ", "anh quốc")
_PERSON = ("người", "quốc tịch", "nước", "vợ", "chồng", "bố", "mẹ", "cha", "ba", "bạn trai", "bạn gái")
_PLACE = ("ở", "bên", "tại", "sang", "qua", "nước", "tòa án")
_ABROAD = ("ở", "bên", "tại", "tòa án")  # where something was done: "kết hôn ở Mỹ", not "lấy chồng Mỹ"
_SAFE_WITH_ANY = {"anh": ("nước", "quốc tịch", "người anh quốc"), "ý": ("nước", "quốc tịch", "người")}


def _country_cues(prefixes: tuple[str, ...], alone: bool = True) -> tuple[str, ...]:
    cues = list(_UNAMBIGUOUS_ALONE) if alone else []
    for country in _COUNTRIES:
        allowed = _SAFE_WITH_ANY.get(country, prefixes)
        cues += [f"{prefix} {country}" for prefix in prefixes if prefix in allowed]
    return tuple(cues)


KINDS: tuple[VariantKind, ...] = (
    _kind("reissue", ACTION, ("cấp lại", "làm lại"), (
        "cấp lại", "làm lại", "xin lại", "xin cấp lại", "bị mất", "làm mất", "đánh mất", "đánh rơi", "bị rơi",
        "thất lạc", "bị hỏng", "bị rách", "bị cháy", "bị nhòe", "bị mờ", "hư hỏng", "mất giấy", "mất thẻ", "mất sổ",
        "mất bản", "mất cà vẹt", "mất căn cước", "mất cccd", "mất bằng", "rách nát", "bị trộm", "mất trộm",
    )),
    _kind("exchange", ACTION, ("cấp đổi", "đổi chứng nhận", "đổi thẻ", "đổi giấy", "đổi biển"), (
        "cấp đổi", "đổi thẻ", "đổi sang thẻ", "đổi giấy", "đổi sang", "đổi biển", "đổi cà vẹt", "đổi căn cước",
        "đổi cccd", "đổi lại", "hết hạn", "đổi mới", "thẻ mới", "đổi cái mới",
    )),
    _kind("correction", ACTION, (
        "thay đổi", "cải chính", "bổ sung", "đính chính", "điều chỉnh", "sửa đổi", "hiệu đính", "cập nhật",
        "xác định lại", "sửa lỗi",
    ), (
        "sửa", "sửa lại", "chỉnh sửa", "ghi sai", "bị sai", "in sai", "viết sai", "sai tên", "sai họ", "sai ngày",
        "sai năm", "sai thông tin", "sai sót", "nhầm", "ghi nhầm", "in nhầm", "cải chính", "đính chính",
        "thay đổi", "điều chỉnh", "bổ sung", "cập nhật", "hiệu đính", "đổi tên", "đổi họ", "đổi dân tộc",
        "xác định lại", "sửa đổi", "sửa lỗi", "đổi địa chỉ", "đổi người", "đổi chủ", "chuyển địa chỉ", "hủy",
        "hủy bỏ",
    )),
    _kind("copy", ACTION, ("bản sao", "trích lục", "sao từ sổ"), (
        "bản sao", "trích lục", "sao y", "photo", "phô tô", "sao lục", "bản copy", "sao lại", "thêm bản",
        # a lost or damaged original of a civil-status paper is replaced by a copy from the register
        "xin lại", "làm mất", "bị mất", "đánh mất", "thất lạc", "mất bản chính", "bị rách", "bị cháy", "bị hỏng",
    )),
    _kind("suspend", ACTION, ("tạm ngừng", "tạm dừng", "tiếp tục kinh doanh"), (
        "tạm ngừng", "tạm dừng", "tạm nghỉ", "nghỉ tạm", "ngừng tạm", "đóng cửa tạm", "tạm đóng cửa",
        "tạm thời nghỉ", "nghỉ bán", "ngừng bán", "nghỉ kinh doanh", "kinh doanh lại", "mở lại", "bán lại",
        "hoạt động lại", "hoạt động trở lại", "tiếp tục kinh doanh",
    )),
    _kind("terminate", ACTION, ("chấm dứt", "thôi làm", "dừng thực hiện", "thu hồi"), (
        "chấm dứt", "giải thể", "đóng cửa hẳn", "ngừng hẳn", "nghỉ hẳn", "nghỉ luôn", "dẹp", "không kinh doanh nữa",
        "không buôn bán nữa", "không bán nữa", "thôi làm", "xin thôi", "thôi không", "dừng hẳn", "kết thúc",
        "đủ tuổi thành niên", "đủ 18 tuổi", "thu hồi", "nộp lại", "dừng thủ tục", "rút hồ sơ", "không làm nữa",
        "thôi giám hộ", "thôi giám sát", "thôi kinh doanh", "thôi bán", "thôi buôn bán",
    )),
    _kind("extend", ACTION, ("gia hạn", "ký lại hợp đồng"), (
        "gia hạn", "hết hạn", "sắp hết hạn", "quá hạn", "hết thời hạn", "kéo dài", "xin thêm thời gian", "ký lại hợp đồng",
        "xin thêm", "thêm thời hạn", "thêm thời gian",
        "tiếp tục thuê", "ở tiếp", "ở thêm", "ở lại thêm",
    )),
    _kind("reregister", ACTION, ("đăng ký lại",), (
        "đăng ký lại", "đăng kí lại", "dki lại", "dk lại", "làm lại", "khai lại", "mất sổ", "sổ gốc mất",
        "sổ bị mất", "không còn sổ", "sổ hộ tịch mất", "sổ cũng mất", "sổ đều mất", "không còn lưu",
        "sổ hộ tịch bị mất", "sổ gốc bị mất", "sổ lưu bị mất", "mất cả sổ",
    )),
    _kind("again", ACTION, ("tiếp tục bị", "tái phát", "lần thứ hai"), (
        "lại bị", "bị lại", "tái phát", "tiếp tục bị", "lần thứ hai", "lần thứ 2", "lần nữa", "thêm lần nữa",
    )),
    _kind("remove", ACTION, ("xóa",), (
        "xóa", "cắt khẩu", "cắt hộ khẩu", "hủy đăng ký", "xóa tên", "xóa hộ khẩu", "cắt tạm trú", "hủy tạm trú",
        "bỏ tên", "gạch tên", "khỏi hộ khẩu", "khỏi sổ hộ khẩu",
    )),
    _kind("foreign", QUALIFIER, ("yếu tố nước ngoài", "người nước ngoài", "nước ngoài"), (
        "nước ngoài", "người nước ngoài", "yếu tố nước ngoài", "ngoại quốc", "việt kiều", "quốc tịch nước ngoài",
        "người tây", "ông tây", "bà tây", "con lai", *_country_cues(_PERSON + _PLACE),
    )),
    _kind("border", QUALIFIER, ("khu vực biên giới", "biên giới", "láng giềng"), (
        "biên giới", "láng giềng", "giáp biên",
    )),
    _kind("mobile", QUALIFIER, ("lưu động",), (
        "lưu động", "tại nhà", "đến nhà", "xuống tận", "về tận", "tận nơi", "tận bản", "tận thôn", "không đi được",
        "không thể đi", "ốm nặng", "bệnh nặng", "nằm liệt",
    )),
    _kind("abroad", QUALIFIER, ("ở nước ngoài", "đã giải quyết ở nước ngoài", "đăng ký ở nước ngoài"), (
        "ở nước ngoài", "bên nước ngoài", "tại nước ngoài", "ghi chú", "ghi vào sổ", "tòa án nước ngoài",
        "cơ quan nước ngoài", *_country_cues(_ABROAD, alone=False),
    )),
    _kind("fully_online", QUALIFIER, ("trực tuyến toàn trình", "toàn trình"), ("toàn trình",), (
        "online", "trực tuyến", "trên mạng", "qua mạng", "vneid", "dịch vụ công", "qua app", "qua bưu điện",
        "qua bưu chính",
    )),
)
_BY_NAME = {kind.name: kind for kind in KINDS}
# Phrases that contain a cue's words without meaning it; removed from a question before cues are looked for.
NOT_CUES = tuple(_k(p) for p in (
    "sửa chữa", "sửa nhà", "sửa lại nhà", "sửa căn nhà", "sửa lại căn nhà", "sửa sang", "trà sữa", "sữa chua", "sữa bột", "mất bao", "mất mấy", "mất phí", "mất tiền",
    "mất thời gian", "đổi mới sáng tạo", "chuyển đổi mục đích", "chuyển đổi", "bổ sung hồ sơ", "bổ sung giấy tờ",
    "làm lại từ đầu", "xin thêm bản", "hủy tạm trú", "hủy đăng ký tạm trú",
    # where a birth or a death happened is not a mobile registration (the official coming to the family)
    "mất tại nhà", "chết tại nhà", "qua đời tại nhà", "sinh tại nhà", "đẻ tại nhà", "sinh con tại nhà",
    # going abroad is a purpose ("giấy tờ để đi nước ngoài"), not a foreign element of the civil-status event
    "đi nước ngoài", "ra nước ngoài", "sang nước ngoài", "xuất cảnh",
    # "nộp ở tiếp nhận" is where to hand in, not staying longer
    "ở tiếp nhận", "ở bộ phận tiếp nhận",
))


def _contains(tokens, phrase) -> bool:
    return contains_phrase(tokens, phrase)


def _mask(tokens: tuple) -> tuple:
    """The question's words with NOT_CUES phrases replaced by a separator."""
    tokens = list(tokens)
    for phrase in NOT_CUES:
        size = len(phrase)
        start = 0
        while start + size <= len(tokens):
            if contains_phrase(tuple(tokens[start:start + size]), phrase):
                tokens[start:start + size] = [("|", "")]
            start += 1
    return tuple(tokens)


@dataclass(frozen=True)
class Asked:
    """The variant kinds a question asks for (`kinds`) and those it leaves open (`open`, soft cues)."""

    kinds: frozenset[str] = frozenset()
    open: frozenset[str] = frozenset()


@lru_cache(maxsize=8192)
def name_variants(name: str) -> frozenset[str]:
    """Variant kinds a procedure's name marks. Only its first part counts: after a ";" a name lists a second
    procedure it also covers ("Giao đất, cho thuê đất, chuyển mục đích sử dụng đất; gia hạn sử dụng đất")."""
    key = _mask(_k(name.split(";")[0]))  # masked like questions, so both sides read "ra nước ngoài" alike
    return frozenset(kind.name for kind in KINDS if any(_contains(key, marker) for marker in kind.markers))


def _by_first_word() -> dict[str, list[tuple[str, bool, tuple]]]:
    table: dict[str, list[tuple[str, bool, tuple]]] = {}
    for kind in KINDS:
        for soft, phrases in ((False, kind.cues), (True, kind.soft_cues)):
            for phrase in phrases:
                if phrase:
                    table.setdefault(phrase[0][0], []).append((kind.name, soft, phrase))
    return table


_CUES_BY_FIRST_WORD = _by_first_word()


@lru_cache(maxsize=4096)
def query_variants(text: str) -> Asked:
    """Variant kinds a question asks for, and those it mentions softly.

    When the question names an action by a procedure's own word ("đăng ký lại", "cấp đổi", "gia hạn"), the actions
    only implied by its other words ("… sổ bị mất" could also ask for a copy) are dropped: the citizen said which."""
    key = _mask(_k(text[:500]))
    kinds, soft = set(), set()
    for start, (folded, _) in enumerate(key):
        for name, is_soft, phrase in _CUES_BY_FIRST_WORD.get(folded, ()):
            if (soft if is_soft else kinds).__contains__(name):
                continue
            if contains_phrase(key[start:start + len(phrase)], phrase):
                (soft if is_soft else kinds).add(name)
    # a marker that is also a cue of another asked action does not name one ("làm lại" is a re-issue of a card and
    # the re-registration of a civil-status event): then the other words decide
    named = {name for name in kinds if _BY_NAME[name].role == ACTION
             and any(contains_phrase(key, marker) and not _cue_of_other(marker, name, kinds)
                     for marker in _BY_NAME[name].markers)}
    if named:
        kinds = {name for name in kinds if _BY_NAME[name].role != ACTION or name in named}
    return Asked(frozenset(kinds), frozenset(soft - kinds))


def _cue_of_other(marker: tuple, name: str, kinds: set[str]) -> bool:
    return any(marker in _BY_NAME[other].cues for other in kinds if other != name and _BY_NAME[other].role == ACTION)


def marker_words(kinds: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words and word pairs of the markers of these kinds: when a question asks for a variant in its own
    words ("lấy chồng Đài Loan"), the variant's marker words ("có yếu tố nước ngoài") count as said."""
    words: set[str] = set()
    pairs: set[str] = set()
    for name in kinds:
        for marker in _BY_NAME[name].markers:
            folded = [f for f, _ in marker]
            words.update(folded)
            pairs.update(f"{a} {b}" for a, b in zip(folded, folded[1:]))
    return frozenset(words), frozenset(pairs)


def variant_factor(doc_kinds: frozenset[str], asked: Asked, offered: frozenset[str] = frozenset()) -> float:
    """How much a candidate's score is multiplied by, given its variant kinds, what the question asks, and the kinds
    the other candidates offer (a base procedure yields to a variant that is asked for and on offer)."""
    factor = 1.0
    actions = {k for k in doc_kinds if _BY_NAME[k].role == ACTION}
    if not actions and any(_BY_NAME[k].role == ACTION for k in asked.kinds & offered):
        factor *= MISSING  # the question asks for an action this candidate is not, and another one is
    if actions:
        if actions & asked.kinds:
            factor *= BONUS
        elif not actions & asked.open:
            factor *= PENALTY
    # who or where is asked ("chồng Đài Loan", "ở tận bản") and another candidate is that variant: this one is not
    if any(_BY_NAME[k].role == QUALIFIER for k in (asked.kinds & offered) - doc_kinds):
        factor *= MISSING
    for kind in doc_kinds - actions:
        if kind in asked.kinds:
            factor *= BONUS
        elif kind not in asked.open:
            factor *= PENALTY
    return factor
