"""Variant procedures: the words that steer a question to "cấp lại", "cải chính", "có yếu tố nước ngoài"… and away."""
from __future__ import annotations

import pytest

from knowledge.variants import Asked, name_variants, query_variants, variant_factor, BONUS, PENALTY, MISSING


@pytest.mark.parametrize(
    "name, kinds",
    [
        ("Đăng ký khai sinh", set()),
        ("Đăng ký lại khai sinh", {"reregister"}),
        ("Cấp lại thẻ căn cước", {"reissue"}),
        ("Cấp đổi thẻ căn cước", {"exchange"}),
        ("Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc", {"correction"}),
        ("Cấp bản sao trích lục hộ tịch, bản sao giấy khai sinh", {"copy"}),
        ("Tạm ngừng, tiếp tục kinh doanh của hộ kinh doanh", {"suspend"}),
        ("Chấm dứt hoạt động hộ kinh doanh", {"terminate"}),
        ("Gia hạn tạm trú", {"extend"}),
        ("Đăng ký khai sinh có yếu tố nước ngoài tại khu vực biên giới", {"foreign", "border"}),
        ("Đăng ký khai tử lưu động", {"mobile"}),
        ("Hưởng chế độ TNLĐ, BNN khi tiếp tục bị tai nạn, bệnh nghề nghiệp", {"again"}),
        ("Đăng ký xe lần đầu trực tuyến toàn trình (xe nhập khẩu)", {"fully_online"}),
        # after ";" a name lists a second procedure it covers: not a variant of the first
        ("Giao đất, cho thuê đất, chuyển mục đích sử dụng đất; gia hạn sử dụng đất", set()),
    ],
)
def test_name_variants(name, kinds):
    assert name_variants(name) == frozenset(kinds)


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("làm khai sinh cho con cần gì", set()),
        ("khai sinh ghi sai ngày sinh muốn sửa lại", {"correction"}),
        ("khai sinh ghi sai ngay sinh muon sua lai", {"correction"}),
        ("làm mất thẻ căn cước, xin lại ở đâu", {"reissue", "copy"}),
        ("hộ kinh doanh muốn nghỉ tạm 3 tháng", {"suspend"}),
        ("không buôn bán nữa, đóng cửa hẳn cửa hàng", {"terminate"}),
        ("tạm trú sắp hết hạn", {"extend", "exchange"}),
        ("đăng ký lại kết hôn", {"reregister"}),
        ("chồng em người Hàn, làm khai sinh cho con", {"foreign"}),
        ("xã biên giới", {"border"}),
        ("đã kết hôn ở Mỹ, về nước ghi chú kết hôn", {"abroad", "foreign"}),
        # look-alike words are not cues
        ("mở quán trà sữa cần đăng ký hộ kinh doanh", set()),
        ("xin phép sửa chữa nhà", set()),
        ("muốn sửa lại nhà cấp 4", set()),
        ("làm khai sinh mất bao nhiêu tiền", set()),
        ("tư vấn pháp lý", set()),
    ],
)
def test_query_variants(question, kinds):
    assert query_variants(question).kinds == frozenset(kinds)


def test_diacritics_tell_look_alikes_apart_but_plain_text_matches_both():
    assert "correction" not in query_variants("trà sữa").kinds
    assert "correction" in query_variants("muốn sửa tên").kinds
    assert "correction" in query_variants("muon sua ten").kinds


def test_online_words_leave_the_fully_online_variant_open_without_asking_for_it():
    asked = query_variants("đăng ký xe máy mới online được không")
    assert "fully_online" not in asked.kinds and "fully_online" in asked.open
    assert variant_factor(frozenset({"fully_online"}), asked) == 1.0
    assert variant_factor(frozenset({"fully_online"}), Asked()) == PENALTY


