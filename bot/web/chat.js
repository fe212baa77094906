// Web chat page. Plain JavaScript, no build step, nothing loaded from elsewhere.
// Every message is rendered with textContent / DOM nodes, never as HTML: a citizen's or the bot's text can never
// become markup. Links are created only for http(s) URLs found in bot messages.
(function () {
  "use strict";

  var ENDPOINT = new URL("webhook", document.baseURI).toString();
  // The server issues the conversation identity (a signed token) and names it in this header; the page only keeps it.
  var SESSION_HEADER = "X-Chat-Session";
  var STORAGE_SESSION = "thutuc.chat.session";
  var STORAGE_HISTORY = "thutuc.chat.history";
  var STORAGE_SEEN = "thutuc.chat.seen"; // id of the last clerk message shown (confirms it to the server)
  var UPDATES = new URL("updates", document.baseURI).toString();
  var POLL_TIMEOUT_MS = 40000;
  var MAX_HISTORY = 200;
  var TIMEOUT_MS = 30000;

  var TEXT = {
    welcome:
      "Xin chào! Mình là trợ lý tự động của Trung tâm Phục vụ hành chính công phường. " +
      "Bạn cứ hỏi về thủ tục, ví dụ: \"làm giấy khai sinh cần gì\", hoặc chọn bên dưới.",
    unreachable:
      "Không kết nối được với máy chủ. Bạn kiểm tra mạng rồi thử lại sau ít phút nhé. " +
      "Tin nhắn của bạn vẫn được giữ lại.",
    serverError: "Trợ lý đang gặp sự cố, bạn thử lại sau ít phút nhé.",
    tooLong: "Tin nhắn quá dài. Bạn viết ngắn gọn lại giúp mình nhé.",
    retry: "Chưa gửi được. Bấm để gửi lại",
    typing: "Trợ lý đang trả lời…",
    confirmReset: "Xoá cuộc trò chuyện trên máy này và bắt đầu lại?",
    clerk: "Cán bộ",
  };

  var WELCOME_CHOICES = [
    { title: "Hồ sơ cần chuẩn bị", payload: "/ask_documents" },
    { title: "Tra cứu hồ sơ đã nộp", payload: "/check_dossier_status" },
    { title: "Giờ làm việc", payload: "/ask_office_hours" },
    { title: "Gặp cán bộ", payload: "/request_human" },
  ];

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var statusBox = document.getElementById("status");
  var newChatButton = document.getElementById("new-chat");
  var MAX_CHARS = input.maxLength > 0 ? input.maxLength : 2000; // the server's cap, set once in chat.html
  var busy = false;

  // ---------------------------------------------------------------- storage (may be unavailable: private mode)
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* history is a convenience */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  // Kept in memory too: where storage is blocked (some embedded iframes) the identity lasts until the page reloads.
  var session = storageGet(STORAGE_SESSION);

  function keepSession(token) {
    if (!token || token === session) return;
    session = token;
    storageSet(STORAGE_SESSION, token);
    startPolling();
  }

  function forgetSession() {
    session = null;
    storageRemove(STORAGE_SESSION);
    seen = 0;
    shownIds = {};
    storageRemove(STORAGE_SEEN);
    if (pollAbort) pollAbort.abort();
  }

  function loadHistory() {
    var raw = storageGet(STORAGE_HISTORY);
    if (!raw) return [];
    try {
      var items = JSON.parse(raw);
      return Array.isArray(items) ? items.filter(isValidEntry) : [];
    } catch (e) {
      return [];
    }
  }

  function isValidEntry(entry) {
    return entry && (entry.from === "user" || entry.from === "bot" || entry.from === "clerk") &&
      typeof entry.text === "string";
  }

  function saveHistory(history) {
    storageSet(STORAGE_HISTORY, JSON.stringify(history.slice(-MAX_HISTORY)));
  }

  var history = loadHistory();

  function remember(entry) {
    history.push(entry);
    saveHistory(history);
  }

  // ---------------------------------------------------------------- rendering (text only)
  var URL_PATTERN = /https?:\/\/[^\s<>"'()]+/g;

  function safeHttpUrl(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : null;
    } catch (e) {
      return null;
    }
  }

  function appendTextWithLinks(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?…]+$/, "");
      var href = safeHttpUrl(raw);
      if (!href) continue;
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      link.href = href;
      link.textContent = raw;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      parent.appendChild(link);
      last = match.index + raw.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function renderMessage(entry, choicesEnabled) {
    var item = document.createElement("li");
    item.className = "msg " + entry.from;
    if (entry.id > 0) item.setAttribute("data-outbox-id", String(entry.id)); // pushed, not an answer to a message
    if (entry.text) { // a reply may consist of buttons only
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      if (entry.from === "clerk") {
        var who = document.createElement("span");
        who.className = "who";
        who.textContent = TEXT.clerk;
        bubble.appendChild(who);
        appendTextWithLinks(bubble, entry.text);
      } else if (entry.from === "bot") {
        appendTextWithLinks(bubble, entry.text);
      } else {
        bubble.textContent = entry.text;
      }
      item.appendChild(bubble);
    }
    if (entry.from === "bot" && Array.isArray(entry.buttons) && entry.buttons.length) {
      item.appendChild(renderChoices(entry.buttons, choicesEnabled));
    }
    log.appendChild(item);
    scrollToEnd();
    return item;
  }

  function renderChoices(buttons, enabled) {
    var box = document.createElement("div");
    box.className = "choices";
    buttons.forEach(function (button) {
      if (!button || typeof button.title !== "string") return;
      var href = typeof button.url === "string" ? safeHttpUrl(button.url) : null;
      if (href) {
        var link = document.createElement("a");
        link.href = href;
        link.textContent = button.title;
        link.target = "_blank";
        link.rel = "noopener noreferrer nofollow";
        box.appendChild(link);
        return;
      }
      var choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = button.title;
      choice.disabled = !enabled;
      choice.addEventListener("click", function () {
        if (busy) return;
        send(button.title, typeof button.payload === "string" ? button.payload : button.title);
      });
      box.appendChild(choice);
    });
    return box;
  }

  function disableOldChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices button"), function (b) { b.disabled = true; });
  }

  function showTyping() {
    var item = document.createElement("li");
    item.className = "msg bot typing";
    item.setAttribute("aria-label", TEXT.typing);
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    for (var i = 0; i < 3; i++) {
      var dot = document.createElement("span");
      dot.className = "dot";
      bubble.appendChild(dot);
    }
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = TEXT.typing;
    bubble.appendChild(label);
    item.appendChild(bubble);
    log.appendChild(item);
    scrollToEnd();
    return item;
  }

  function showStatus(text) {
    statusBox.textContent = text;
    statusBox.hidden = false;
  }

  function clearStatus() {
    statusBox.hidden = true;
    statusBox.textContent = "";
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
  }

  // ---------------------------------------------------------------- talking to the server
  function postMessage(message) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    var headers = { "Content-Type": "application/json" };
    if (session) headers[SESSION_HEADER] = session;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ message: message }),
      credentials: "omit",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      keepSession(response.headers.get(SESSION_HEADER));
      return response.json().catch(function () { return null; }).then(function (body) {
        if (timer) clearTimeout(timer);
        if (!response.ok) {
          var error = new Error("http");
          error.userMessage = body && typeof body.error === "string" ? body.error : TEXT.serverError;
          throw error;
        }
        return Array.isArray(body) ? body : [];
      });
    }, function (networkError) {
      if (timer) clearTimeout(timer);
      var error = new Error("network");
      error.userMessage = TEXT.unreachable;
      throw error;
    });
  }

  function send(shownText, payload) {
    clearStatus();
    disableOldChoices();
    var entry = { from: "user", text: shownText };
    var userItem = renderMessage(entry, false);
    var typing = showTyping();
    setBusy(true);
    return postMessage(payload)
      .then(function (replies) {
        remember(entry);
        replies.forEach(function (reply) {
          if (!reply || (typeof reply.text !== "string" && !Array.isArray(reply.buttons))) return;
          var botEntry = { from: reply.from === "clerk" ? "clerk" : "bot", text: typeof reply.text === "string" ? reply.text : "" };
          if (Array.isArray(reply.buttons) && reply.buttons.length) botEntry.buttons = reply.buttons;
          renderMessage(botEntry, true);
          remember(botEntry);
        });
        return true;
      })
      .catch(function (error) {
        showStatus(error.userMessage || TEXT.unreachable);
        markFailed(userItem, shownText, payload);
        return false;
      })
      .then(function (ok) {
        typing.remove();
        setBusy(false);
        scrollToEnd();
        return ok;
      });
  }

  function markFailed(item, shownText, payload) {
    item.classList.add("failed");
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = TEXT.retry;
    retry.addEventListener("click", function () {
      if (busy) return;
      item.remove();
      send(shownText, payload);
    });
    item.appendChild(retry);
  }

  // ---------------------------------------------------------------- a clerk's messages (long poll)
  // Messages the citizen did not just ask for arrive here: a clerk's replies and dossier notifications ("from":
  // "bot"). The page asks `updates` for anything newer than the last one it shows (which also confirms that one as
  // delivered); the server answers at once or after up to ~25 s.
  var seen = parseInt(storageGet(STORAGE_SEEN) || "0", 10) || 0;
  var shownIds = {}; // outbox ids already in the page's history (a clerk's reply, a dossier notification)
  history.forEach(function (entry) { if (entry.id > 0) shownIds[entry.id] = true; });
  var polling = false, pollAbort = null, pollDelay = 1000;

  function startPolling() {
    if (polling || !session) return;
    polling = true;
    poll();
  }

  function poll() {
    if (!session) { polling = false; return; }
    var asked = session;
    pollAbort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = pollAbort ? setTimeout(function () { pollAbort.abort(); }, POLL_TIMEOUT_MS) : null;
    var headers = {};
    headers[SESSION_HEADER] = asked;
    fetch(UPDATES + "?after=" + seen, {
      headers: headers, credentials: "omit", cache: "no-store", signal: pollAbort ? pollAbort.signal : undefined,
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      if (response.status === 401) throw { stop: true };
      if (!response.ok) throw new Error("http");
      return response.json();
    }).then(function (body) {
      if (asked !== session) return; // "Bắt đầu lại" meanwhile: not this conversation any more
      (body && Array.isArray(body.messages) ? body.messages : []).forEach(function (message) {
        if (!message || typeof message.text !== "string" || !(message.id > 0)) return;
        // At least once: a message whose confirmation was lost comes again. Its id is in the history: not shown twice.
        if (!shownIds[message.id]) {
          var entry = { from: message.from === "bot" ? "bot" : "clerk", text: message.text, id: message.id };
          renderMessage(entry, false);
          remember(entry);
          shownIds[message.id] = true;
        }
        if (message.id > seen) {
          seen = message.id; // the next poll names it: that confirms it (and all before it) to the server
          storageSet(STORAGE_SEEN, String(seen));
        }
      });
      pollDelay = 1000;
      setTimeout(poll, 0);
    }).catch(function (error) {
      if (timer) clearTimeout(timer);
      if (error && error.stop) { polling = false; return; }
      pollDelay = Math.min(pollDelay * 2, 30000); // server away: try again, less and less often
      setTimeout(poll, pollDelay);
    });
  }

  // ---------------------------------------------------------------- wiring
  function submitInput() {
    var text = input.value.normalize ? input.value.normalize("NFC").trim() : input.value.trim();
    if (!text || busy) return;
    if (text.length > MAX_CHARS) {
      showStatus(TEXT.tooLong);
      return;
    }
    input.value = "";
    autoGrow();
    send(text, text).then(function (ok) {
      if (!ok && !input.value) input.value = text; // nothing typed is lost
      input.focus();
    });
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitInput();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitInput();
    }
  });
  input.addEventListener("input", autoGrow);

  newChatButton.addEventListener("click", function () {
    if (!window.confirm(TEXT.confirmReset)) return;
    history = [];
    storageRemove(STORAGE_HISTORY);
    forgetSession(); // the next message gets a new identity from the server
    while (log.firstChild) log.removeChild(log.firstChild);
    clearStatus();
    start();
  });

  function start() {
    renderMessage({ from: "bot", text: TEXT.welcome, buttons: WELCOME_CHOICES }, history.length === 0);
    var lastUser = -1;
    history.forEach(function (entry, index) { if (entry.from === "user") lastUser = index; });
    history.forEach(function (entry, index) {
      renderMessage(entry, index > lastUser); // only the latest answer's buttons stay clickable
    });
    input.focus();
  }

  start();
  startPolling();
})();
