"""Every Vietnamese sentence of the dossier-status conversation, in one place.

Replies are short (Zalo shows ≤ 2,000 characters per message) and never contain applicant data: they are built
only from a `DossierView`, the knowledge-base directory and the rate-limit state. The two free-text fields a feed
supplies (what to supplement, the fee note) are scrubbed of phone/ID numbers in case a clerk typed one there.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from base.privacy import mask_receipt_code, scrub_reply
from dossiers.directory import Directory, SitePlace
from dossiers.service import DossierView
from dossiers.states import OFFICIAL_LABELS, OVERDUE_APPLICABLE, DossierState

CENTRE = "Trung tâm Phục vụ hành chính công phường"
RECEIPT_HELP = (
    "Mã hồ sơ in ở phần đầu “Giấy tiếp nhận hồ sơ và hẹn trả kết quả”, mục “Mã hồ sơ” (hoặc “Số biên nhận”), "
    "có dạng <mã cơ quan>-<năm tháng ngày nộp>-<số thứ tự>, ví dụ H15.50-251203-2035. "
    "Lưu ý các dấu chấm, dấu gạch và chữ cái (chữ O khác số 0)."
)

# What each state means for the citizen, in plain words.
STATE_WORDING: dict[DossierState, str] = {
    DossierState.NEW: "Hồ sơ vừa được đăng ký và đang chờ cán bộ kiểm tra để tiếp nhận.",
    DossierState.RECEIVED: "Hồ sơ đã được tiếp nhận, đang chờ chuyển đến bộ phận giải quyết.",
    DossierState.REJECTED: "Hồ sơ không được tiếp nhận (chưa đủ điều kiện hoặc không đúng thẩm quyền).",
    DossierState.PROCESSING: "Hồ sơ đang được cán bộ giải quyết.",
    DossierState.NEEDS_SUPPLEMENT: "Hồ sơ cần bổ sung giấy tờ trước khi giải quyết tiếp.",
    DossierState.NEEDS_PAYMENT: "Hồ sơ đang chờ bạn nộp phí, lệ phí (nghĩa vụ tài chính) để giải quyết tiếp.",
    DossierState.WITHDRAWN: "Hồ sơ đã được rút theo yêu cầu của người nộp.",
    DossierState.STOPPED: "Hồ sơ đã dừng xử lý.",
    DossierState.DONE: "Hồ sơ đã giải quyết xong, kết quả đang chờ bạn đến nhận.",
    DossierState.RETURNED: "Kết quả của hồ sơ đã được trả.",
}


def format_date(value: Optional[datetime]) -> Optional[str]:
    if value is None:
        return None
    if value.hour or value.minute:
        return f"{value:%H:%M} ngày {value:%d/%m/%Y}"
    return f"{value:%d/%m/%Y}"


def format_money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _place(directory: Directory, site_id: Optional[str]) -> str:
    site: Optional[SitePlace] = directory.site(site_id) if site_id else None
    if site is None:
        return CENTRE
    return f"{site.name} ({site.address})" if site.address else site.name


def _contact_line(directory: Directory) -> str:
    contact = directory.ward_contact()
    if contact and contact.hotline:
        return f"Cần hỏi thêm, bạn gọi đường dây nóng {contact.hotline} trong giờ làm việc."
    return f"Cần hỏi thêm, bạn liên hệ {CENTRE} trong giờ làm việc."


def next_steps(view: DossierView, directory: Directory) -> Optional[str]:
    """What the citizen should do now, or None when nothing is needed."""
    place = _place(directory, view.site)
    state = view.state
    if state is DossierState.NEEDS_SUPPLEMENT:
        what = scrub_reply(view.supplement) if view.supplement else None
        what = what or "giấy tờ cán bộ đã hướng dẫn (liên hệ Trung tâm để biết cụ thể)"
        return f"Việc cần làm: bổ sung {what}. Nơi nộp bổ sung: {place}."
    if state is DossierState.NEEDS_PAYMENT:
        amount = f" {format_money(view.fee_due)}" if view.fee_due else ""
        note = f" ({scrub_reply(view.fee_note)})" if view.fee_note else ""
        return f"Việc cần làm: nộp phí, lệ phí{amount}{note} tại {place} hoặc theo hướng dẫn thanh toán trực tuyến đã nhận."
    if state is DossierState.DONE:
        when = format_date(view.pickup_from)
        since = f" từ {when}" if when else ""
        return (f"Việc cần làm: đến nhận kết quả tại {place}{since}. "
                "Mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng giấy tờ tùy thân.")
    if state is DossierState.REJECTED or state is DossierState.STOPPED:
        return f"Việc cần làm: liên hệ {place} để biết lý do và cách nộp lại nếu cần."
    if state in (DossierState.NEW, DossierState.RECEIVED, DossierState.PROCESSING):
        return "Bạn chưa cần làm gì thêm; nhắn “báo cho tôi khi có kết quả” để được báo khi hồ sơ đổi trạng thái."
    return None


def status_message(view: DossierView, directory: Directory, now_local: datetime) -> str:
    """The full status answer for a verified citizen."""
    lines = [f"Hồ sơ {view.receipt_code}"]
    if view.procedure_code:
        name = directory.procedure_name(view.procedure_code)
        lines[0] += f" — {name} (mã {view.procedure_code})" if name else f" — thủ tục mã {view.procedure_code}"
    lines.append(f"Trạng thái: {OFFICIAL_LABELS[view.state]}. {STATE_WORDING[view.state]}")
    for label, value in (("Ngày tiếp nhận", view.received_at), ("Hẹn trả kết quả", view.due_at),
                         ("Ngày giải quyết xong", view.completed_at), ("Ngày trả kết quả", view.returned_at)):
        text = format_date(value)
        if text:
            lines.append(f"{label}: {text}")
    if view.due_at and view.state in OVERDUE_APPLICABLE and now_local > view.due_at:
        days = (now_local.date() - view.due_at.date()).days
        late = f" {days} ngày" if days >= 1 else ""
        lines.append(f"⚠️ Hồ sơ đã quá hạn hẹn trả{late}. Mình thành thật xin lỗi; bạn có thể liên hệ "
                     f"{CENTRE} để được giải thích và biết ngày trả mới.")
    step = next_steps(view, directory)
    if step:
        lines.append(step)
    if view.state in (DossierState.REJECTED, DossierState.STOPPED, DossierState.NEEDS_SUPPLEMENT):
        lines.append(_contact_line(directory))
    return "\n".join(lines)


def ask_code() -> str:
    return ("Bạn gửi giúp mình mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả nhé "
            "(dạng H15.50-251203-2035).")


def found_ask_factor() -> str:
    return ("Mình đã tìm thấy hồ sơ. Để bảo vệ thông tin của người nộp, bạn cho mình xin 4 số cuối "
            "của số điện thoại đã ghi trong hồ sơ nhé.")


def unknown_code(code: str) -> str:
    return (f"Mình không tìm thấy hồ sơ có mã {code}. Bạn kiểm tra lại giúp mình: {RECEIPT_HELP} "
            "Hồ sơ vừa nộp có thể cần một lúc mới tra cứu được.")


def malformed_code(reason: Optional[str]) -> str:
    why = f" ({reason})" if reason else ""
    return f"Mã hồ sơ bạn gửi chưa đúng dạng{why}. {RECEIPT_HELP}"


def no_code() -> str:
    return f"Bạn gửi giúp mình mã hồ sơ nhé. {RECEIPT_HELP}"


def blocked(minutes: int) -> str:
    return (f"Bạn đã tra cứu sai quá số lần cho phép. Để bảo vệ hồ sơ của người dân, bạn vui lòng thử lại sau "
            f"{minutes} phút, hoặc mang Giấy tiếp nhận hồ sơ đến {CENTRE} để được tra cứu trực tiếp.")


def locked(directory: Directory) -> str:
    """A receipt code locked after too many wrong second factors: the same words whatever digits were sent."""
    contact = directory.ward_contact()
    call = f"gọi đường dây nóng {contact.hotline}" if contact and contact.hotline else "gọi điện cho Trung tâm"
    return ("Để bảo vệ thông tin của người nộp, hồ sơ này tạm thời không tra cứu được qua tin nhắn. "
            f"Bạn vui lòng mang Giấy tiếp nhận hồ sơ đến {CENTRE} hoặc {call} trong giờ làm việc để được hỗ trợ. "
            "Cảm ơn bạn.")


def wrong_factor(remaining: int) -> str:
    return f"4 số cuối chưa khớp với số điện thoại trong hồ sơ. Bạn còn {remaining} lần thử."


def expired() -> str:
    return "Phiên tra cứu đã hết hạn. Bạn gửi lại mã hồ sơ giúp mình nhé."


def unavailable() -> str:
    return ("Xin lỗi bạn, hệ thống tra cứu của tỉnh đang tạm gián đoạn nên mình chưa xem được hồ sơ này. "
            f"Bạn vui lòng thử lại sau ít phút, hoặc liên hệ {CENTRE} trong giờ làm việc.")


def no_factor() -> str:
    return ("Mình tìm thấy hồ sơ nhưng hồ sơ chưa có số điện thoại để xác minh qua tin nhắn. "
            f"Bạn vui lòng mang Giấy tiếp nhận hồ sơ đến {CENTRE} hoặc gọi đường dây nóng để được tra cứu.")


def subscribed(code: str, created: bool) -> str:
    if created:
        return (f"Mình đã ghi nhận: khi hồ sơ {mask_receipt_code(code)} đổi trạng thái, mình sẽ nhắn bạn "
                "qua kênh này.")
    return f"Bạn đã đăng ký nhận thông báo cho hồ sơ {mask_receipt_code(code)} rồi ạ."


def subscribe_not_on_this_channel() -> str:
    """On a channel nothing can be pushed to later (the loopback REST channel)."""
    return ("Xin lỗi bạn, kênh này không gửi được thông báo khi hồ sơ đổi trạng thái. Bạn có thể nhắn “tra cứu hồ "
            "sơ” để xem lại bất cứ lúc nào, hoặc đăng ký nhận thông báo qua Zalo OA hay trang chat của phường.")


def subscribe_needs_lookup() -> str:
    return ("Để nhận thông báo, bạn cần tra cứu hồ sơ trước: gửi mã hồ sơ và 4 số cuối số điện thoại trong hồ sơ, "
            "rồi nhắn “báo cho tôi khi có kết quả”.")


def state_changed(code: str, state: DossierState) -> str:
    """Pushed to a subscriber; the code is masked because the message may be read on a shared screen."""
    return (f"Hồ sơ {mask_receipt_code(code)} vừa chuyển sang trạng thái: {OFFICIAL_LABELS[state]}. "
            f"{STATE_WORDING[state]} Nhắn “tra cứu hồ sơ” để xem chi tiết.")
