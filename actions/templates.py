"""Every Vietnamese sentence the guidance actions send, in one place (short: Zalo screens are small)."""
from __future__ import annotations

from knowledge.facets import INTENT_OF_FACET, OVERVIEW

# Facets a citizen can ask about, in the order buttons offer them.
FACETS: tuple[str, ...] = (
    "documents", "fee", "time", "where", "online", "steps", "result", "conditions", "legal_basis",
)

FACET_BY_INTENT: dict[str, str] = {intent: facet for facet, intent in INTENT_OF_FACET.items()} | {"inform": OVERVIEW}
INTENT_BY_FACET: dict[str, str] = dict(INTENT_OF_FACET)

# What each facet is called on buttons, the clerk's and the operators' pages.
FACET_LABELS: dict[str, str] = {
    OVERVIEW: "Hỏi chung về thủ tục",
    "documents": "Giấy tờ cần nộp",
    "fee": "Lệ phí",
    "time": "Thời hạn giải quyết",
    "where": "Nộp ở đâu",
    "online": "Nộp trực tuyến",
    "steps": "Các bước",
    "result": "Kết quả nhận được",
    "conditions": "Điều kiện",
    "legal_basis": "Căn cứ pháp lý",
}
FACET_BUTTON: dict[str, str] = {facet: FACET_LABELS[facet] for facet in FACETS}

# How a facet is named when the citizen picks it among interpretations ("Bạn muốn hỏi…?").
INTENT_LABEL: dict[str, str] = {
    "ask_documents": "Giấy tờ cần chuẩn bị",
    "ask_fee": "Lệ phí",
    "ask_processing_time": "Thời hạn giải quyết",
    "ask_where_to_submit": "Nơi nộp hồ sơ",
    "ask_online_submission": "Nộp hồ sơ trực tuyến",
    "ask_steps": "Các bước thực hiện",
    "ask_result": "Kết quả nhận được",
    "ask_legal_basis": "Căn cứ pháp lý",
    "ask_conditions": "Điều kiện thực hiện",
    "ask_procedure": "Hướng dẫn một thủ tục",
    "ask_office_hours": "Giờ làm việc",
    "check_dossier_status": "Tra cứu hồ sơ đã nộp",
    "request_human": "Gặp cán bộ",
    "ask_capabilities": "Trợ lý giúp được gì",
}

FEEDBACK_BUTTONS = (("👍 Hữu ích", "up"), ("👎 Chưa đúng", "down"))


HEADER = "{name} (mã {code})"
SOURCE_LINE = "Nguồn: {decision}, rà soát ngày {reviewed}."
SOURCE_UNREVIEWED = (
    "Nguồn: {decision} (Cổng Dịch vụ công quốc gia). Phường chưa rà soát thủ tục này: thông tin được nhập tự động "
    "từ danh mục quốc gia, vui lòng hỏi cán bộ trước khi nộp."
)
UNDER_REVIEW = "⚠️ Chưa chắc chắn: {notes}. Vui lòng hỏi lại cán bộ về điểm này trước khi nộp."


NO_DATA = {
    "documents": "Dữ liệu chưa có danh sách giấy tờ của thủ tục này. Vui lòng hỏi cán bộ tại Trung tâm.",
    "time": "Dữ liệu chưa có thời hạn giải quyết của thủ tục này. Vui lòng hỏi cán bộ tại Trung tâm.",
    "steps": "Dữ liệu chưa có các bước thực hiện của thủ tục này.",
    "result": "Dữ liệu chưa ghi kết quả của thủ tục này.",
    "legal_basis": "Dữ liệu chưa ghi căn cứ pháp lý của thủ tục này.",
    "conditions": "Thủ tục này không có điều kiện riêng ngoài giấy tờ nêu trong hồ sơ.",
    "where": "Dữ liệu chưa có nơi tiếp nhận thủ tục này. Vui lòng gọi đường dây nóng của phường.",
}

DOCUMENTS_INTRO = "Hồ sơ cần chuẩn bị:"
TIME_INTRO = "Thời hạn giải quyết:"
FEE_INTRO = "Lệ phí:"
STEPS_INTRO = "Các bước thực hiện:"
RESULT_INTRO = "Kết quả bạn nhận được:"
LEGAL_INTRO = "Căn cứ pháp lý chính:"
CONDITIONS_INTRO = "Điều kiện:"
APPLICANTS_LINE = "Đối tượng thực hiện: {applicants}"
WHERE_INTRO = "Nơi nộp hồ sơ:"
WHERE_POST = "Bạn cũng có thể gửi hồ sơ qua bưu chính."
ONLINE_YES = "Thủ tục này nộp trực tuyến được qua {portals}."
ONLINE_PORTAL_LINK = "Cổng Dịch vụ công quốc gia: {url}"
ONLINE_VNEID_L2 = "Cần tài khoản định danh điện tử (VNeID) mức độ 2."
ONLINE_NO = "Theo dữ liệu hiện có, thủ tục này chưa nộp trực tuyến được; bạn nộp trực tiếp{post} tại Trung tâm."
ONLINE_NO_POST = " hoặc qua bưu chính"
SITE_LINE = "• {name}: {address}"
SITE_PHONE = "  Điện thoại: {phone}"
SITE_HOURS = "  Giờ làm việc: {hours}"