def test_factor_rewards_asked_variants_penalises_unasked_and_lets_the_base_yield():
    asked = query_variants("giấy khai sinh ghi sai muốn sửa")
    assert variant_factor(frozenset({"correction"}), asked) == BONUS
    assert variant_factor(frozenset({"reregister"}), asked) == PENALTY
    # alternatives in one name: one asked action is enough
    assert variant_factor(frozenset({"reissue", "exchange"}), query_variants("cấp lại giấy chứng nhận")) == BONUS
    # qualifiers combine
    foreign = query_variants("bố là người Pháp")
    assert variant_factor(frozenset({"foreign", "border"}), foreign) == pytest.approx(BONUS * PENALTY)
    # the base procedure yields only when another candidate offers the asked action
    assert variant_factor(frozenset(), asked, offered=frozenset({"correction"})) == MISSING
    assert variant_factor(frozenset(), asked, offered=frozenset()) == 1.0
    # … also when it is a variant by qualifier only ("kết hôn có yếu tố nước ngoài" when "đăng ký lại" is asked)
    again = query_variants("vợ người Thái, giấy và sổ đều mất, đăng ký lại kết hôn")
    assert variant_factor(frozenset({"foreign"}), again, offered=frozenset({"reregister", "foreign"})) == \
        pytest.approx(MISSING * BONUS)


def test_an_ambiguous_action_word_does_not_name_one_action():
    # "làm lại" is a marker of "cấp lại" names and a cue of re-registration: the lost register decides
    asked = query_variants("giấy kết hôn bị lũ cuốn mất, xã không còn lưu sổ, làm lại thế nào")
    assert "reregister" in asked.kinds
    # a procedure's own word still names its action and drops those only implied
    assert query_variants("căn cước bị mất, cấp lại ở đâu").kinds & {"reissue", "copy", "reregister"} == {"reissue"}


def test_a_candidate_without_the_asked_qualifier_yields_to_one_that_has_it():
    asked = query_variants("chồng người Đài Loan, đăng ký kết hôn lệ phí bao nhiêu")
    assert variant_factor(frozenset(), asked, offered=frozenset({"foreign"})) == MISSING
    assert variant_factor(frozenset({"foreign"}), asked, offered=frozenset({"foreign"})) == BONUS
    assert variant_factor(frozenset(), asked, offered=frozenset()) == 1.0


@pytest.mark.parametrize("question", ["bố em mất tại nhà hôm qua, làm giấy báo tử ở đâu",
                                      "bé sinh tại nhà không có giấy chứng sinh"])
def test_where_a_birth_or_death_happened_is_not_a_mobile_registration(question):
    assert "mobile" not in query_variants(question).kinds
    assert "mobile" in query_variants("cán bộ có đến nhà làm khai tử cho ông không").kinds


@pytest.mark.parametrize("question", ["ông mất rồi, bỏ tên ông khỏi hộ khẩu thì làm sao",
                                      "gach ten nguoi da mat trong so ho khau"])
def test_taking_a_name_off_the_household_register_is_a_removal(question):
    assert "remove" in query_variants(question).kinds


def test_going_abroad_is_a_purpose_not_a_foreign_element():
    assert "foreign" not in query_variants("xin xác nhận thông tin hộ tịch để làm hồ sơ đi nước ngoài").kinds
    assert "foreign" in query_variants("kết hôn với người nước ngoài").kinds
    # names are read the same way: a pension paid once when moving abroad is not a "foreign element" variant
    assert "foreign" not in name_variants("Trợ cấp một lần khi người hưởng lương hưu ra nước ngoài định cư")


def test_staying_on_asks_an_extension_and_giving_up_a_role_a_termination():
    assert "extend" in query_variants("tạm trú còn 1 tháng là hết, muốn ở tiếp thì làm giấy gì").kinds
    assert "extend" not in query_variants("nộp hồ sơ ở tiếp nhận một cửa").kinds
    assert "terminate" in query_variants("cháu đã lớn, thôi giám hộ thì nộp những gì").kinds


@pytest.mark.parametrize("old_style, new_style, plain, kind", [
    ("xoá tên con khỏi sổ tạm trú", "xóa tên con khỏi sổ tạm trú", "xoa ten con khoi so tam tru", "remove"),
    ("huỷ đăng ký thường trú của ông", "hủy đăng ký thường trú của ông", "huy dang ky thuong tru cua ong", "remove"),
])
def test_a_variant_cue_is_heard_whatever_the_tone_placement(old_style, new_style, plain, kind):
    """"xoá" (tone on the a, as many keyboards put it) asks the same variant as "xóa" and as "xoa" without
    diacritics: the accented path must not lose a cue that the folded path finds."""
    assert kind in query_variants(plain).kinds
    assert query_variants(old_style).kinds == query_variants(new_style).kinds == query_variants(plain).kinds
