"""Citizen-facing text the channels send on their own (without a Rasa response). Vietnamese, short."""
from __future__ import annotations

ZALO_FOLLOW_GREETING = (
    "Xin chào, cảm ơn bạn đã quan tâm! Mình là trợ lý tự động của Trung tâm Phục vụ hành chính công phường. "
    "Bạn cứ nhắn thủ tục cần hỏi (ví dụ: \"làm giấy khai sinh cần gì\") hoặc chọn bên dưới."
)

# Short menu after a follow; payloads are intents of domain.yml so they work whatever the NLU model says.
ZALO_FOLLOW_MENU = (
    {"title": "Hồ sơ cần chuẩn bị", "payload": "/ask_documents"},
    {"title": "Tra cứu hồ sơ đã nộp", "payload": "/check_dossier_status"},
    {"title": "Giờ làm việc", "payload": "/ask_office_hours"},
    {"title": "Gặp cán bộ", "payload": "/request_human"},
)

ZALO_TEXT_ONLY = (
    "Cảm ơn bạn! Hiện mình chỉ đọc được tin nhắn chữ, chưa xem được hình ảnh, tệp, nhãn dán hay tin nhắn thoại. "
    "Bạn vui lòng nhắn câu hỏi bằng chữ giúp mình nhé."
)

BOT_FAILED = "Xin lỗi, trợ lý đang gặp sự cố nên chưa trả lời được. Bạn vui lòng thử lại sau ít phút nhé."

# A dependency of the message path is down (bot/outage_replies.py): the conversation database, or the action server.
SERVICE_INTERRUPTED = (
    "Xin lỗi, hệ thống đang tạm gián đoạn nên mình chưa trả lời được. Bạn vui lòng thử lại sau ít phút nhé."
)
ACTIONS_INTERRUPTED = (
    "Xin lỗi, phần tra cứu đang tạm gián đoạn nên mình chưa trả lời được câu này. "
    "Bạn vui lòng thử lại sau ít phút nhé."
)