OPEN_NOW = "Hiện {site} đang mở cửa đến {until}."
CLOSED_NOW = "Hiện {site} {reason}; mở cửa lại lúc {when}."
CLOSED_NO_NEXT = "Hiện {site} {reason}."
ONLINE_NOW = "Bạn có thể nộp trực tuyến ngay bây giờ qua {portals}."

NOT_FOUND = "Mình chưa tìm thấy thủ tục phù hợp với câu hỏi của bạn. Bạn chọn một thủ tục thường gặp dưới đây hoặc gõ tên thủ tục nhé:"
ASK_WHICH = "Bạn muốn hỏi thủ tục nào? Mình tìm thấy vài thủ tục gần giống:"
ASK_THIS = "Có phải bạn muốn hỏi thủ tục này không?"
ASK_PROCEDURE_FIRST = "Bạn đang hỏi về thủ tục nào ạ? Ví dụ: khai sinh, kết hôn, tạm trú, sổ đỏ…"
OTHER_OPTION = "Thủ tục khác"
RESET_DONE = "Được ạ. Bạn muốn hỏi thủ tục nào tiếp theo?"

CLARIFY_INTRO = "Xin lỗi, mình chưa chắc đã hiểu đúng. Bạn muốn hỏi về:"
CLARIFY_NONE_OF_THESE = "Không phải các ý trên"
MENU_AFTER_MISSES = "Xin lỗi, mình vẫn chưa hiểu. Bạn chọn một thủ tục thường gặp, hoặc nhắn để gặp cán bộ:"
TALK_TO_CLERK = "Gặp cán bộ"

OFFICE_HOURS_INTRO = "Giờ làm việc của {ward}:"
OFFICE_HOURS_SITE = "• {name} ({address})"
OFFICE_HOLIDAY_NOTE = "Nghỉ các ngày lễ, Tết theo quy định."
OFFICE_UPCOMING_HOLIDAY = "Sắp nghỉ: {name} ({day})."
OFFICE_CLOSURE = "Tạm nghỉ: {site} từ {start} đến {end}{reason}."
NO_WARD = "Dữ liệu chưa có thông tin về trụ sở của phường. Vui lòng gọi đường dây nóng của phường."

HANDOFF_OPENED = (
    "Mình đã chuyển cuộc trò chuyện cho cán bộ (phiếu số {ticket}). Cán bộ sẽ trả lời bạn ngay tại đây; "
    "trong lúc chờ, trợ lý tự động sẽ tạm dừng."
)
HANDOFF_AFTER_HOURS_ASK_QUESTION = (
    "Hiện ngoài giờ làm việc nên chưa có cán bộ trực. Bạn để lại câu hỏi, cán bộ sẽ trả lời vào ngày làm việc tiếp theo. "
    "Bạn muốn hỏi gì ạ?"
)
HANDOFF_ASK_CONTACT = "Bạn để lại số điện thoại hoặc email để cán bộ liên hệ nhé."
HANDOFF_BAD_CONTACT = "Số điện thoại hoặc email chưa đúng. Bạn nhập lại giúp mình (ví dụ: 0912345678)."
HANDOFF_CONTACT_OPTIONAL = "Không bắt buộc: nếu chỉ muốn nhận câu trả lời tại đây, bạn nhắn \"không\"."
HANDOFF_CALLBACK_SAVED = (
    "Mình đã ghi lại câu hỏi (phiếu số {ticket}). Mã tra cứu của bạn: {code}. "
    "Cán bộ sẽ trả lời ngay tại cuộc trò chuyện này vào ngày làm việc tiếp theo{when}. "
    "Khi quay lại, bạn nhắn mã {code} để xem câu trả lời."
)
HANDOFF_CALLBACK_CONTACT = " Số điện thoại hoặc email của bạn chỉ dùng để cán bộ liên hệ lại."
HANDOFF_NEXT_OPENING = ", từ {when}"
HANDOFF_NO_STORE = "Xin lỗi, hiện chưa chuyển được cho cán bộ. Bạn vui lòng gọi đường dây nóng {hotline}."

FEEDBACK_THANKS_UP = "Cảm ơn bạn đã góp ý!"
FEEDBACK_THANKS_DOWN = "Cảm ơn bạn. Mình đã ghi nhận để cán bộ cập nhật. Bạn có thể hỏi lại theo cách khác, hoặc nhắn \"gặp cán bộ\"."

SERVICE_DOWN = "Xin lỗi, hệ thống tra cứu thủ tục đang tạm gián đoạn. Bạn vui lòng thử lại sau ít phút hoặc gọi đường dây nóng của phường."

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

GREETING = "Xin chào! Mình là trợ lý thủ tục hành chính của phường. Bạn cần hỏi thủ tục gì ạ? Một số thủ tục thường gặp:"
CAPABILITIES = (
    "Mình giúp bạn tra cứu thủ tục hành chính của phường: giấy tờ cần nộp, lệ phí, thời hạn, nơi nộp, nộp trực tuyến, "
    "các bước; giờ làm việc; và tình trạng hồ sơ đã nộp (cần mã biên nhận). Cần gặp cán bộ, bạn nhắn \"gặp cán bộ\"."
)
