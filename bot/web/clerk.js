// Clerk desk page. Plain JavaScript, no build step; all text rendered with textContent (never as HTML).
(function () {
  "use strict";

  var TEXT = {
    searching: "Đang tìm…",
    popular: "Thủ tục hay hỏi:",
    noResults: "Không tìm thấy thủ tục phù hợp. Thử gõ cách khác (ví dụ tên ngắn hơn).",
    results: function (n) { return n + " kết quả"; },
    printChecklist: "In danh sách giấy tờ",
    officialSource: "Xem trên Cổng DVC",
    documents: "Giấy tờ",
    channels: "Cách nộp, thời hạn, lệ phí",
    sites: "Nơi nộp",
    steps: "Các bước",
    results_: "Kết quả",
    conditions: "Điều kiện",
    applicants: "Đối tượng",
    legal: "Căn cứ pháp lý",
    source: "Nguồn",
    flags: "Cần xem lại",
    sample: "Thông tin nơi nộp là dữ liệu mẫu, chưa phải của phường thật.",
    imported: "Chưa được biên tập (nhập tự động từ Cổng DVC)",
    mould: "Mẫu",
    fee: "lệ phí",
    close: "Đã xử lý — đóng phiếu",
    closing: "Đang đóng…",
    contact: "Liên hệ",
    noContact: "không để lại liên hệ",
    channelNames: { zalo: "Zalo", webchat: "Web", rest: "Web" },
    openConversation: "Mở cuộc trò chuyện",
    ticketTitle: function (id) { return "Phiếu #" + id; },
    citizen: "Người dân",
    bot: "Trợ lý",
    clerk: function (name) { return "Cán bộ" + (name ? " " + name : ""); },
    noMessages: "Chưa có tin nhắn nào.",
    sending: "Đang gửi…",
    closedTicket: "Phiếu đã đóng; trợ lý trả lời lại người dân này.",
    emptyReply: "Vui lòng nhập nội dung trả lời.",
    afterHours: "Ngoài giờ",
    live: "Đang chờ trực tiếp",
    answered: "đã trả lời",
    waiting: function (minutes) {
      if (minutes === null || minutes === undefined) return "";
      var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
      if (days) return "chờ " + days + " ngày " + hours + " giờ";
      if (hours) return "chờ " + hours + " giờ " + mins + " phút";
      return "chờ " + mins + " phút";
    },
  };

  function $(id) { return document.getElementById(id); }
  var loginView = $("login-view"), appView = $("app-view"), logoutButton = $("logout");
  var searchBox = $("search"), resultsList = $("results"), searchNote = $("search-note"), searchError = $("search-error");
  var cardBox = $("card"), cardPlaceholder = $("card-placeholder");
  var ticketsList = $("tickets"), ticketsEmpty = $("tickets-empty"), ticketsError = $("tickets-error");
  var convBox = $("conversation"), convLog = $("conv-log"), replyText = $("reply-text"), replyStatus = $("reply-status");
  var replyError = $("reply-error"), whoBox = $("who");

  // ------------------------------------------------------------------------------------------- helpers
  var staff = window.ThutucStaff;  // bot/web/staff.js
  var el = staff.el, show = staff.show, setError = staff.setError;

  function api(path, options) {
    return staff.request(path, options, function () { showLogin(); });
  }

  function safeHttpUrl(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : null;
    } catch (e) { return null; }
  }

  // ------------------------------------------------------------------------------------------- login
  function showLogin(message) {
    show(appView, false);
    show(logoutButton, false);
    show(whoBox, false);
    show($("admin-link"), false);
    closeConversationView();
    show(loginView, true);
    setError($("login-error"), message);
    $("name").focus();
  }

  function showApp(session) {
    show(loginView, false);
    show(appView, true);
    show(logoutButton, true);
    whoBox.textContent = session && session.name ? session.name : "";
    show(whoBox, !!(session && session.name));
    show($("admin-link"), !!(session && session.role === "operator"));  // the operators' dashboard
    runSearch("");
    loadTickets();
    searchBox.focus();
  }

  staff.bindLogin(showApp);
  staff.bindLogout(function () { showLogin(); });

  // ------------------------------------------------------------------------------------------- search
  var searchSeq = 0, searchTimer = null, searchAbort = null, currentCode = null;

  function runSearch(query) {
    var seq = ++searchSeq;
    if (searchAbort) searchAbort.abort();
    searchAbort = typeof AbortController === "function" ? new AbortController() : null;
    searchNote.textContent = TEXT.searching;
    api("api/search?q=" + encodeURIComponent(query), { signal: searchAbort ? searchAbort.signal : undefined })
      .then(function (body) {
        if (seq !== searchSeq) return; // an older answer arriving late must not replace a newer one
        setError(searchError, "");
        renderResults(body);
      }, function (error) {
        if (seq !== searchSeq || error.name === "AbortError") return;
        searchNote.textContent = "";
        setError(searchError, error.userMessage);
      });
  }

  function renderResults(body) {
    while (resultsList.firstChild) resultsList.removeChild(resultsList.firstChild);
    var results = Array.isArray(body.results) ? body.results : [];
    searchNote.textContent = body.popular ? TEXT.popular : (results.length ? TEXT.results(results.length) : TEXT.noResults);
    results.forEach(function (hit) {
      var item = el("li");
      var button = el("button", "result");
      button.type = "button";
      button.appendChild(el("span", "name", hit.name));
      button.appendChild(el("span", "code", "mã " + hit.code + (hit.status === "imported" ? " · chưa biên tập" : "")));
      button.setAttribute("data-code", hit.code);
      if (hit.code === currentCode) button.setAttribute("aria-current", "true");
      button.addEventListener("click", function () { openCard(hit.code); });
      item.appendChild(button);
      resultsList.appendChild(item);
    });
  }

  searchBox.addEventListener("input", function () {
    clearTimeout(searchTimer);
    var query = searchBox.value.normalize ? searchBox.value.normalize("NFC") : searchBox.value;
    searchTimer = setTimeout(function () { runSearch(query.trim()); }, 120);
  });

  searchBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = resultsList.querySelector("button");
      if (first) openCard(first.getAttribute("data-code"));
    }
  });

  // ------------------------------------------------------------------------------------------- card
  function section(title) {
    var box = el("section");
    box.appendChild(el("h3", null, title));
    return box;
  }

  function list(items, ordered) {
    var node = el(ordered ? "ol" : "ul");
    items.forEach(function (text) { node.appendChild(el("li", null, text)); });
    return node;
  }

  function openCard(code) {
    currentCode = code;
    Array.prototype.forEach.call(resultsList.querySelectorAll("button"), function (b) {
      if (b.getAttribute("data-code") === code) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
    api("api/procedures/" + encodeURIComponent(code)).then(renderCard, function (error) {
      show(cardBox, true);
      show(cardPlaceholder, false);
      while (cardBox.firstChild) cardBox.removeChild(cardBox.firstChild);
      cardBox.appendChild(el("p", "error", error.userMessage));
    });
  }

  function renderCard(card) {
    while (cardBox.firstChild) cardBox.removeChild(cardBox.firstChild);
    cardBox.appendChild(el("h2", null, card.name + " — mã " + card.code));
    var meta = [card.field, card.level].filter(Boolean).join(" · ");
    if (card.status === "imported") meta += " · " + TEXT.imported;
    cardBox.appendChild(el("p", "meta", meta));

    var actions = el("div", "actions");
    var print = el("a", null, TEXT.printChecklist);
    print.href = "procedures/" + encodeURIComponent(card.code) + "/checklist";
    print.target = "_blank";
    print.rel = "noopener";
    actions.appendChild(print);
    var official = card.source_url ? safeHttpUrl(card.source_url) : null;
    if (official) {
      var link = el("a", null, TEXT.officialSource);
      link.href = official;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      actions.appendChild(link);
    }
    cardBox.appendChild(actions);

    (card.documents || []).forEach(function (group) {
      var box = section(group.title);
      var items = el("ul");
      group.items.forEach(function (item) {
        var li = el("li", null, item.name + (item.quantity ? " — " + item.quantity : "") + (item.case ? " (" + item.case + ")" : ""));
        if (item.form) li.appendChild(el("div", "small", TEXT.mould + ": " + item.form));
        if (item.notes) li.appendChild(el("div", "small", item.notes));
        items.appendChild(li);
      });
      box.appendChild(items);
      cardBox.appendChild(box);
    });

    if ((card.channels || []).length) {
      var channels = section(TEXT.channels);
      channels.appendChild(list(card.channels.map(function (c) {
        return c.label + ": " + c.time + "; " + TEXT.fee + ": " + c.fee + (c.description ? " — " + c.description : "");
      })));
      cardBox.appendChild(channels);
    }

    if (card.ward) {
      var sites = section(TEXT.sites + " — " + card.ward.name);
      if (card.ward.sample) sites.appendChild(el("p", "sample", TEXT.sample));
      sites.appendChild(list((card.sites || []).map(function (s) {
        return [s.name, s.address, s.phone ? "ĐT " + s.phone : null].filter(Boolean).join(" — ") +
          (s.hours && s.hours.length ? "\n" + s.hours.join("\n") : "");
      })));
      cardBox.appendChild(sites);
    }

    if (card.applicants) { var who = section(TEXT.applicants); who.appendChild(el("p", null, card.applicants)); cardBox.appendChild(who); }
    if (card.conditions) { var cond = section(TEXT.conditions); cond.appendChild(el("p", null, card.conditions)); cardBox.appendChild(cond); }
    if ((card.steps || []).length) { var steps = section(TEXT.steps); steps.appendChild(list(card.steps, true)); cardBox.appendChild(steps); }
    if ((card.results || []).length) { var res = section(TEXT.results_); res.appendChild(list(card.results)); cardBox.appendChild(res); }
    if ((card.legal_basis || []).length) {
      var legal = section(TEXT.legal);
      legal.appendChild(list(card.legal_basis.map(function (r) { return r.code + (r.title ? " — " + r.title : ""); })));
      cardBox.appendChild(legal);
    }
    if ((card.review_flags || []).length) {
      var flags = section(TEXT.flags);
      flags.className = "flags";
      flags.appendChild(list(card.review_flags));
      cardBox.appendChild(flags);
    }
    cardBox.appendChild(el("p", "small", TEXT.source + ": " + card.source));
    show(cardPlaceholder, false);
    show(cardBox, true);
  }

  // ------------------------------------------------------------------------------------------- tickets
  function loadTickets() {
    api("api/tickets").then(function (body) {
      setError(ticketsError, "");
      renderTickets(body.tickets || []);
    }, function (error) {
      setError(ticketsError, error.userMessage);
    });
  }

  function renderTickets(tickets) {
    while (ticketsList.firstChild) ticketsList.removeChild(ticketsList.firstChild);
    $("ticket-count").textContent = String(tickets.length);
    show(ticketsEmpty, tickets.length === 0);
    tickets.forEach(function (ticket) {
      var item = el("li");
      item.setAttribute("data-ticket", String(ticket.id));
      var when = ticket.created_at ? new Date(ticket.created_at).toLocaleString("vi-VN") : "";
      var channel = TEXT.channelNames[ticket.channel] || ticket.channel;
      item.appendChild(el("div", "small", "#" + ticket.id + " · " + channel + " · " + when));
      var state = el("div", "state" + (ticket.status === "callback" ? " after-hours" : ""),
        [ticket.status === "callback" ? TEXT.afterHours : TEXT.live, TEXT.waiting(ticket.waiting_minutes),
         ticket.answered ? TEXT.answered : null].filter(Boolean).join(" · "));
      item.appendChild(state);
      if (ticket.question) item.appendChild(el("p", "question", ticket.question));
      if (ticket.procedure_code) item.appendChild(el("div", "small", "Thủ tục: mã " + ticket.procedure_code));
      item.appendChild(el("div", "small", TEXT.contact + ": " + (ticket.contact || TEXT.noContact)));
      var open = el("button", "open-conv", TEXT.openConversation);
      open.type = "button";
      open.addEventListener("click", function () { openConversation(ticket.id); });
      item.appendChild(open);
      var close = el("button", "ghost", TEXT.close);
      close.type = "button";
      close.addEventListener("click", function () {
        close.disabled = true;
        close.textContent = TEXT.closing;
        api("api/tickets/" + ticket.id + "/close", { method: "POST" }).then(function () {
          if (openTicket === ticket.id) closeConversationView();
          loadTickets();
        }, function (error) {
          setError(ticketsError, error.userMessage);
          loadTickets();
        });
      });
      item.appendChild(close);
      ticketsList.appendChild(item);
    });
  }

  // ------------------------------------------------------------------------------------------- conversation
  var openTicket = null, convTimer = null, convSeq = 0;

  function closeConversationView() {
    openTicket = null;
    clearInterval(convTimer);
    convTimer = null;
    show(convBox, false);
    if (cardBox.childNodes.length) show(cardBox, true); else show(cardPlaceholder, true);
  }

  function openConversation(id) {
    if (openTicket !== id) {
      replyText.value = "";
      replyStatus.textContent = "";
      setError(replyError, "");
      while (convLog.firstChild) convLog.removeChild(convLog.firstChild);
    }
    openTicket = id;
    show(cardBox, false);
    show(cardPlaceholder, false);
    show(convBox, true);
    $("conv-title").textContent = TEXT.ticketTitle(id);
    loadConversation();
    clearInterval(convTimer);
    convTimer = setInterval(function () { if (openTicket !== null && !appView.hidden) loadConversation(); }, 3000);
    if (window.innerWidth < 1000 && convBox.scrollIntoView) convBox.scrollIntoView({ block: "start" });
    replyText.focus({ preventScroll: true });
  }

  function loadConversation() {
    var id = openTicket, seq = ++convSeq;
    api("api/tickets/" + id + "/conversation").then(function (body) {
      if (id !== openTicket || seq !== convSeq) return;
      renderConversation(body);
    }, function (error) {
      if (id !== openTicket) return;
      setError(replyError, error.userMessage);
    });
  }

  function renderConversation(body) {
    var ticket = body.ticket || {};
    var channel = TEXT.channelNames[ticket.channel] || ticket.channel || "";
    var when = ticket.created_at ? new Date(ticket.created_at).toLocaleString("vi-VN") : "";
    $("conv-meta").textContent = channel + " · " + when + " · " + TEXT.contact + ": " + (ticket.contact || TEXT.noContact);
    var atEnd = convLog.scrollHeight - convLog.scrollTop - convLog.clientHeight < 40;
    while (convLog.firstChild) convLog.removeChild(convLog.firstChild);
    var messages = Array.isArray(body.messages) ? body.messages : [];
    if (!messages.length) convLog.appendChild(el("li", "bot", TEXT.noMessages));
    messages.forEach(function (m) {
      var kind = m.from === "citizen" ? "citizen" : (m.from === "clerk" ? "clerk" : "bot");
      var item = el("li", kind);
      var label = kind === "citizen" ? TEXT.citizen : (kind === "clerk" ? TEXT.clerk(m.clerk) : TEXT.bot);
      if (m.at) label += " · " + new Date(m.at * 1000).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
      item.appendChild(el("span", "who-line", label));
      item.appendChild(document.createTextNode(m.text));
      convLog.appendChild(item);
    });
    var closed = ticket.status === "closed";
    $("reply-send").disabled = closed;
    $("conv-close").disabled = closed;
    replyText.disabled = closed;
    if (closed) replyStatus.textContent = TEXT.closedTicket;
    if (atEnd || !convLog.dataset.seen) convLog.scrollTop = convLog.scrollHeight;
    convLog.dataset.seen = "1";
  }

  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = replyText.value.normalize ? replyText.value.normalize("NFC").trim() : replyText.value.trim();
    if (!text) { setError(replyError, TEXT.emptyReply); return; }
    var id = openTicket, send = $("reply-send");
    send.disabled = true;
    setError(replyError, "");
    replyStatus.textContent = TEXT.sending;
    api("api/tickets/" + id + "/reply", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text }),
    }).then(function (body) {
      if (replyText.value.trim() === text) replyText.value = "";
      replyStatus.textContent = body.message || "";
      loadConversation();
    }, function (error) {
      replyStatus.textContent = "";
      setError(replyError, error.userMessage); // the text stays in the box
    }).then(function () { send.disabled = false; });
  });

  replyText.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  $("conv-close").addEventListener("click", function () {
    var id = openTicket, button = $("conv-close");
    button.disabled = true;
    button.textContent = TEXT.closing;
    api("api/tickets/" + id + "/close", { method: "POST" }).then(function () {
      closeConversationView();
      loadTickets();
    }, function (error) {
      setError(replyError, error.userMessage);
      loadTickets();
    }).then(function () { button.disabled = false; button.textContent = TEXT.close; });
  });

  $("conv-hide").addEventListener("click", closeConversationView);

  $("refresh-tickets").addEventListener("click", loadTickets);
  setInterval(function () { if (!appView.hidden) loadTickets(); }, 30000);

  // ------------------------------------------------------------------------------------------- start
  api("api/session").then(showApp, function (error) {
    showLogin(error.status === 401 ? "" : error.userMessage);
  });
})();
